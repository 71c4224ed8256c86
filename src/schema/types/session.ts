import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { Node } from './node';
import type { ObjectId } from 'mongodb';
import { SessionStatus } from '../enums';
import { DateTimeScalar } from '../scalars/date-time';
import { ObjectIdScalar } from '../scalars/object-id';
import { NamedValue } from './common';

@Directive('@key(fields: "id")')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'A run of an app: a chat or a crew execution. Field names follow the published Session schema.' })
export class Session extends Node {
  @Field(() => ObjectIdScalar, { description: 'The session’s MongoDB id.' })
  _id!: ObjectId;

  @Field(() => ObjectIdScalar, { nullable: true, description: 'The organisation the session belongs to.' })
  orgId?: ObjectId;

  @Field(() => ObjectIdScalar, { description: 'The team the session belongs to.' })
  teamId!: ObjectId;

  @Field(() => String, { nullable: true, description: 'The session’s name.' })
  name?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the session started.' })
  startDate?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the session last changed.' })
  lastUpdatedDate?: Date;

  @Field(() => Int, { nullable: true, description: 'AI tokens used in this session.' })
  tokensUsed?: number;

  @Field(() => SessionStatus, { nullable: true, description: 'The session’s state; null, with an error, for a stored value outside the enum.' })
  status?: SessionStatus;

  @Field(() => ObjectIdScalar, { nullable: true, description: 'The app the session runs; see `app`.' })
  appId?: ObjectId;

  @Field(() => String, { nullable: true, description: 'Label to show when previewing the session.' })
  previewLabel?: string;

  // `sharingConfig` is resolved in sharing-config.resolver.ts, which gives it the identity of its document.

  // Resolved from the stored `{name: value}` map by SessionResolver.
  @Field(() => [NamedValue], { description: 'Values given to the app’s variables for this session.' })
  variables!: NamedValue[];
}
