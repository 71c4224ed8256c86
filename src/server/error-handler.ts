import type { NextFunction, Request, Response } from 'express';
import { toGatewayError } from '../errors/classify';
import { badUserInput } from '../errors/codes';
import { legacyErrorBody } from '../errors/legacy-body';
import type { Logger } from '../observability/logger';
import { sendRefusal } from './refusal-response';

/**
 * Express's last resort: a body the parser refused is the caller's mistake (on /graphql a GraphQL
 * answer with BAD_USER_INPUT and the parser's status, a 413 as itself); anything else is a 500 without details.
 */
export function createErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500 && status !== 413) {
      sendRefusal(req, res, badUserInput(clientErrorMessage(error, status)), {}, status);
      return;
    }
    if (status === 413) {
      res.status(status).json(legacyErrorBody(clientErrorMessage(error, status), status));
      return;
    }
    const safe = toGatewayError(error);
    const requestId = res.locals.requestId;
    logger.error({ err: error, requestId }, 'unexpected error while serving a request');
    res.status(500).json(legacyErrorBody(safe.message, 500, requestId));
  };
}

function clientErrorMessage(error: unknown, status: number): string {
  const type = (error as { type?: string }).type;
  if (type === 'entity.parse.failed') return isJson((error as { body?: unknown }).body) ? 'The request body must be a JSON object' : 'The request body is not valid JSON';
  if (type === 'entity.too.large') return tooLargeMessage(error);
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return 'The request body encoding is not supported';
  return status === 413 ? tooLargeMessage(error) : 'Bad request';
}

function tooLargeMessage(error: unknown): string {
  const limit = (error as { limit?: unknown }).limit;
  return typeof limit === 'number' ? `The request body is too large: the limit is ${limit} bytes` : 'The request body is too large';
}

// the parser's strict mode refuses JSON that is no object or list (`null`, `"text"`) with the same error
function isJson(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}
