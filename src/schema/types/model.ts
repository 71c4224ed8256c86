import { Directive, Field, Int, ObjectType } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { ObjectIdScalar } from '../scalars/object-id';

@Directive('@key(fields: "_id")')
@ObjectType({ simpleResolvers: true, description: 'A language or embedding model. Its provider credentials are never exposed.' })
export class Model {
  @Field(() => ObjectIdScalar)
  _id!: ObjectId;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true, description: 'The provider’s model name, e.g. gpt-4o.' })
  model?: string;

  @Field(() => String, { nullable: true, description: '"llm" or "embedding".' })
  modelType?: string;

  @Field(() => Int, { nullable: true })
  embeddingLength?: number;

  @Field(() => String, { nullable: true, description: 'The provider, e.g. open_ai.' })
  type?: string;
}
