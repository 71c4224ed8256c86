/**
 * The three ways a caller reaches sessions, each applying the access policy (docs/access.md): one by id,
 * one in a given team (the REST route), and a team's page (the `sessions` query).
 */
import type { Document, ObjectId } from 'mongodb';
import type { Viewer } from '../auth/identity';
import type { CollectionName, SessionDoc } from '../data-model/documents';
import { sameId } from '../data-model/object-id';
import { forbidden, unauthenticated } from '../errors/codes';
import type { Loaders } from '../loaders';
import type { AccessPolicy } from './access-policy';

/** What reading sessions needs of a request (its context has all of it). */
export interface ReadScope {
  loaders: Loaders;
  viewer: Viewer | null;
  policy: AccessPolicy;
  anonymousPolicy: AccessPolicy;
}

/**
 * The session if it exists and the caller may read it; null otherwise, whatever the reason, and after
 * the same reads either way, so that its timing does not tell a missing session from a denied one.
 */
export async function readableSession(ctx: ReadScope, id: ObjectId): Promise<SessionDoc | null> {
  const session = await ctx.loaders.sessions.load(id);
  if (!session) {
    await ctx.policy.spendDenialReads();
    return null;
  }
  return (await ctx.policy.canReadSession(session)) ? session : null;
}

export type TeamSessionLookup =
  | { outcome: 'readable'; session: SessionDoc }
  | { outcome: 'missing' }
  | { outcome: 'denied' };

/**
 * A session of a given team, for a caller that must be a member of that team (an admin bit does not
 * replace membership here). Throws UNAUTHENTICATED for anonymous callers and FORBIDDEN for others.
 */
export async function teamSession(ctx: ReadScope, teamId: ObjectId, id: ObjectId): Promise<TeamSessionLookup> {
  assertMember(ctx, teamId, 'Invalid permissions on the resourceSlug');
  const session = await sessionOfTeam(ctx, teamId, id);
  if (!session) return { outcome: 'missing' };
  return (await ctx.policy.canReadSession(session)) ? { outcome: 'readable', session } : { outcome: 'denied' };
}

/**
 * A session of a team that anyone may read, for the credential-free share route: the policy is asked
 * as for an anonymous caller, so a valid token changes nothing. Null when missing or not readable.
 */
export async function publicTeamSession(ctx: ReadScope, teamId: ObjectId, id: ObjectId): Promise<SessionDoc | null> {
  const session = await sessionOfTeam(ctx, teamId, id);
  if (!session) return null;
  return (await ctx.anonymousPolicy.canReadSession(session)) ? session : null;
}

/** The session when it exists in that team; a session of another team counts as missing. */
async function sessionOfTeam(ctx: ReadScope, teamId: ObjectId, id: ObjectId): Promise<SessionDoc | null> {
  const session = await ctx.loaders.sessions.load(id);
  return session && sameId(teamId, session.teamId) ? session : null;
}

export interface SessionPageRequest {
  teamId: ObjectId;
  first: number;
  afterId?: ObjectId;
  status?: string;
  appId?: ObjectId;
}

export interface SessionPage {
  sessions: SessionDoc[];
  hasNextPage: boolean;
}

/**
 * The caller's readable sessions of a team, newest first: the policy's filter goes into the query, so
 * one `find` of `first + 1` sessions gives the page and whether another follows, however many sessions
 * of the team the caller may not read. The policy's own check still runs on each one, as a guard; when
 * it refuses some that the filter let through (an anomalous stored document), the page reads on past
 * them, asking twice as many each time, so that it is still full and `hasNextPage` still true.
 */
export async function readableSessionPage(ctx: ReadScope, request: SessionPageRequest, deniedMessage = 'Not a member of this team'): Promise<SessionPage> {
  assertMember(ctx, request.teamId, deniedMessage);
  const readable = await ctx.policy.sessionListFilter(request.teamId);
  const wanted = request.first + 1;
  const found: SessionDoc[] = [];
  let beforeId = request.afterId;
  for (let ask = wanted; ; ask *= 2) {
    const docs = await ctx.loaders.listSessions({ teamId: request.teamId, readable, status: request.status, appId: request.appId, beforeId }, ask);
    const allowed = await Promise.all(docs.map((doc) => ctx.policy.canReadSession(doc)));
    for (let i = 0; i < docs.length && found.length < wanted; i++) if (allowed[i]) found.push(docs[i]);
    if (found.length >= wanted || docs.length < ask) break;
    beforeId = docs[docs.length - 1]._id;
  }
  return { sessions: found.slice(0, request.first), hasNextPage: found.length > request.first };
}

function assertMember(ctx: ReadScope, teamId: ObjectId, deniedMessage: string): void {
  if (!ctx.viewer) throw unauthenticated('Authentication is required');
  if (!ctx.policy.isMember(teamId)) throw forbidden(deniedMessage);
}

/**
 * A document reached through a session (a Relay id, a federation reference): the session must be
 * readable (§3.1–2) and the document part of its graph (§3.3), in the session's team. Null otherwise,
 * whatever the reason, as for `session(_id)`.
 */
export async function readableInSession(ctx: ReadScope, sessionId: ObjectId, collection: CollectionName, id: ObjectId): Promise<Document | null> {
  const session = await readableSession(ctx, sessionId);
  return session ? ctx.policy.findInSessionGraph(session, collection, id) : null;
}
