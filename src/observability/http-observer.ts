/**
 * One access-log line and the HTTP metrics of each request, written when its response ends (or the
 * client goes away first). Attached by the app's first middleware; it reads what the handlers left in
 * `res.locals`:
 *   requestId           the request's id (set by that middleware)
 *   route               a route label the app sets where Express has no route (`/graphql`, `unmatched`)
 *   reads               the request's RequestReads (GraphQL context or REST handler): database commands
 *   graphqlOperations   OperationRecord[] of a GraphQL request that failed before Apollo ran it (one
 *                       refused with no record at all is counted as one failed operation)
 *   refusedCode         the code of the one error of a GraphQL request refused before Apollo ran it
 * The line holds no header, body or query string: nothing a caller sends as a secret can reach it.
 */
import type { Request, Response } from 'express';
import type { RequestReads } from '../loaders';
import { failedOperation, operationsOf, type OperationRecord } from './graphql-metrics';
import type { Logger } from './logger';
import { GRAPHQL_ROUTE, operationNameForLog, UNMATCHED_ROUTE, type GatewayMetrics } from './metrics';

/** Status recorded for a request whose client closed the connection before the response ended (nginx's). */
const CLIENT_CLOSED_REQUEST = 499;

const MAX_LOGGED_PATH = 256;

export interface RequestObserverOptions {
  logger: Logger;
  metrics?: GatewayMetrics;
}

export type RequestObserver = (req: Request, res: Response) => void;

/** Responses the HTTP server answered on the socket itself, with the status it sent. */
const answeredOnSocket = new WeakMap<object, number>();

/**
 * Marks a response whose request Node gave up on (it took too long to arrive) and the server answered
 * on the socket: logged and counted with that status, not as a client that went away.
 */
export function noteAnsweredOnSocket(res: object, status: number): void {
  answeredOnSocket.set(res, status);
}

export function createRequestObserver({ logger, metrics }: RequestObserverOptions): RequestObserver {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const method = req.method; // as it arrived: a HEAD is served as a GET further on
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const onSocket = answeredOnSocket.get(res);
      const aborted = !res.writableFinished && onSocket === undefined;
      const status = onSocket ?? (aborted ? CLIENT_CLOSED_REQUEST : res.statusCode);
      const route = routeOf(req, res);
      const reads = res.locals.reads as RequestReads | undefined;
      let operations: readonly OperationRecord[] = (res.locals.graphqlOperations as OperationRecord[] | undefined) ?? operationsOf(reads);
      // refused before any operation was known (a body Apollo Server turns away, one too large): a failed one
      if (operations.length === 0 && route === GRAPHQL_ROUTE && status >= 400 && !aborted && isGraphQLRequest(req)) operations = [failedOperation(req)];

      if (metrics) {
        const labels = { route, method, status: String(status) };
        metrics.httpRequests.inc(labels);
        metrics.httpDuration.observe(labels, seconds);
        if (reads) metrics.dbCommandsPerRequest.observe({ route }, reads.count);
        if (typeof res.locals.refusedCode === 'string') metrics.graphqlErrors.inc({ code: res.locals.refusedCode });
        for (const operation of operations) {
          const operationLabels = { operation: metrics.operationLabel(operation.name), outcome: operation.outcome };
          metrics.graphqlOperations.inc(operationLabels);
          metrics.graphqlDuration.observe(operationLabels, seconds);
        }
      }

      logger.info(
        {
          requestId: res.locals.requestId,
          method,
          route,
          path: pathOf(req),
          operation: operations.length ? operations.map((op) => operationNameForLog(op.name) ?? 'anonymous').join(',') : undefined,
          outcome: operations.length === 1 ? operations[0].outcome : undefined,
          status,
          durationMs: Math.round(seconds * 1e4) / 10,
          dbReads: reads?.count,
          aborted: aborted || undefined,
        },
        'request',
      );
    };
    res.once('finish', end);
    res.once('close', end);
  };
}

/** A request that asks for an operation (a POST, or a GET with one): not a probe of the path, a preflight or the IDE. */
function isGraphQLRequest(req: Request): boolean {
  if (req.method === 'POST') return true;
  const params = req.query as Record<string, unknown> | undefined;
  return req.method === 'GET' && params !== undefined && (params.query !== undefined || params.documentId !== undefined || params.extensions !== undefined);
}

/**
 * The route pattern that answered (`/:resourceSlug/session/:sessionId.json`, never the raw path), a
 * label the app set, or `unmatched`: the label's values are as many as the app's routes.
 */
export function routeOf(req: Request, res: Response): string {
  if (typeof res.locals.route === 'string') return res.locals.route;
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  return typeof pattern === 'string' ? `${req.baseUrl ?? ''}${pattern}` : UNMATCHED_ROUTE;
}

/** The path without its query string (a GraphQL GET carries the query and variables there). */
function pathOf(req: Request): string {
  const url = req.originalUrl ?? req.url;
  const end = url.indexOf('?');
  const path = end === -1 ? url : url.slice(0, end);
  return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path;
}
