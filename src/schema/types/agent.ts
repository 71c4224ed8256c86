import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { Node } from './node';
import type { ObjectId } from 'mongodb';
import { DateTimeScalar } from '../scalars/date-time';
import { ObjectIdScalar } from '../scalars/object-id';
import { Icon } from './common';
import { Model } from './model';
import { Tool } from './tool';
import { Variable } from './variable';

@Directive('@key(fields: "id")')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'An AI agent: a role with a goal, a model and tools.' })
export class Agent extends Node {
  @Field(() => ObjectIdScalar, { description: 'The agent’s MongoDB id.' })
  _id!: ObjectId;

  @Field(() => String, { nullable: true, description: 'The agent’s name.' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'The role the agent plays in its crew.' })
  role?: string;

  @Field(() => String, { nullable: true, description: 'What the agent works towards.' })
  goal?: string;

  @Field(() => String, { nullable: true, description: 'The background the agent is prompted with.' })
  backstory?: string;

  @Field(() => Int, { nullable: true, description: 'Most reasoning iterations per task.' })
  maxIter?: number;

  @Field(() => Int, { nullable: true, description: 'Most model requests per minute.' })
  maxRPM?: number;

  @Field(() => Boolean, { nullable: true, description: 'Whether the agent logs its reasoning.' })
  verbose?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Whether the agent may hand work to other agents.' })
  allowDelegation?: boolean;

  @Field(() => Icon, { nullable: true, description: 'The agent’s avatar.' })
  icon?: Icon;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the agent was created.' })
  dateCreated?: Date;

  @Field(() => Model, { nullable: true, description: 'The language model the agent runs on.' })
  model?: Model;

  @Field(() => Model, { nullable: true, description: 'The model used for function calling, if any.' })
  functionModel?: Model;

  @Field(() => [Tool], { description: 'The tools the agent may call, in stored order.' })
  tools?: Tool[];

  @Field(() => [Variable], { description: 'The variables the agent uses.' })
  variables?: Variable[];
}
