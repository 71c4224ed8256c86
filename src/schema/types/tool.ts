import { Directive, Field, ObjectType } from 'type-graphql';
import type { ObjectId } from 'mongodb';
import { JSONScalar } from '../scalars/json';
import { ObjectIdScalar } from '../scalars/object-id';
import { Icon } from './common';

@ObjectType({ simpleResolvers: true, description: 'What a tool runs. Its environment variables are never exposed.' })
export class ToolData {
  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => Boolean, { nullable: true })
  builtin?: boolean;

  @Field(() => String, { nullable: true })
  runtime?: string;

  @Field(() => String, { nullable: true })
  code?: string;

  @Field(() => JSONScalar, { nullable: true })
  requirements?: unknown;

  @Field(() => JSONScalar, { nullable: true })
  parameters?: unknown;
}

@Directive('@key(fields: "_id")')
@ObjectType({ simpleResolvers: true, description: 'A tool agents and tasks can call: a function, a RAG retriever, or a global built-in.' })
export class Tool {
  @Field(() => ObjectIdScalar)
  _id!: ObjectId;

  @Field(() => ObjectIdScalar, { nullable: true, description: 'Null for global built-in tools.' })
  teamId?: ObjectId;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => String, { nullable: true, description: '"function", "rag" or "builtin".' })
  type?: string;

  @Field(() => String, { nullable: true })
  retriever_type?: string;

  @Field(() => JSONScalar, { nullable: true })
  retriever_config?: unknown;

  @Field(() => ToolData, { nullable: true })
  data?: ToolData;

  @Field(() => Icon, { nullable: true })
  icon?: Icon;

  @Field(() => String, { nullable: true })
  state?: string;
}
