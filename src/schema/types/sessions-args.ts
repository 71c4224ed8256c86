import { ArgsType, Field, Int } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { SessionStatus } from '../enums';
import { ObjectIdScalar } from '../scalars/object-id';

import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../page-size';

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE };

@ArgsType()
export class SessionsArgs {
  @Field(() => ObjectIdScalar, { description: 'The team; the caller must be a member.' })
  teamId!: ObjectId;

  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `How many sessions, from 0 to ${MAX_PAGE_SIZE}.` })
  first!: number;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page.' })
  after?: string | null;

  @Field(() => SessionStatus, { nullable: true, description: 'Only sessions in this state.' })
  status?: SessionStatus | null;

  @Field(() => ObjectIdScalar, { nullable: true, description: 'Only sessions of this app.' })
  appId?: ObjectId | null;
}
