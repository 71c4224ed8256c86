/**
 * The HTTP application: probes, GraphQL at /graphql, the legacy REST routes, and JSON errors for
 * everything else. Built from a database handle and settings, so tests run the real thing.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { expressMiddleware } from '@as-integrations/express5';
import type { Db } from 'mongodb';
import { toGatewayError } from '../errors/classify';
import { ErrorCode } from '../errors/codes';
import type { Logger } from '../observability/logger';
import { buildGatewaySchema } from '../schema/build';
import { buildSubgraphGatewaySchema } from '../federation/subgraph-schema';
import { restCompatRouter } from '../rest-compat/routes';
import { IDE_ASSET_PREFIX, ideAssetsRouter, type IdeOptions } from '../ide';
import { createGraphQLServer } from './graphql';
import { healthz, readyz } from './health';
import { createRequestContext, type ContextDependencies } from './request-context';

export interface GatewayAppOptions {
  db: Db;
  jwtSecret: string;
  logger: Logger;
  introspection?: boolean;
  /** Serve the Apollo Federation 2 subgraph schema (GRAPHQL_FEDERATION). */
  federation?: boolean;
  requestTimeoutMs?: number;
  /** What the GraphQL IDE starts with (the embedded demo fills in its token and a query). */
  ide?: IdeOptions;
}

export interface GatewayApp {
  app: express.Express;
  /** Stops the GraphQL server (the HTTP server is closed by its owner). */
  stop(): Promise<void>;
}

/** A caller's request id is kept when it is short and plain, so traces can cross services. */
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

export async function createGatewayApp(options: GatewayAppOptions): Promise<GatewayApp> {
  const { db, logger } = options;
  const contextDeps: ContextDependencies = { db, jwtSecret: options.jwtSecret, requestTimeoutMs: options.requestTimeoutMs };
  const schema = options.federation ? buildSubgraphGatewaySchema() : buildGatewaySchema();
  const apollo = createGraphQLServer({ schema, logger, introspection: options.introspection ?? true, ide: options.ide });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', 'weak');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.get('x-request-id');
    const requestId = given && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    res.set('X-Request-Id', requestId);
    res.locals.requestId = requestId;
    next();
  });

  app.get('/healthz', healthz);
  app.get('/readyz', readyz(db));

  // The IDE's scripts and styles; before Apollo's middleware, which takes every path under /graphql.
  app.use(IDE_ASSET_PREFIX, ideAssetsRouter());

  app.use(
    '/graphql',
    express.json({ limit: '100kb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        try {
          return await createRequestContext(contextDeps, {
            requestId: res.locals.requestId,
            authorization: req.headers.authorization,
          });
        } catch (error) {
          const safe = toGatewayError(error);
          if (safe.code === ErrorCode.INTERNAL_SERVER_ERROR) logger.error({ err: error, requestId: res.locals.requestId }, 'unexpected error while authenticating');
          throw safe.withHttp(res.locals.requestId);
        }
      },
    }),
  );

  app.use(restCompatRouter(contextDeps, logger));

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ message: 'Not found', code: 404 });
  });
  app.use(createErrorHandler(logger));

  return { app, stop: () => apollo.stop() };
}

/** Express's last resort: body parser failures are 400; anything else is a 500 without details. */
function createErrorHandler(logger: Logger) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ message: clientErrorMessage(error, status), code: status });
      return;
    }
    const safe = toGatewayError(error);
    const requestId = res.locals.requestId;
    logger.error({ err: error, requestId }, 'unexpected error while serving a request');
    res.status(500).json({ message: safe.message, code: 500, requestId });
  };
}

function clientErrorMessage(error: unknown, status: number): string {
  const type = (error as { type?: string }).type;
  if (type === 'entity.parse.failed') return 'The request body is not valid JSON';
  if (type === 'entity.too.large') return 'The request body is too large';
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return 'The request body encoding is not supported';
  return status === 413 ? 'The request body is too large' : 'Bad request';
}
