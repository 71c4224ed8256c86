/**
 * The legacy REST routes (CONTRACT §4), on the same request context, loaders and access policy as
 * GraphQL:
 *   GET /{resourceSlug}/session/{sessionId}.json    members of the team
 *   GET /s/{resourceSlug}/session/{sessionId}.json  anyone, for public sessions (share links)
 * HEAD works on both (Express answers it from GET), with a weak ETag and 304 on If-None-Match.
 */
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { ObjectId } from 'mongodb';
import type { SessionDoc } from '../data-model/documents';
import { isObjectIdHex } from '../db/object-id';
import { badUserInput, ErrorCode, forbidden, HTTP_STATUS, httpHeadersFor, notFound, type GatewayError } from '../errors/codes';
import { toGatewayError } from '../errors/classify';
import type { Logger } from '../observability/logger';
import { publicTeamSession, teamSession } from '../policy/readable-sessions';
import { createRequestContext, type ContextDependencies, type RequestContext } from '../context/request-context';
import { createCsrfToken, csrfSecret } from './csrf';
import { responseTooLarge } from '../errors/budgets';
import { EMPTY_BODY_DATA, serializeData, sessionBodyData, withCsrf, type SessionBodyData } from './session-body';

export function restCompatRouter(deps: ContextDependencies, logger: Logger, maxResponseBytes = Infinity): Router {
  const router = Router();
  router.get('/s/:resourceSlug/session/:sessionId.json', handler(deps, logger, 'public', maxResponseBytes));
  router.get('/:resourceSlug/session/:sessionId.json', handler(deps, logger, 'team', maxResponseBytes));
  return router;
}

type RouteKind = 'team' | 'public';

function handler(deps: ContextDependencies, logger: Logger, kind: RouteKind, maxResponseBytes: number) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      const teamId = pathId(req.params.resourceSlug, 'resourceSlug');
      const sessionId = pathId(req.params.sessionId, 'sessionId');
      const authorization = req.headers.authorization;
      const ctx = await createRequestContext(deps, { requestId: res.locals.requestId, authorization });
      res.locals.reads = ctx.reads; // the access log and db_commands_per_request read its count at the end
      const session = kind === 'team' ? await readTeamSession(ctx, teamId, sessionId) : await readPublicSession(ctx, teamId, sessionId);
      const data = session ? await sessionBodyData(ctx.loaders, ctx.sessionGraph, session) : EMPTY_BODY_DATA;
      // On the share route a valid token changes nothing, the csrf secret included.
      const csrfAccount = kind === 'team' ? (ctx.viewer?.accountId.toHexString() ?? null) : null;
      sendBody(req, res, csrfSecret(deps.csrfSecret ?? deps.jwtSecret, csrfAccount), data, maxResponseBytes);
    } catch (error) {
      sendError(res, logger, error);
    }
  };
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
function sendBody(req: Request, res: Response, csrfSecretValue: string, data: SessionBodyData, maxResponseBytes: number): void {
  const json = serializeData(data);
  if (Buffer.byteLength(json) > maxResponseBytes) throw responseTooLarge(maxResponseBytes);
  const etag = `W/"${createHash('sha1').update(json).digest('base64url')}"`;
  res.set('ETag', etag);
  res.set('Cache-Control', 'private, no-cache');
  res.set('Vary', 'Authorization');
  if (matchesEtag(req.get('if-none-match'), etag)) {
    res.status(304).end();
    return;
  }
  res.status(200).type('application/json; charset=utf-8').end(withCsrf(createCsrfToken(csrfSecretValue), json));
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
    logger.error({ err: error, requestId }, 'unexpected error while serving a session .json');
    message = `${message} (request id ${requestId})`;
  } else if (safe.code === ErrorCode.SERVICE_UNAVAILABLE) {
    logger.warn({ err: error, requestId: res.locals.requestId }, 'database unreachable');
  }
  res.status(status).set(httpHeadersFor(safe.code)).type('application/json; charset=utf-8');
  res.end(JSON.stringify({ message, code: status }));
}
