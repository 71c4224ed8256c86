/**
 * The three ways a caller reaches sessions, each applying the access policy (CONTRACT §3): one by id,
 * one in a given team (the REST route), and a team's page (the `sessions` query).
 */
import type { ObjectId } from 'mongodb';
import type { SessionDoc } from '../db/documents';
import { forbidden, unauthenticated } from '../errors/codes';
import type { RequestContext } from '../server/request-context';

/** The session if it exists and the caller may read it; null otherwise, whatever the reason. */
export async function readableSession(ctx: RequestContext, id: ObjectId): Promise<SessionDoc | null> {
  const session = await ctx.loaders.sessions.load(id);
  return session && (await ctx.policy.canReadSession(session)) ? session : null;
}

export type TeamSessionLookup =
  | { outcome: 'readable'; session: SessionDoc }
  | { outcome: 'missing' }
  | { outcome: 'denied' };

/**
 * A session of a given team, for a caller that must be a member of that team (an admin bit does not
 * replace membership here). Throws UNAUTHENTICATED for anonymous callers and FORBIDDEN for others.
 */
export async function teamSession(ctx: RequestContext, teamId: ObjectId, id: ObjectId): Promise<TeamSessionLookup> {
  assertMember(ctx, teamId, 'Invalid permissions on the resourceSlug');
  const session = await sessionOfTeam(ctx, teamId, id);
  if (!session) return { outcome: 'missing' };
  return (await ctx.policy.canReadSession(session)) ? { outcome: 'readable', session } : { outcome: 'denied' };
}

/**
 * A session of a team that anyone may read, for the credential-free share route: the policy is asked
 * as for an anonymous caller, so a valid token changes nothing. Null when missing or not readable.
 */
export async function publicTeamSession(ctx: RequestContext, teamId: ObjectId, id: ObjectId): Promise<SessionDoc | null> {
  const session = await sessionOfTeam(ctx, teamId, id);
  if (!session) return null;
  return (await ctx.anonymousPolicy.canReadSession(session)) ? session : null;
}

/** The session when it exists in that team; a session of another team counts as missing. */
async function sessionOfTeam(ctx: RequestContext, teamId: ObjectId, id: ObjectId): Promise<SessionDoc | null> {
  const session = await ctx.loaders.sessions.load(id);
  return session?.teamId?.equals(teamId) ? session : null;
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

/** Largest chunk read at once while skipping sessions the caller may not read. */
const MAX_CHUNK = 500;

/**
 * The caller's readable sessions of a team, newest first. The policy filters in code (one rule, not a
 * second copy as a query), so unreadable sessions are skipped by reading further chunks until the
 * page is full or the team has no more sessions.
 */
export async function readableSessionPage(ctx: RequestContext, request: SessionPageRequest): Promise<SessionPage> {
  assertMember(ctx, request.teamId, 'Not a member of this team');
  const wanted = request.first + 1; // one more than asked tells whether a next page exists
  const found: SessionDoc[] = [];
  let beforeId = request.afterId;
  let chunk = wanted;
  while (found.length < wanted) {
    const docs = await ctx.loaders.listSessions({ teamId: request.teamId, status: request.status, appId: request.appId, beforeId }, chunk);
    const readable = await Promise.all(docs.map((doc) => ctx.policy.canReadSession(doc)));
    found.push(...docs.filter((_, i) => readable[i]));
    if (docs.length < chunk) break;
    beforeId = docs[docs.length - 1]._id;
    chunk = Math.min(chunk * 2, MAX_CHUNK);
  }
  return { sessions: found.slice(0, request.first), hasNextPage: found.length > request.first };
}

function assertMember(ctx: RequestContext, teamId: ObjectId, deniedMessage: string): void {
  if (!ctx.viewer) throw unauthenticated('Authentication is required');
  if (!ctx.policy.isMember(teamId)) throw forbidden(deniedMessage);
}
