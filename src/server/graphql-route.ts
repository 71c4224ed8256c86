/**
 * POST and GET /graphql: the body read, the request admitted (its quota, its place in the queue), the
 * checks made before Apollo Server (trusted documents, a subscription sent over HTTP), then Apollo
 * Server with the request's context, its answer within the response's byte budget.
 */
import type { ApolloServer } from '@apollo/server';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { QueryLimits } from '../config/query-limits';
import type { ContextFactory, RequestContext } from '../context/request-context';
import { loggedFailure } from '../observability/failure-log';
import { failedOperation } from '../observability/graphql-metrics';
import type { Logger } from '../observability/logger';
import { GRAPHQL_ROUTE } from '../observability/metrics';
import type { InFlight } from './in-flight';
import { apolloHandler } from './apollo-handler';
import { jsonBody } from './json-body';
import { subscriptionRootCheck } from './subscription-root-check';
import { trustedDocumentsMiddleware, type TrustedDocuments } from './trusted-documents';

export interface GraphQLRouteOptions {
  apollo: ApolloServer<RequestContext>;
  contexts: ContextFactory;
  limits: QueryLimits;
  /** MAX_RESPONSE_BYTES. */
  maxResponseBytes: number;
  /** The quota and the queue, shared with the REST routes. */
  admit: RequestHandler[];
  trustedDocuments?: TrustedDocuments;
  /** The operations being executed, which a graceful stop waits for. */
  executing: InFlight;
  logger: Logger;
}

/** The handlers of /graphql, in order. */
export function graphqlRoute(options: GraphQLRouteOptions): RequestHandler[] {
  const { contexts, logger } = options;
  // a GraphQL request refused before Apollo Server: its operation and error counted as Apollo's are
  const refusedBeforeApollo = (req: Request, res: Response, code: string) => {
    res.locals.graphqlOperations = [failedOperation(req)];
    res.locals.refusedCode = code;
  };
  return [
    (req: Request, res: Response, next: NextFunction) => {
      res.locals.route = GRAPHQL_ROUTE;
      // HEAD is answered as GET is, headers only (Node sends no body to a HEAD); Apollo Server takes only GET and POST
      if (req.method === 'HEAD') req.method = 'GET';
      next();
    },
    // the body is read before the request's turn: a client that sends it slowly holds a socket, not a place
    jsonBody(options.limits.maxBodyBytes),
    (_req: Request, res: Response, next: NextFunction) => {
      res.locals.receivedAt = Date.now(); // its time budget runs from here: a slow upload is not the database's
      next();
    },
    ...options.admit,
    ...(options.trustedDocuments ? [trustedDocumentsMiddleware(options.trustedDocuments, (req, res, error) => refusedBeforeApollo(req, res, error.code))] : []),
    subscriptionRootCheck(options.limits.maxTokens, refusedBeforeApollo),
    options.executing.count(apolloHandler(options.apollo, {
      maxResponseBytes: options.maxResponseBytes,
      context: async ({ req, res }) => {
        try {
          const ctx = await contexts.forRequest({
            requestId: res.locals.requestId,
            receivedAt: res.locals.receivedAt,
            authorization: req.headers.authorization,
            trace: res.locals.trace,
          });
          res.locals.reads = ctx.reads; // operations and database commands, read when the response ends
          if (res.locals.quotaCaller !== undefined) ctx.quotaCaller = res.locals.quotaCaller;
          return ctx;
        } catch (error) {
          res.locals.graphqlOperations = [failedOperation(req)];
          throw loggedFailure(logger, error, res.locals.requestId, 'unexpected error while authenticating').withHttp(res.locals.requestId);
        }
      },
    })),
  ];
}
