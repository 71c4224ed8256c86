import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { TaskDoc } from '../db/documents';
import { agentOfTask, contextOfTask, toolsOfTask, variablesOfTask } from '../graph/relations';
import type { RequestContext } from '../server/request-context';
import { Agent } from '../schema/types/agent';
import { Task } from '../schema/types/task';
import { Tool } from '../schema/types/tool';
import { Variable } from '../schema/types/variable';
import { relationListCost } from '../schema/complexity';

@Resolver(() => Task)
export class TaskResolver {
  @FieldResolver(() => Agent, { nullable: true })
  agent(@Root() task: TaskDoc, @Ctx() ctx: RequestContext) {
    return agentOfTask(ctx.loaders, task);
  }

  @FieldResolver(() => [Tool], { complexity: relationListCost })
  tools(@Root() task: TaskDoc, @Ctx() ctx: RequestContext) {
    return toolsOfTask(ctx.loaders, task);
  }

  @FieldResolver(() => [Task], { description: 'Tasks whose output this task receives.', complexity: relationListCost })
  context(@Root() task: TaskDoc, @Ctx() ctx: RequestContext) {
    return contextOfTask(ctx.loaders, task);
  }

  @FieldResolver(() => [Variable], { complexity: relationListCost })
  variables(@Root() task: TaskDoc, @Ctx() ctx: RequestContext) {
    return variablesOfTask(ctx.loaders, task);
  }
}
