import { Directive, Field, ObjectType } from 'type-graphql';
import { ToolType } from '../enums';
import { Node } from './node';
import type { ObjectId } from 'mongodb';
import { JSONScalar } from '../scalars/json';
import { ObjectIdScalar } from '../scalars/object-id';
import { Icon } from './common';
import { Datasource } from './datasource';

@ObjectType({ simpleResolvers: true, description: 'What a tool runs. Its environment variables are never exposed.' })
export class ToolData {
  @Field(() => String, { nullable: true, description: 'The function’s name.' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'The function’s description.' })
  description?: string;

  @Field(() => Boolean, { nullable: true, description: 'Whether this is a global built-in tool.' })
  builtin?: boolean;

  @Field(() => String, { nullable: true, description: 'The runtime the code runs in, e.g. python3.' })
  runtime?: string;

  @Field(() => String, { nullable: true, description: 'The function’s source code.' })
  code?: string;

  @Field(() => String, { nullable: true, description: 'The packages the code needs, as stored (a requirements.txt).' })
  requirements?: string;

  @Field(() => JSONScalar, { nullable: true, description: 'The function’s parameters, as a JSON schema.' })
  parameters?: unknown;
}

@Directive('@key(fields: "id")')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'A tool agents and tasks can call: a function, a RAG retriever, or a global built-in.' })
export class Tool extends Node {
  @Field(() => ObjectIdScalar, { description: 'The tool’s MongoDB id.' })
  _id!: ObjectId;

  @Field(() => ObjectIdScalar, { nullable: true, description: 'Null for global built-in tools.' })
  teamId?: ObjectId;

  @Field(() => String, { nullable: true, description: 'The tool’s name.' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'What the tool does, as the agents are told.' })
  description?: string;

  @Field(() => ToolType, { nullable: true, description: 'Custom code, a retriever over a datasource, or a global built-in.' })
  type?: ToolType;

  @Field(() => String, { nullable: true, description: 'RAG tools: the kind of retriever.' })
  retriever_type?: string;

  @Field(() => JSONScalar, { nullable: true, description: 'RAG tools: the retriever’s settings, as stored.' })
  retriever_config?: unknown;

  @Field(() => ToolData, { nullable: true, description: 'What the tool runs (its environment variables are never shown).' })
  data?: ToolData;

  @Field(() => Icon, { nullable: true, description: 'The tool’s icon.' })
  icon?: Icon;

  @Field(() => String, { nullable: true, description: 'The tool’s deployment state.' })
  state?: string;

  @Field(() => Datasource, { nullable: true, description: 'RAG tools: the datasource they retrieve from.' })
  datasource?: Datasource;
}
