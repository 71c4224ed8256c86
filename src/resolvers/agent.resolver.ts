import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { RELATIONS } from '../data-model/relations';
import { related } from './related';
import type { RequestContext } from '../context/request-context';
import type { AgentDoc } from '../data-model/documents';
import { Agent } from '../schema/types/agent';
import { Model } from '../schema/types/model';
import { Tool } from '../schema/types/tool';
import { Variable } from '../schema/types/variable';

@Resolver(() => Agent)
export class AgentResolver {
  @FieldResolver(() => Model, { nullable: true, description: 'The language model the agent runs on.' })
  model(@Root() agent: AgentDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.modelOfAgent, agent);
  }

  @FieldResolver(() => Model, { nullable: true, description: 'The model used for function calling, if any.' })
  functionModel(@Root() agent: AgentDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.functionModelOfAgent, agent);
  }

  @FieldResolver(() => [Tool], { description: 'The tools the agent may call, in stored order.' })
  tools(@Root() agent: AgentDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.toolsOfAgent, agent);
  }

  @FieldResolver(() => [Variable], { description: 'The variables the agent uses.' })
  variables(@Root() agent: AgentDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.variablesOfAgent, agent);
  }
}
