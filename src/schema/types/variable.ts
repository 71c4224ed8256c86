import { Field, ObjectType } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { ObjectIdScalar } from '../scalars/object-id';

@ObjectType({ simpleResolvers: true, description: 'A variable that apps, agents and tasks fill into their prompts.' })
export class Variable {
  @Field(() => ObjectIdScalar)
  _id!: ObjectId;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  defaultValue?: string;

  @Field(() => String, { nullable: true })
  description?: string;
}
