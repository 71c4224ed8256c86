import { Directive, Field, ObjectType } from 'type-graphql';
import { Node } from './node';
import type { ObjectId } from 'mongodb';
import { CrewProcess } from '../enums';
import { ObjectIdScalar } from '../scalars/object-id';
import { Agent } from './agent';
import { Model } from './model';
import { Task } from './task';

@Directive('@key(fields: "id")')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'A team of agents working through tasks.' })
export class Crew extends Node {
  @Field(() => ObjectIdScalar, { description: 'The crew’s MongoDB id.' })
  _id!: ObjectId;

  @Field(() => String, { nullable: true, description: 'The crew’s name.' })
  name?: string;

  @Field(() => CrewProcess, { nullable: true, description: 'How the crew works through its tasks.' })
  process?: CrewProcess;

  @Field(() => Boolean, { nullable: true, description: 'Whether the crew logs its work.' })
  verbose?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Whether every task’s output is kept, not only the last.' })
  fullOutput?: boolean;

  @Field(() => [Task], { description: 'The crew’s tasks, in crew order.' })
  tasks?: Task[];

  @Field(() => [Agent], { description: 'The crew’s agents, in crew order.' })
  agents?: Agent[];

  @Field(() => Model, { nullable: true, description: 'Hierarchical crews: the model of the manager.' })
  managerModel?: Model;
}
