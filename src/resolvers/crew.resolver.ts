import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { RELATIONS } from '../data-model/relations';
import { related } from './related';
import type { RequestContext } from '../context/request-context';
import type { CrewDoc } from '../data-model/documents';
import { Agent } from '../schema/types/agent';
import { Crew } from '../schema/types/crew';
import { Model } from '../schema/types/model';
import { Task } from '../schema/types/task';

@Resolver(() => Crew)
export class CrewResolver {
  @FieldResolver(() => [Task], { description: 'The crew’s tasks, in crew order.' })
  tasks(@Root() crew: CrewDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.tasksOfCrew, crew);
  }

  @FieldResolver(() => [Agent], { description: 'The crew’s agents, in crew order.' })
  agents(@Root() crew: CrewDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.agentsOfCrew, crew);
  }

  @FieldResolver(() => Model, { nullable: true, description: 'Hierarchical crews: the model of the manager.' })
  managerModel(@Root() crew: CrewDoc, @Ctx() ctx: RequestContext) {
    return related(ctx, RELATIONS.managerModelOfCrew, crew);
  }
}
