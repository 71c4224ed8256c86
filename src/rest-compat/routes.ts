/**
 * The legacy REST routes (CONTRACT §4, §4.1), on the same request context, loaders and access policy
 * as GraphQL:
 *   GET /{resourceSlug}/session/{sessionId}.json                members of the team
 *   GET /s/{resourceSlug}/session/{sessionId}.json              anyone, for public sessions (share links)
 *   GET /{resourceSlug}/session/{sessionId}/messages.json       members of the team
 *   GET /s/{resourceSlug}/session/{sessionId}/messages.json     anyone, for public sessions
 *   GET /{resourceSlug}/sessions.json                           members of the team
 * HEAD works on all (Express answers it from GET), with a weak ETag and 304 on If-None-Match.
 */
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { ObjectId } from 'mongodb';
import type { SessionDoc } from '../data-model/documents';
import { isObjectIdHex } from '../db/object-id';
import { badUserInput, ErrorCode, forbidden, HTTP_STATUS, httpHeadersFor, notFound, type GatewayError } from '../errors/codes';
import { toGatewayError } from '../errors/classify';
import type { Logger } from '../observability/logger';
import { publicTeamSession, readableSessionPage, teamSession } from '../policy/readable-sessions';
import { createRequestContext, type ContextDependencies, type RequestContext } from '../context/request-context';
import { createCsrfToken, csrfSecret } from './csrf';
import { responseTooLarge } from '../errors/budgets';
import { EMPTY_BODY_DATA, serializeData, sessionBodyData, withCsrf } from './session-body';
import { RELATIONS } from '../data-model/relations';
import { loadPlan } from '../loaders/load-plan';

export function restCompatRouter(deps: ContextDependencies, logger: Logger, maxResponseBytes = Infinity): Router {
  const router = Router();
  const route = (path: string, respond: Responder) => router.get(path, handler(deps, logger, maxResponseBytes, respond));
  route('/s/:resourceSlug/session/:sessionId.json', sessionBody('public'));
  route('/:resourceSlug/session/:sessionId.json', sessionBody('team'));
  route('/s/:resourceSlug/session/:sessionId/messages.json', sessionMessages('public'));
  route('/:resourceSlug/session/:sessionId/messages.json', sessionMessages('team'));
  route('/:resourceSlug/sessions.json', teamSessions);
  return router;
}

type RouteKind = 'team' | 'public';

/** What a route answers: its JSON without the csrf key, in pieces, and whether it starts with one. */
interface Answer {
  chunks: string[];
  /** The account the csrf token is made for (null: anonymous); none when the body has no csrf key. */
  csrfAccount?: string | null;
}

/** The route's parameters, checked before anything else (a bad one is a 400 whatever the credentials). */
interface Params {
  teamId: ObjectId;
  /** Set on the routes of one session. */
  sessionId?: ObjectId;
  /** `?messageId=`: only messages after it. */
  messageId?: ObjectId;
  /** `?before=`: only sessions before it (`null` or absent: from the newest). */
  before?: ObjectId;
}

type Responder = (ctx: RequestContext, params: Params, maxResponseBytes: number) => Promise<Answer>;

function handler(deps: ContextDependencies, logger: Logger, maxResponseBytes: number, respond: Responder) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      const authorization = req.headers.authorization;
      const teamId = pathId(req.params.resourceSlug, 'resourceSlug');
      const params: Params = {
        teamId,
        sessionId: req.params.sessionId === undefined ? undefined : pathId(req.params.sessionId, 'sessionId'),
        messageId: optionalQueryId(req.query.messageId, 'messageId'),
        before: req.query.before === 'null' ? undefined : optionalQueryId(req.query.before, 'before'),
      };
      const ctx = await createRequestContext(deps, { requestId: res.locals.requestId, authorization });
      res.locals.reads = ctx.reads; // the access log and db_commands_per_request read its count at the end
      const answer = await respond(ctx, params, maxResponseBytes);
      if (answer.chunks.reduce((bytes, chunk) => bytes + Buffer.byteLength(chunk), 0) > maxResponseBytes) throw responseTooLarge(maxResponseBytes);
      const csrf = answer.csrfAccount === undefined ? undefined : createCsrfToken(csrfSecret(deps.csrfSecret ?? deps.jwtSecret, answer.csrfAccount));
      sendBody(req, res, answer.chunks, csrf);
    } catch (error) {
      sendError(res, logger, error);
    }
  };
}

/** `GET [/s]/{resourceSlug}/session/{sessionId}.json` (CONTRACT §4). */
function sessionBody(kind: RouteKind): Responder {
  return async (ctx, { teamId, sessionId }) => {
    const session = kind === 'team' ? await readTeamSession(ctx, teamId, sessionId!) : await readPublicSession(ctx, teamId, sessionId!);
    const data = session ? await sessionBodyData(ctx.loaders, ctx.sessionGraph, session) : EMPTY_BODY_DATA;
    // On the share route a valid token changes nothing, the csrf secret included.
    return { chunks: [serializeData(data)], csrfAccount: kind === 'team' ? (ctx.viewer?.accountId.toHexString() ?? null) : null };
  };
}

/**
 * `GET [/s]/{resourceSlug}/session/{sessionId}/messages.json[?messageId=]` (CONTRACT §4.1): a bare
 * array of the session's messages, stored fields in stored order, `_id` ascending, after `messageId`.
 * The webapp also enqueues a job to resume a chat session here; the gateway is read-only and does not.
 */
function sessionMessages(kind: RouteKind): Responder {
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
 * `GET /{resourceSlug}/sessions.json[?before=]` (CONTRACT §4.1): the 10 newest sessions of the team
 * that the caller may read (the policy's filter in the query), `_id` below `before`, each followed by
 * its app (with its crew appended for a crew app whose crew exists), or no `app` key.
 */
const teamSessions: Responder = async (ctx, { teamId, before }) => {
  const page = await readableSessionPage(ctx, { teamId, first: SESSIONS_PAGE, afterId: before }, 'Invalid permissions on the resourceSlug');
  const sessions = await Promise.all(page.sessions.map(async (session) => {
    await ctx.sessionGraph.ready(SESSION_LIST_PLAN, session);
    const [app, crew] = await Promise.all([ctx.sessionGraph.stage('app', session), ctx.sessionGraph.stage('crew', session)]);
    if (!app) return session;
    return { ...session, app: crew ? { ...app, crew } : app };
  }));
  return { chunks: [JSON.stringify({ sessions })], csrfAccount: ctx.viewer?.accountId.toHexString() ?? null };
};

/** An optional id of the query string: absent is undefined; anything but 24 lowercase hex is a 400. */
function optionalQueryId(value: unknown, name: string): ObjectId | undefined {
  if (value === undefined) return undefined;
  return pathId(value as string, name);
}

function pathId(value: string | string[] | undefined, name: string): ObjectId {
  if (!isObjectIdHex(value)) throw badUserInput(`Invalid ${name}: expected 24 lowercase hex characters`);
  return new ObjectId(value);
}

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

/**
 * The csrf token is new on every call, so the ETag is computed over the rest of the body: a weak
 * validator, equal when the data is.
 */
function sendBody(req: Request, res: Response, chunks: string[], csrf: string | undefined): void {
  const hash = createHash('sha1');
  for (const chunk of chunks) hash.update(chunk);
  const etag = `W/"${hash.digest('base64url')}"`;
  res.set('ETag', etag);
  res.set('Cache-Control', 'private, no-cache');
  res.set('Vary', 'Authorization');
  if (matchesEtag(req.get('if-none-match'), etag)) {
    res.status(304).end();
    return;
  }
  const [first, ...rest] = chunks;
  const head = csrf === undefined ? first : withCsrf(csrf, first);
  const length = rest.reduce((bytes, chunk) => bytes + Buffer.byteLength(chunk), Buffer.byteLength(head));
  res.status(200).type('application/json; charset=utf-8').set('Content-Length', String(length));
  res.write(head);
  for (const chunk of rest) res.write(chunk);
  res.end();
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = etag.slice(2);
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === opaque || t.slice(2) === opaque;
  });
}

function sendError(res: Response, logger: Logger, error: unknown): void {
  const safe: GatewayError = toGatewayError(error);
  const status = HTTP_STATUS[safe.code];
  let message = safe.message;
  if (safe.code === ErrorCode.INTERNAL_SERVER_ERROR) {
    const requestId = res.locals.requestId;
    logger.error({ err: error, requestId }, 'unexpected error while serving a legacy .json route');
    message = `${message} (request id ${requestId})`;
  } else if (safe.code === ErrorCode.SERVICE_UNAVAILABLE) {
    logger.warn({ err: error, requestId: res.locals.requestId }, 'database unreachable');
  }
  res.status(status).set(httpHeadersFor(safe.code)).type('application/json; charset=utf-8');
  res.end(JSON.stringify({ message, code: status }));
}
