import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { ModelType } from '../enums';
import { Node } from './node';
import type { ObjectId } from 'mongodb';
import { ObjectIdScalar } from '../scalars/object-id';

@Directive('@key(fields: "id")')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'A language or embedding model. Its provider credentials are never exposed.' })
export class Model extends Node {
  @Field(() => ObjectIdScalar, { description: 'The model’s MongoDB id.' })
  _id!: ObjectId;

  @Field(() => String, { nullable: true, description: 'The name the team gave the model.' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'The provider’s model name, e.g. gpt-4o.' })
  model?: string;

  @Field(() => ModelType, { nullable: true, description: 'A language model or an embedding model.' })
  modelType?: ModelType;

  @Field(() => Int, { nullable: true, description: 'Embedding models: the length of their vectors.' })
  embeddingLength?: number;

  @Field(() => String, { nullable: true, description: 'The provider, e.g. open_ai.' })
  type?: string;
}
