import { ArgsType, Field, Int } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { SessionStatus } from '../enums';
import { ObjectIdScalar } from '../scalars/object-id';

import { PAGES } from '../page-size';

@ArgsType()
export class SessionsArgs {
  @Field(() => ObjectIdScalar, { description: 'The team; the caller must be a member.' })
  teamId!: ObjectId;

  @Field(() => Int, { defaultValue: PAGES.sessions.default, description: `How many sessions, from 0 to ${PAGES.sessions.max}.` })
  first!: number;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page.' })
  after?: string | null;

  @Field(() => SessionStatus, { nullable: true, description: 'Only sessions in this state.' })
  status?: SessionStatus | null;

  @Field(() => ObjectIdScalar, { nullable: true, description: 'Only sessions of this app.' })
  appId?: ObjectId | null;
}
