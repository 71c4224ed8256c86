import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { ObjectId } from 'mongodb';
import type { SessionDoc } from '../db/documents';
import { badUserInput } from '../errors/codes';
import { readableSession, readableSessionPage } from '../policy/readable-sessions';
import type { RequestContext } from '../server/request-context';
import { MAX_PAGE_SIZE, SessionsArgs } from '../schema/types/sessions-args';
import { ObjectIdScalar } from '../schema/scalars/object-id';
import { NamedValue } from '../schema/types/common';
import { SessionConnection } from '../schema/types/connection';
import { Session } from '../schema/types/session';
import { App } from '../schema/types/app';
import { Agent } from '../schema/types/agent';
import { Datasource } from '../schema/types/datasource';
import { Model } from '../schema/types/model';
import { Task } from '../schema/types/task';
import { Tool } from '../schema/types/tool';
import { decodeCursor, encodeCursor } from './cursor';
import { relationListCost, sessionPageCost } from '../schema/complexity';


@Resolver(() => Session)
export class SessionResolver {
  @Query(() => Session, {
    nullable: true,
    description: 'A session by id; null when it does not exist or the caller may not read it.',
  })
  session(@Arg('_id', () => ObjectIdScalar) id: ObjectId, @Ctx() ctx: RequestContext) {
    return readableSession(ctx, id);
  }

  @Query(() => SessionConnection, {
    description: `The sessions of a team that the caller may read, newest first. Requires membership of the team. \`first\` is at most ${MAX_PAGE_SIZE}.`,
    complexity: sessionPageCost,
  })
  async sessions(
    @Args(() => SessionsArgs) { teamId, first, after, status, appId }: SessionsArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<SessionConnection> {
    if (first < 0 || first > MAX_PAGE_SIZE) throw badUserInput(`first must be between 0 and ${MAX_PAGE_SIZE}; got ${first}`);
    const page = await readableSessionPage(ctx, {
      teamId,
      first,
      afterId: after == null ? undefined : decodeCursor(after),
      status: status ?? undefined,
      appId: appId ?? undefined,
    });
    const edges = page.sessions.map((node) => ({ cursor: encodeCursor(node._id), node }));
    return {
      edges,
      nodes: page.sessions,
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: false,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
    } as unknown as SessionConnection;
  }

  @FieldResolver(() => [NamedValue])
  variables(@Root() session: SessionDoc): NamedValue[] {
    const stored = session.variables;
    if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return [];
    return Object.entries(stored).map(([name, value]) => ({ name, value: value == null ? null : String(value) }));
  }

  // Read from the session graph, so that everything below the app is already loaded when its fields
  // resolve: a full-graph query then costs one read per collection.
  @FieldResolver(() => App, { nullable: true, description: 'Null when the app was deleted.' })
  async app(@Root() session: SessionDoc, @Ctx() ctx: RequestContext) {
    return (await ctx.sessionGraphs.load(session)).app;
  }

  @FieldResolver(() => [Task], { description: 'The crew’s tasks, in crew order.', complexity: relationListCost })
  async tasks(@Root() session: SessionDoc, @Ctx() ctx: RequestContext) {
    return (await ctx.sessionGraphs.load(session)).tasks;
  }

  @FieldResolver(() => [Agent], { description: 'The crew’s agents in crew order, or the chat app’s agent.', complexity: relationListCost })
  async agents(@Root() session: SessionDoc, @Ctx() ctx: RequestContext) {
    return (await ctx.sessionGraphs.load(session)).agents;
  }

  @FieldResolver(() => [Tool], { description: 'The tools of the agents, then of the tasks, each once.', complexity: relationListCost })
  async tools(@Root() session: SessionDoc, @Ctx() ctx: RequestContext) {
    return (await ctx.sessionGraphs.load(session)).tools;
  }

  @FieldResolver(() => [Model], {
    description: 'Each agent’s model and function model, the crew’s manager model, then the datasources’ models, each once.',
    complexity: relationListCost,
  })
  async models(@Root() session: SessionDoc, @Ctx() ctx: RequestContext) {
    return (await ctx.sessionGraphs.load(session)).models;
  }

  @FieldResolver(() => [Datasource], { description: 'The datasources the tools use, each once.', complexity: relationListCost })
  async datasources(@Root() session: SessionDoc, @Ctx() ctx: RequestContext) {
    return (await ctx.sessionGraphs.load(session)).datasources;
  }
}
