import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { CrewDoc } from '../db/documents';
import { agentsOfCrew, managerModelOfCrew, tasksOfCrew } from '../graph/relations';
import type { RequestContext } from '../server/request-context';
import { Agent } from '../schema/types/agent';
import { Crew } from '../schema/types/crew';
import { Model } from '../schema/types/model';
import { Task } from '../schema/types/task';
import { relationListCost } from '../schema/complexity';

@Resolver(() => Crew)
export class CrewResolver {
  @FieldResolver(() => [Task], { complexity: relationListCost })
  tasks(@Root() crew: CrewDoc, @Ctx() ctx: RequestContext) {
    return tasksOfCrew(ctx.loaders, crew);
  }

  @FieldResolver(() => [Agent], { complexity: relationListCost })
  agents(@Root() crew: CrewDoc, @Ctx() ctx: RequestContext) {
    return agentsOfCrew(ctx.loaders, crew);
  }

  @FieldResolver(() => Model, { nullable: true, description: 'Hierarchical crews: the model of the manager.' })
  managerModel(@Root() crew: CrewDoc, @Ctx() ctx: RequestContext) {
    return managerModelOfCrew(ctx.loaders, crew);
  }
}
