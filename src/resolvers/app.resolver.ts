import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { AppDoc } from '../db/documents';
import { chatAgentOfApp, crewOfApp, kickOffVariablesOfApp } from '../graph/relations';
import type { RequestContext } from '../server/request-context';
import { Agent } from '../schema/types/agent';
import { App } from '../schema/types/app';
import { Crew } from '../schema/types/crew';
import { Variable } from '../schema/types/variable';
import { relationListCost } from '../schema/complexity';

@Resolver(() => App)
export class AppResolver {
  @FieldResolver(() => Crew, { nullable: true, description: 'Crew apps: the crew; null for chat apps or a deleted crew.' })
  crew(@Root() app: AppDoc, @Ctx() ctx: RequestContext) {
    return crewOfApp(ctx.loaders, app);
  }

  @FieldResolver(() => Agent, { nullable: true, description: 'Chat apps: the agent; null for crew apps or a deleted agent.' })
  agent(@Root() app: AppDoc, @Ctx() ctx: RequestContext) {
    return chatAgentOfApp(ctx.loaders, app);
  }

  @FieldResolver(() => [Variable], { description: 'Variables asked for when the app starts.', complexity: relationListCost })
  kickOffVariables(@Root() app: AppDoc, @Ctx() ctx: RequestContext) {
    return kickOffVariablesOfApp(ctx.loaders, app);
  }
}
