import { Directive, Field, ObjectType } from 'type-graphql';
import { Node } from './node';
import type { ObjectId } from 'mongodb';
import { DateTimeScalar } from '../scalars/date-time';
import { JSONScalar } from '../scalars/json';
import { ObjectIdScalar } from '../scalars/object-id';
import { Icon } from './common';
import { Agent } from './agent';
import { Tool } from './tool';
import { Variable } from './variable';

@Directive('@key(fields: "id")')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'A step of a crew, done by an agent.' })
export class Task extends Node {
  @Field(() => ObjectIdScalar, { description: 'The task’s MongoDB id.' })
  _id!: ObjectId;

  @Field(() => String, { nullable: true, description: 'The task’s name.' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'What the task asks for.' })
  description?: string;

  @Field(() => String, { nullable: true, description: 'What the task should produce.' })
  expectedOutput?: string;

  @Field(() => Boolean, { nullable: true, description: 'Whether the task runs without waiting for the previous one.' })
  asyncExecution?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Whether a person reviews the task’s output.' })
  requiresHumanInput?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Whether only the final output is shown.' })
  displayOnlyFinalOutput?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Whether the output is stored as a file.' })
  storeTaskOutput?: boolean;

  @Field(() => String, { nullable: true, description: 'The file the output is stored in.' })
  taskOutputFileName?: string;

  @Field(() => Icon, { nullable: true, description: 'The task’s icon.' })
  icon?: Icon;

  @Field(() => JSONScalar, { nullable: true, description: 'Human input form fields, as stored.' })
  formFields?: unknown;

  @Field(() => Boolean, { nullable: true, description: 'Whether the output follows a structure.' })
  isStructuredOutput?: boolean;

  @Field(() => String, { nullable: true, description: 'The variable the output is stored in.' })
  taskOutputVariableName?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the task was created.' })
  dateCreated?: Date;

  @Field(() => Agent, { nullable: true, description: 'The agent assigned to the task, if any.' })
  agent?: Agent;

  @Field(() => [Tool], { description: 'The tools the task may use, in stored order.' })
  tools?: Tool[];

  @Field(() => [Task], { description: 'Tasks whose output this task receives.' })
  context?: Task[];

  @Field(() => [Variable], { description: 'The variables the task uses.' })
  variables?: Variable[];
}
