/** A legacy route's error: the webapp's `{message, code}` body, with the status and headers of its code. */
import type { Response } from 'express';
import { ErrorCode, HTTP_STATUS, httpHeadersFor, type GatewayError } from '../errors/codes';
import { toGatewayError, unavailableLogLine } from '../errors/classify';
import type { Logger } from '../observability/logger';

export function sendError(res: Response, logger: Logger, error: unknown): void {
  const safe: GatewayError = toGatewayError(error);
  const status = HTTP_STATUS[safe.code];
  let message = safe.message;
  if (safe.code === ErrorCode.INTERNAL_SERVER_ERROR) {
    const requestId = res.locals.requestId;
    logger.error({ err: error, requestId }, 'unexpected error while serving a legacy .json route');
    message = `${message} (request id ${requestId})`;
  } else if (safe.code === ErrorCode.SERVICE_UNAVAILABLE) {
    logger.warn({ err: error, requestId: res.locals.requestId }, unavailableLogLine(error));
  }
  res.status(status).set(httpHeadersFor(safe.code)).type('application/json; charset=utf-8');
  res.end(JSON.stringify({ message, code: status }));
}
