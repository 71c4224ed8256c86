import { Directive, Field, Int, ObjectType } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { SessionStatus } from '../enums';
import { DateTimeScalar } from '../scalars/date-time';
import { ObjectIdScalar } from '../scalars/object-id';
import { NamedValue, SharingConfig } from './common';

@Directive('@key(fields: "_id")')
@ObjectType({ simpleResolvers: true, description: 'A run of an app: a chat or a crew execution. Field names follow the published Session schema.' })
export class Session {
  @Field(() => ObjectIdScalar)
  _id!: ObjectId;

  @Field(() => ObjectIdScalar, { nullable: true, description: 'The organisation the session belongs to.' })
  orgId?: ObjectId;

  @Field(() => ObjectIdScalar, { description: 'The team the session belongs to.' })
  teamId!: ObjectId;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => DateTimeScalar, { nullable: true })
  startDate?: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  lastUpdatedDate?: Date;

  @Field(() => Int, { nullable: true, description: 'AI tokens used in this session.' })
  tokensUsed?: number;

  @Field(() => SessionStatus, { nullable: true })
  status?: SessionStatus;

  @Field(() => ObjectIdScalar, { nullable: true, description: 'The app the session runs; see `app`.' })
  appId?: ObjectId;

  @Field(() => String, { nullable: true, description: 'Label to show when previewing the session.' })
  previewLabel?: string;

  @Field(() => SharingConfig, { nullable: true })
  sharingConfig?: SharingConfig;

  // Resolved from the stored `{name: value}` map by SessionResolver.
  @Field(() => [NamedValue], { description: 'Values given to the app’s variables for this session.' })
  variables!: NamedValue[];
}
