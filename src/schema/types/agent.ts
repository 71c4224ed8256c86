import { Directive, Field, Int, ObjectType } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { DateTimeScalar } from '../scalars/date-time';
import { ObjectIdScalar } from '../scalars/object-id';
import { Icon } from './common';

@Directive('@key(fields: "_id")')
@ObjectType({ simpleResolvers: true, description: 'An AI agent: a role with a goal, a model and tools.' })
export class Agent {
  @Field(() => ObjectIdScalar)
  _id!: ObjectId;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  role?: string;

  @Field(() => String, { nullable: true })
  goal?: string;

  @Field(() => String, { nullable: true })
  backstory?: string;

  @Field(() => Int, { nullable: true })
  maxIter?: number;

  @Field(() => Int, { nullable: true })
  maxRPM?: number;

  @Field(() => Boolean, { nullable: true })
  verbose?: boolean;

  @Field(() => Boolean, { nullable: true })
  allowDelegation?: boolean;

  @Field(() => Icon, { nullable: true })
  icon?: Icon;

  @Field(() => DateTimeScalar, { nullable: true })
  dateCreated?: Date;
}
