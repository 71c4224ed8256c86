import { Field, ObjectType } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { CrewProcess } from '../enums';
import { ObjectIdScalar } from '../scalars/object-id';

@ObjectType({ simpleResolvers: true, description: 'A team of agents working through tasks.' })
export class Crew {
  @Field(() => ObjectIdScalar)
  _id!: ObjectId;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => CrewProcess, { nullable: true })
  process?: CrewProcess;

  @Field(() => Boolean, { nullable: true })
  verbose?: boolean;

  @Field(() => Boolean, { nullable: true })
  fullOutput?: boolean;
}
