import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { AgentDoc } from '../db/documents';
import { functionModelOfAgent, modelOfAgent, toolsOfAgent, variablesOfAgent } from '../graph/relations';
import type { RequestContext } from '../server/request-context';
import { Agent } from '../schema/types/agent';
import { Model } from '../schema/types/model';
import { Tool } from '../schema/types/tool';
import { Variable } from '../schema/types/variable';
import { relationListCost } from '../schema/complexity';

@Resolver(() => Agent)
export class AgentResolver {
  @FieldResolver(() => Model, { nullable: true })
  model(@Root() agent: AgentDoc, @Ctx() ctx: RequestContext) {
    return modelOfAgent(ctx.loaders, agent);
  }

  @FieldResolver(() => Model, { nullable: true, description: 'The model used for function calling, if any.' })
  functionModel(@Root() agent: AgentDoc, @Ctx() ctx: RequestContext) {
    return functionModelOfAgent(ctx.loaders, agent);
  }

  @FieldResolver(() => [Tool], { complexity: relationListCost })
  tools(@Root() agent: AgentDoc, @Ctx() ctx: RequestContext) {
    return toolsOfAgent(ctx.loaders, agent);
  }

  @FieldResolver(() => [Variable], { complexity: relationListCost })
  variables(@Root() agent: AgentDoc, @Ctx() ctx: RequestContext) {
    return variablesOfAgent(ctx.loaders, agent);
  }
}
