import { isStoredDocument } from '../data-model/value-kind';
import { Arg, Args, Ctx, FieldResolver, Info, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { ObjectId } from 'mongodb';
import type { SessionDoc } from '../data-model/documents';
import { SESSION_GRAPH, stageCollection, type StageName, type StageValues } from '../data-model/session-graph';
import { markAll } from './related';
import { isPromise, type MaybePromise } from '../loaders/maybe-promise';
import { Reads } from '../loaders/batched-loads';
import { returnedSessionSelections, sessionSelection, type SessionSelection } from './selection-plan';
import { readableSession, readableSessionPage } from '../policy/readable-sessions';
import type { RequestContext } from '../context/request-context';
import { SessionsArgs } from '../schema/types/sessions-args';
import { checkPageSize, PAGES } from '../schema/page-size';
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
import { connectionOf, decodeCursor } from './cursor';

@Resolver(() => Session)
export class SessionResolver {
  @Query(() => Session, {
    nullable: true,
    description: 'A session by id; null when it does not exist or the caller may not read it.',
  })
  async session(
    @Arg('_id', () => ObjectIdScalar, { description: 'The session’s id.' }) id: ObjectId,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<SessionDoc | null> {
    const session = await readableSession(ctx, id);
    // what the selection reads below it, read before its fields resolve: they then resolve at once
    if (session) await readFirst(ctx, returnedSessionSelections(info, 0), [session]);
    return session;
  }

  @Query(() => SessionConnection, {
    description: `The sessions of a team that the caller may read, newest first. Requires membership of the team. \`first\` is at most ${PAGES.sessions.max}.`
  })
  async sessions(
    @Args(() => SessionsArgs) { teamId, first, after, status, appId }: SessionsArgs,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<SessionConnection> {
    checkPageSize(PAGES.sessions, first);
    const page = await readableSessionPage(ctx, {
      teamId,
      first,
      afterId: after == null ? undefined : decodeCursor('session', after),
      status: status ?? undefined,
      appId: appId ?? undefined,
    });
    await readFirst(ctx, returnedSessionSelections(info, 2), page.sessions);
    return connectionOf('session', page.sessions, page.hasNextPage, after) as unknown as SessionConnection;
  }

  @FieldResolver(() => [NamedValue])
  variables(@Root() session: SessionDoc): NamedValue[] {
    const stored = session.variables;
    if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return [];
    return Object.entries(stored).map(([name, value]) => ({ name, value: asVariableValue(value) }));
  }

  // Session's relations wait for the whole load plan of the session, so that the fields below them
  // find their documents loaded: one read per collection for the whole selection.
  @FieldResolver(() => App, { nullable: true, description: SESSION_GRAPH.app.description })
  app(@Root() session: SessionDoc, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo) {
    return sessionStage(ctx, info, session, 'app');
  }

  @FieldResolver(() => [Task], { description: SESSION_GRAPH.tasks.description })
  tasks(@Root() session: SessionDoc, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo) {
    return sessionStage(ctx, info, session, 'tasks');
  }

  @FieldResolver(() => [Agent], { description: SESSION_GRAPH.agents.description })
  agents(@Root() session: SessionDoc, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo) {
    return sessionStage(ctx, info, session, 'agents');
  }

  @FieldResolver(() => [Tool], { description: SESSION_GRAPH.tools.description })
  tools(@Root() session: SessionDoc, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo) {
    return sessionStage(ctx, info, session, 'tools');
  }

  @FieldResolver(() => [Model], { description: SESSION_GRAPH.models.description })
  models(@Root() session: SessionDoc, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo) {
    return sessionStage(ctx, info, session, 'models');
  }

  @FieldResolver(() => [Datasource], { description: SESSION_GRAPH.datasources.description })
  datasources(@Root() session: SessionDoc, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo) {
    return sessionStage(ctx, info, session, 'datasources');
  }
}

/** Reads what the selections read below the sessions, before their fields resolve (those that may be skipped wait for their fields). */
async function readFirst(ctx: RequestContext, selections: SessionSelection[], sessions: readonly SessionDoc[]): Promise<void> {
  // all started in one turn: their reads share the batches
  const reads = new Reads();
  for (const selection of selections) if (selection.eager) reads.add(ctx.sessionGraph.loadAll(selection.plan, sessions));
  await reads.all();
}

function sessionStage<S extends StageName>(ctx: RequestContext, info: GraphQLResolveInfo, session: SessionDoc, stage: S): MaybePromise<StageValues[S]> {
  const { plan, marks } = sessionSelection(info);
  const ready = ctx.sessionGraph.ready(plan, session);
  return ready ? ready.then(() => shownStage(ctx, session, stage, marks)) : shownStage(ctx, session, stage, marks);
}

// a function of the module, not a closure per call: V8 keeps its optimized code (see src/loaders/session-graph-loader.ts)
function shownStage<S extends StageName>(ctx: RequestContext, session: SessionDoc, stage: S, marks: boolean): MaybePromise<StageValues[S]> {
  const value = ctx.sessionGraph.stage(stage, session);
  // unmarked documents give unmarked documents through every relation below them (./related.ts)
  if (!marks) return value;
  return isPromise(value) ? value.then((found) => markStage(found, stage, session)) : markStage(value, stage, session);
}

function markStage<S extends StageName>(value: StageValues[S], stage: S, session: SessionDoc): StageValues[S] {
  return markAll(value as object | object[] | null, stageCollection(stage), session._id) as StageValues[S];
}

/**
 * A stored variable's value for the String scalar: a BSON value (a Date, a Decimal128, a Long) as its
 * text; a list or a document as it is, which the scalar refuses as stored data.
 */
function asVariableValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return isStoredDocument(value) ? value : String(value);
}
