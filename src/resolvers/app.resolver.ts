import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { RELATIONS } from '../data-model/relations';
import { related } from './related';
import type { RequestContext } from '../context/request-context';
import type { AppDoc } from '../data-model/documents';
import { Agent } from '../schema/types/agent';
import { App } from '../schema/types/app';
import { Crew } from '../schema/types/crew';
import { Variable } from '../schema/types/variable';

@Resolver(() => App)
export class AppResolver {
  @FieldResolver(() => Crew, { nullable: true, description: 'Crew apps: the crew; null for chat apps or a deleted crew.' })
  crew(@Root() app: AppDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.crewOfApp, app);
  }

  @FieldResolver(() => Agent, { nullable: true, description: 'Chat apps: the agent; null for crew apps or a deleted agent.' })
  agent(@Root() app: AppDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.chatAgentOfApp, app);
  }

  @FieldResolver(() => [Variable], { description: 'Variables asked for when the app starts.' })
  kickOffVariables(@Root() app: AppDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.kickOffVariablesOfApp, app);
  }
}
