/**
 * The request quota of every API request (docs/operating.md, "Quotas"), before load shedding: a caller
 * past its quota waits for nothing and holds no place. 429 with Retry-After, in the shape of the route:
 * GraphQL's errors on /graphql, the legacy `{message, code}` elsewhere.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Quotas } from '../quotas/quotas';
import { sendRefusal } from './refusal-response';

export function quotaMiddleware(quotas: Quotas, callerOf: (req: Request) => string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const caller = callerOf(req);
    res.locals.quotaCaller = caller;
    quotas.take(caller, 1, 0).then((refusal) => {
      if (!refusal) return next();
      sendRefusal(req, res, refusal, { 'retry-after': String(refusal.retryAfterS) });
    }, next);
  };
}
