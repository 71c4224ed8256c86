/**
 * A request refused before anything of it ran (shed, past a quota, an untrusted document), answered in
 * the shape of its route: GraphQL's `{errors}` on /graphql, the legacy `{message, code}` elsewhere, with
 * the status and headers of its code.
 */
import type { Request, Response } from 'express';
import { HTTP_STATUS, httpHeadersFor, type GatewayError } from '../errors/codes';
import { legacyErrorBody } from '../errors/legacy-body';

/** A GraphQL answer made of one error and no data. */
export function errorOnly(error: GatewayError) {
  return { errors: [{ message: error.message, extensions: { code: error.code } }] };
}

const isGraphQL = (req: Request) => req.baseUrl === '/graphql' || req.path === '/graphql' || req.path.startsWith('/graphql/');

/** `status`: its code's unless given (a body the parser refused keeps the parser's, 415 say). */
export function sendRefusal(req: Request, res: Response, error: GatewayError, headers: Record<string, string> = {}, status = HTTP_STATUS[error.code]): void {
  if (isGraphQL(req)) res.locals.refusedCode = error.code; // counted as the error of a GraphQL answer (http-observer)
  res.status(status).set({ ...httpHeadersFor(error.code), ...headers }).type('application/json; charset=utf-8');
  res.end(JSON.stringify(isGraphQL(req) ? errorOnly(error) : legacyErrorBody(error.message, status)));
}
