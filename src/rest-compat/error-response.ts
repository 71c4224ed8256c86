/** A legacy route's error: the webapp's `{message, code}` body, with the status and headers of its code. */
import type { Response } from 'express';
import { ErrorCode, HTTP_STATUS, httpHeadersFor } from '../errors/codes';
import { legacyErrorBody } from '../errors/legacy-body';
import { loggedFailure } from '../observability/failure-log';
import type { Logger } from '../observability/logger';

export function sendError(res: Response, logger: Logger, error: unknown): void {
  const requestId: string | undefined = res.locals.requestId;
  const safe = loggedFailure(logger, error, requestId, 'unexpected error while serving a legacy .json route');
  const status = HTTP_STATUS[safe.code];
  const message = safe.code === ErrorCode.INTERNAL_SERVER_ERROR ? `${safe.message} (request id ${requestId})` : safe.message;
  // an answer that depends on the caller, as the bodies are: a shared cache keeps a 404 by default
  res.status(status).set(httpHeadersFor(safe.code)).set('Cache-Control', 'private, no-cache').type('application/json; charset=utf-8');
  res.vary('Authorization');
  res.end(JSON.stringify(legacyErrorBody(message, status)));
}
