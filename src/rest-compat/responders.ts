/** What each legacy route answers, on the request's context: the policy decides, the loaders read. */
import type { ObjectId } from 'mongodb';
import type { RequestContext } from '../context/request-context';
import type { SessionDoc } from '../data-model/documents';
import { RELATIONS } from '../data-model/relations';
import { responseTooLarge } from '../errors/budgets';
import { forbidden, notFound } from '../errors/codes';
import { loadPlan } from '../loaders/load-plan';
import { publicTeamSession, readableSessionPage, teamSession } from '../policy/readable-sessions';
import type { Params } from './params';
import { appended, appWithCrew, EMPTY_BODY_DATA, serializeData, sessionBodyData } from './session-body';

export type RouteKind = 'team' | 'public';

/** What a route answers: its JSON without the csrf key, in pieces, and whether it starts with one. */
export interface Answer {
  chunks: string[];
  /** The account the csrf token is made for (null: anonymous); none when the body has no csrf key. */
  csrfAccount?: string | null;
}

export type Responder = (ctx: RequestContext, params: Params, maxResponseBytes: number) => Promise<Answer>;

/** `GET [/s]/{resourceSlug}/session/{sessionId}.json` (docs/api-reference.md). */
export function sessionBody(kind: RouteKind): Responder {
  return async (ctx, { teamId, sessionId }) => {
    const session = kind === 'team' ? await readTeamSession(ctx, teamId, sessionId!) : await readPublicSession(ctx, teamId, sessionId!);
    const data = session ? await sessionBodyData(ctx.loaders, ctx.sessionGraph, session) : EMPTY_BODY_DATA;
    // On the share route a valid token changes nothing, the csrf secret included.
    return { chunks: [serializeData(data)], csrfAccount: kind === 'team' ? (ctx.viewer?.accountId.toHexString() ?? null) : null };
  };
}

/**
 * `GET [/s]/{resourceSlug}/session/{sessionId}/messages.json[?messageId=]` (docs/api-reference.md): a bare
 * array of the session's messages, stored fields in stored order, `_id` ascending, after `messageId`.
 * The webapp also enqueues a job to resume a chat session here; the gateway is read-only and does not.
 */
export function sessionMessages(kind: RouteKind): Responder {
  return async (ctx, { teamId, sessionId, messageId: after }, maxResponseBytes) => {
    const session = kind === 'team' ? await readTeamSession(ctx, teamId, sessionId!) : await readPublicSession(ctx, teamId, sessionId!);
    // Serialized batch by batch as the driver hands them on: what is held is the response's text, never
    // the documents of a whole conversation as well, and a body past the budget stops the reading.
    const chunks: string[] = [];
    let bytes = 2;
    if (session) {
      await ctx.loaders.messages.each(session, after, (docs) => {
        if (docs.length === 0) return;
        const piece = (chunks.length > 0 ? ',' : '') + JSON.stringify(docs).slice(1, -1);
        bytes += Buffer.byteLength(piece);
        if (bytes > maxResponseBytes) throw responseTooLarge(maxResponseBytes);
        chunks.push(piece);
      });
    }
    return { chunks: ['[', ...chunks, ']'] };
  };
}

/** Sessions per page of `sessions.json`, as the webapp pages them. */
const SESSIONS_PAGE = 10;

/** What `sessions.json` reads below each session: its app and the app's crew. */
const SESSION_LIST_PLAN = loadPlan([RELATIONS.appOfSession, RELATIONS.crewOfApp]);

/**
 * `GET /{resourceSlug}/sessions.json[?before=]` (docs/api-reference.md): the 10 newest sessions of the team
 * that the caller may read (the policy's filter in the query), `_id` below `before`, each followed by
 * its app (with its crew appended for a crew app whose crew exists), or no `app` key.
 */
export const teamSessions: Responder = async (ctx, { teamId, before }) => {
  const page = await readableSessionPage(ctx, { teamId, first: SESSIONS_PAGE, afterId: before }, 'Invalid permissions on the resourceSlug');
  const sessions = await Promise.all(page.sessions.map(async (session) => {
    await ctx.sessionGraph.ready(SESSION_LIST_PLAN, session);
    const [app, crew] = await Promise.all([ctx.sessionGraph.stage('app', session), ctx.sessionGraph.stage('crew', session)]);
    return appended(session, 'app', app && appWithCrew(app, crew));
  }));
  return { chunks: [JSON.stringify({ sessions })], csrfAccount: ctx.viewer?.accountId.toHexString() ?? null };
};

async function readTeamSession(ctx: RequestContext, teamId: ObjectId, sessionId: ObjectId): Promise<SessionDoc | null> {
  const lookup = await teamSession(ctx, teamId, sessionId);
  if (lookup.outcome === 'denied') throw forbidden('You do not have permission to read this session');
  return lookup.outcome === 'readable' ? lookup.session : null;
}

async function readPublicSession(ctx: RequestContext, teamId: ObjectId, sessionId: ObjectId): Promise<SessionDoc> {
  const session = await publicTeamSession(ctx, teamId, sessionId);
  if (!session) throw notFound('Session not found');
  return session;
}
