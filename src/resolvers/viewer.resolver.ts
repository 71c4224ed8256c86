import { Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context/request-context';
import { membershipsOf } from '../data-model/memberships';
import { Viewer } from '../schema/types/viewer';

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { nullable: true, description: 'The calling account; null for anonymous callers.' })
  viewer(@Ctx() ctx: RequestContext): Viewer | null {
    const viewer = ctx.viewer;
    if (!viewer) return null;
    const { account } = viewer;
    return {
      _id: account._id,
      name: account.name,
      email: account.email,
      currentOrg: account.currentOrg,
      currentTeam: account.currentTeam,
      orgs: membershipsOf(account).map((org) => ({
        _id: org.id,
        name: org.name,
        teams: org.teams.map((team) => ({ _id: team.id, name: team.name })),
      })),
      isRoot: viewer.isRoot,
      usesApiKey: viewer.apiKeyId !== undefined,
    };
  }
}
