/**
 * The legacy REST routes (docs/api-reference.md, "REST routes"), on the same request context, loaders and access policy
 * as GraphQL:
 *   GET /{resourceSlug}/session/{sessionId}.json                members of the team
 *   GET /s/{resourceSlug}/session/{sessionId}.json              anyone, for public sessions (share links)
 *   GET /{resourceSlug}/session/{sessionId}/messages.json       members of the team
 *   GET /s/{resourceSlug}/session/{sessionId}/messages.json     anyone, for public sessions
 *   GET /{resourceSlug}/sessions.json                           members of the team
 * HEAD works on all (Express answers it from GET), with a weak ETag and 304 on If-None-Match.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { ContextFactory } from '../context/request-context';
import { responseTooLarge } from '../errors/budgets';
import type { Logger } from '../observability/logger';
import { sendBody } from './body-response';
import { createCsrfToken, csrfSecret } from './csrf';
import { sendError } from './error-response';
import { routeParams, type QueryParam } from './params';
import { sessionBody, sessionMessages, teamSessions, type Responder } from './responders';

/** `admit`: what a matched request passes first (its quota, its turn), with its route known. */
export function restCompatRouter(contexts: ContextFactory, logger: Logger, maxResponseBytes = Infinity, admit: RequestHandler[] = []): Router {
  const router = Router();
  // each with the query parameter it takes, if any (others are ignored, as the webapp ignores them)
  const route = (path: string, respond: Responder, query?: QueryParam) => router.get(path, ...admit, handler(contexts, logger, maxResponseBytes, respond, query));
  route('/s/:resourceSlug/session/:sessionId.json', sessionBody('public'));
  route('/:resourceSlug/session/:sessionId.json', sessionBody('team'));
  route('/s/:resourceSlug/session/:sessionId/messages.json', sessionMessages('public'), 'messageId');
  route('/:resourceSlug/session/:sessionId/messages.json', sessionMessages('team'), 'messageId');
  route('/:resourceSlug/sessions.json', teamSessions, 'before');
  return router;
}

/** Answers one route: parameters, then the caller's context, then the responder; every error as the webapp shapes it. */
function handler(contexts: ContextFactory, logger: Logger, maxResponseBytes: number, respond: Responder, query: QueryParam | undefined) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      const params = routeParams(req, query);
      const ctx = await contexts.forRequest({ requestId: res.locals.requestId, authorization: req.headers.authorization, trace: res.locals.trace, receivedAt: res.locals.receivedAt });
      res.locals.reads = ctx.reads; // the access log and db_commands_per_request read its count at the end
      const answer = await respond(ctx, params, maxResponseBytes);
      if (answer.chunks.reduce((bytes, chunk) => bytes + Buffer.byteLength(chunk), 0) > maxResponseBytes) throw responseTooLarge(maxResponseBytes);
      const csrf = answer.csrfAccount === undefined ? undefined : createCsrfToken(csrfSecret(contexts.deps.jwtSecret, answer.csrfAccount));
      sendBody(req, res, answer.chunks, csrf);
    } catch (error) {
      sendError(res, logger, error);
    }
  };
}
