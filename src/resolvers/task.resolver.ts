import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { RELATIONS } from '../data-model/relations';
import { related } from './related';
import type { RequestContext } from '../context/request-context';
import type { TaskDoc } from '../data-model/documents';
import { Agent } from '../schema/types/agent';
import { Task } from '../schema/types/task';
import { Tool } from '../schema/types/tool';
import { Variable } from '../schema/types/variable';

@Resolver(() => Task)
export class TaskResolver {
  @FieldResolver(() => Agent, { nullable: true, description: 'The agent assigned to the task, if any.' })
  agent(@Root() task: TaskDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.agentOfTask, task);
  }

  @FieldResolver(() => [Tool], { description: 'The tools the task may use, in stored order.' })
  tools(@Root() task: TaskDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.toolsOfTask, task);
  }

  @FieldResolver(() => [Task], { description: 'Tasks whose output this task receives.' })
  context(@Root() task: TaskDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.contextOfTask, task);
  }

  @FieldResolver(() => [Variable], { description: 'The variables the task uses.' })
  variables(@Root() task: TaskDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.variablesOfTask, task);
  }
}
