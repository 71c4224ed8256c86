/** What every request gets on arrival, before any route: its turn, its id, its access-log line. */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { nextTurn } from '../loaders/fair-turns';
import type { RequestObserver } from '../observability/http-observer';

/** A caller's request id is kept when it is short and plain, so traces can cross services. */
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

/**
 * A burst of arrivals is taken one request per pass of the event loop (src/loaders/fair-turns.ts),
 * so that the probes, answered at once, never wait behind the others' first steps.
 */
export function arrivalTurns(probes: ReadonlySet<string>): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (probes.has(req.path)) next();
    else void nextTurn().then(() => next());
  };
}

/** The request's id (`X-Request-Id`), when it arrived, and one access-log line and the HTTP metrics when its response ends. */
export function requestIdentity(observeRequest: RequestObserver): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.get('x-request-id');
    const requestId = given && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    res.set('X-Request-Id', requestId);
    res.locals.requestId = requestId;
    res.locals.receivedAt = Date.now(); // its time budget runs from here (a GraphQL request's from its body), a wait in the queue included
    observeRequest(req, res);
    next();
  };
}
