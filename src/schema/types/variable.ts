import { Directive, Field, ObjectType } from 'type-graphql';
import { Node } from './node';
import type { ObjectId } from 'mongodb';
import { ObjectIdScalar } from '../scalars/object-id';

@Directive('@key(fields: "id")')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'A variable that apps, agents and tasks fill into their prompts.' })
export class Variable extends Node {
  @Field(() => ObjectIdScalar, { description: 'The variable’s MongoDB id.' })
  _id!: ObjectId;

  @Field(() => String, { nullable: true, description: 'The variable’s name, as used in prompts.' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'The value used when none is given.' })
  defaultValue?: string;

  @Field(() => String, { nullable: true, description: 'What the variable is for.' })
  description?: string;
}
