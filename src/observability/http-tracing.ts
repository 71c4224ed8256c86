/** The request's span and the database reads' spans below it (src/observability/tracing.ts). */
import type { NextFunction, Request, Response } from 'express';
import type { ReadTrace } from '../loaders/request-reads';
import { routeOf } from './http-observer';
import type { RequestTrace, Tracing } from './tracing';

/**
 * Express middleware: the request's trace (`res.locals.trace`, which its context carries on), its span
 * named by the route pattern once that is known.
 */
export function traceRequests(tracing: Tracing, untraced: ReadonlySet<string>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (untraced.has(req.path)) return next();
    const trace = tracing.request(req.headers, req.method, { 'http.request.method': req.method });
    res.locals.trace = trace;
    const { span } = trace;
    res.once('close', () => {
      const route = routeOf(req, res);
      span.rename(`${req.method} ${route}`);
      span.setAttributes({ 'http.response.status_code': res.statusCode, 'http.route': route, ...(typeof res.locals.requestId === 'string' ? { 'gateway.request_id': res.locals.requestId } : {}) });
      if (res.statusCode >= 500) span.fail(String(res.statusCode));
      span.end();
    });
    next();
  };
}

/** Each database read of a request as a span below it: its collection, the ids a batch asks for, the documents returned. */
export function traceReads(trace: RequestTrace): ReadTrace {
  return (collection, ids) => {
    const span = trace.child(`db.find ${collection}`, {
      'db.system.name': 'mongodb', 'db.operation.name': 'find', 'db.collection.name': collection, ...(ids === undefined ? {} : { 'db.query.ids': ids }),
    });
    return {
      end(documents, failure) {
        span.setAttributes({ 'db.response.returned_rows': documents });
        if (failure) span.fail(failure);
        span.end();
      },
    };
  };
}
