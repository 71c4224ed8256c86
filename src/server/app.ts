/**
 * The HTTP application: probes, GraphQL at /graphql, the legacy REST routes, and JSON errors for
 * everything else. Built from a database handle and settings, so tests run the real thing.
 */
import express, { type Request, type Response } from 'express';
import { notFound } from '../errors/legacy-body';
import type { Db } from 'mongodb';
import { createRequestObserver } from '../observability/http-observer';
import type { Logger } from '../observability/logger';
import { GatewayMetrics, UNMATCHED_ROUTE } from '../observability/metrics';
import type { GraphQLSchema } from 'graphql';
import { buildGatewaySchema } from '../assembly/gateway-schema';
import { checkSchemaAgainstModel } from '../schema/model-conformance';
import { buildSubgraphGatewaySchema } from '../assembly/subgraph-schema';
import { restCompatRouter } from '../rest-compat/routes';
import { IDE_ASSET_PREFIX, ideAssetsRouter, type IdeOptions } from '../ide';
import { createGraphQLServer } from './graphql';
import { resolveQueryLimits, type QueryLimits } from '../config/query-limits';
import { healthz, readyz } from './health';
import { TIME_LIMIT_DEFAULTS } from '../config';
import { ContextFactory } from '../context/request-context';
import { securityHeaders } from './security-headers';
import { createErrorHandler } from './error-handler';
import { inFlight } from './in-flight';
import { metricsApp } from './metrics-app';
import type { TrustedDocuments } from './trusted-documents';
import { quotaMiddleware } from './quota-middleware';
import { clientAddress } from './client-address';
import { Quotas, type QuotaSettings } from '../quotas/quotas';
import { MemoryQuotaStore } from '../quotas/quota-store';
import { RedisQuotaStore } from '../quotas/redis-quota-store';
import type { Tracing } from '../observability/tracing';
import { traceReads, traceRequests } from '../observability/http-tracing';
import { abandonedAfter, DEFAULT_LOAD_SHEDDING, loadShedding, type LoadSheddingOptions } from './load-shedding';
import { corsMiddleware, type CorsOrigins } from './cors';
import { arrivalTurns, requestIdentity } from './request-arrival';
import { DEFAULT_REQUEST_BUDGETS, type RequestBudgets } from '../config/request-budgets';
import type { TokenRules } from '../auth/identity';
import type { JitOptions } from './jit/jit-executor';
import type { SubscriptionServer } from './subscriptions/subscription-server';
import { createLiveService, type LiveSettings } from './subscriptions/live-service';
import { graphqlRoute } from './graphql-route';

export interface GatewayAppOptions {
  db: Db;
  jwtSecret: string;
  logger: Logger;
  introspection?: boolean;
  /** The schema to serve; built from the resolvers when not given. */
  schema?: GraphQLSchema;
  /** Serve the Apollo Federation 2 subgraph schema (GRAPHQL_FEDERATION). */
  federation?: boolean;
  /** Time budget of one request in ms, carried to MongoDB as maxTimeMS (REQUEST_TIMEOUT_MS; default 10000). */
  requestTimeoutMs?: number;
  /** What the GraphQL IDE starts with (the embedded demo fills in its token and a query). */
  ide?: IdeOptions;
  /** Query and body size limits; defaults for those not given (src/config/query-limits.ts). */
  limits?: Partial<QueryLimits>;
  /** Serve GET /metrics and keep the metrics (METRICS_ENABLED, default true). */
  metricsEnabled?: boolean;
  /** Strict-Transport-Security max-age in seconds (HSTS_MAX_AGE); 0 or unset sends none. */
  hstsMaxAge?: number;
  /** MAX_DOCUMENTS_PER_REQUEST and MAX_RESPONSE_BYTES; defaults for those not given. */
  budgets?: Partial<RequestBudgets>;
  /** MAX_CONCURRENT_REQUESTS and the queue's wait; defaults for those not given. */
  loadShedding?: Partial<LoadSheddingOptions>;
  /** Federation inline traces (`ftv1`) for routers that ask (GRAPHQL_FEDERATION_TRACES; default false). */
  federationTraces?: boolean;
  /** Queries executed by graphql-jit (GRAPHQL_JIT; default true), or its options (tests compile at once). */
  jit?: boolean | Partial<JitOptions>;
  /** JWT_MAX_AGE_S and the other rules tokens are checked by beyond their signature. */
  tokenRules?: TokenRules;
  /** CORS_ORIGINS: the origins browsers may call the API from; none when unset. */
  corsOrigins?: CorsOrigins;
  /** OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT; src/observability/tracing.ts); none when unset. Shut down by `stop`. */
  tracing?: Tracing;
  /** RATE_LIMIT_REQUESTS, RATE_LIMIT_COST and RATE_LIMIT_WINDOW_S; REDIS_URL to share the counts. None: no quota. */
  quotas?: QuotaSettings & { redisUrl?: string };
  /** TRUST_PROXY: the proxies whose X-Forwarded-For names an anonymous caller's address (its quota); none: the connection's. */
  trustedProxies?: readonly string[];
  /** TRUSTED_DOCUMENTS (and TRUSTED_DOCUMENTS_ONLY): the documents clients may name by id, or the only ones served. */
  trustedDocuments?: TrustedDocuments;
  /** LIVE_POLL_INTERVAL_MS, LIVE_MAX_SUBSCRIPTIONS and the other bounds of subscriptions; defaults for those not given. */
  live?: Partial<LiveSettings>;
}

export interface GatewayApp {
  app: express.Express;
  /** `GET /metrics`, to serve on its own listener (METRICS_HOST, METRICS_PORT); none when metrics are off. */
  metricsApp?: express.Express;
  /** From now on `/readyz` answers 503 (the first step of a graceful shutdown), while requests are still served. */
  markNotReady(): void;
  /** Subscriptions over WebSocket: attached to the HTTP server once it exists, closed first on shutdown. */
  subscriptions: SubscriptionServer;
  /** Stops the GraphQL server and the subscriptions (the HTTP server is closed by its owner). */
  stop(): Promise<void>;
}

const PROBES = new Set(['/healthz', '/readyz']);

export async function createGatewayApp(options: GatewayAppOptions): Promise<GatewayApp> {
  const { db, logger } = options;
  // A registry per app: several gateways in one process (tests) keep their own counts.
  const metrics = (options.metricsEnabled ?? true) ? new GatewayMetrics() : undefined;
  const { tracing } = options;
  const budgets: RequestBudgets = { ...DEFAULT_REQUEST_BUDGETS, ...options.budgets };
  const limits = resolveQueryLimits(options.limits);
  const contexts = new ContextFactory({
    db,
    jwtSecret: options.jwtSecret,
    requestTimeoutMs: options.requestTimeoutMs ?? TIME_LIMIT_DEFAULTS.requestTimeoutMs,
    onBatch: metrics?.observeBatch,
    onCommand: metrics?.observeCommand,
    maxDocuments: budgets.maxDocuments,
    tokenRules: options.tokenRules,
    traceReads: tracing && traceReads,
    maxGraphLevels: limits.maxDepth,
  });
  const quotas = options.quotas && (await createQuotas(options.quotas, logger, metrics));
  const addressOf = clientAddress(options.trustedProxies);
  // the model's fields, types and list sizes must be the schema's: a start-up error otherwise
  const schema = checkSchemaAgainstModel(options.schema ?? (options.federation ? buildSubgraphGatewaySchema() : buildGatewaySchema()));
  const apollo = createGraphQLServer({
    schema, logger, introspection: options.introspection ?? true, ide: options.ide, limits, metrics,
    federationTraces: options.federation === true && options.federationTraces === true, jit: options.jit,
    tracing,
    spendCost: quotas && (async (cost, ctx) => (ctx.quotaCaller !== undefined ? ((await quotas.take(ctx.quotaCaller, 0, cost))?.withHttp() ?? null) : null)),
  });
  await apollo.start();
  const subscriptions = createLiveService({
    schema, contexts, limits, settings: options.live, logger, metrics, tracing, maxEventBytes: budgets.maxResponseBytes,
    maxConcurrentSetups: { ...DEFAULT_LOAD_SHEDDING, ...options.loadShedding }.maxConcurrent,
    corsOrigins: options.corsOrigins, trustedDocuments: options.trustedDocuments, quotas, addressOf, jit: options.jit !== false,
  });

  const executing = inFlight();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', 'weak');

  app.use(arrivalTurns(PROBES));
  app.use(requestIdentity(createRequestObserver({ logger, metrics })));
  // one trace per request (the probes excepted), continued from its traceparent
  if (tracing) app.use(traceRequests(tracing, PROBES));
  app.use(securityHeaders({ hstsMaxAge: options.hstsMaxAge }));

  const readiness = { ready: true };
  app.get('/healthz', healthz);
  app.get('/readyz', readyz(db, readiness));

  // The IDE's scripts and styles; before Apollo's middleware, which takes every path under /graphql.
  app.use(IDE_ASSET_PREFIX, ideAssetsRouter());

  // Cross-origin access to the API (preflights answered here, before the queue and Apollo's CSRF check).
  const allowCors = corsMiddleware(options.corsOrigins);
  if (allowCors) app.use(allowCors);

  // What a route of the API serves waits its turn, once it is known to be one (the probes, the IDE's
  // files and unknown paths never do): its quota first (a caller past it holds no place in the queue),
  // then its place in progress. One queue for GraphQL and REST.
  const { jwtSecret, tokenRules } = contexts.deps;
  const admit = [
    ...(quotas ? [quotaMiddleware(quotas, (req) => Quotas.callerOf(req.headers.authorization, jwtSecret, tokenRules, addressOf(req)))] : []),
    loadShedding({ ...DEFAULT_LOAD_SHEDDING, abandonedAfterMs: abandonedAfter(contexts.deps.requestTimeoutMs), ...options.loadShedding }),
  ];

  app.use('/graphql', ...graphqlRoute({ apollo, contexts, limits, maxResponseBytes: budgets.maxResponseBytes, admit, trustedDocuments: options.trustedDocuments, executing, logger }));

  app.use(restCompatRouter(contexts, logger, budgets.maxResponseBytes, admit));

  app.use((req: Request, res: Response) => {
    res.locals.route = UNMATCHED_ROUTE;
    notFound(req, res);
  });
  app.use(createErrorHandler(logger));

  return {
    app,
    metricsApp: metrics ? metricsApp(metrics) : undefined,
    markNotReady: () => {
      readiness.ready = false;
    },
    subscriptions,
    stop: async () => {
      await subscriptions.close();
      await executing.drained(5_000);
      await apollo.stop();
      await quotas?.close();
      await tracing?.shutdown();
      metrics?.close();
    },
  };
}

/**
 * The quotas and their counts' store: Redis when REDIS_URL is set (waited for a second at start; one
 * log line per outage), else this process.
 */
async function createQuotas(settings: QuotaSettings & { redisUrl?: string }, logger: Logger, metrics: GatewayMetrics | undefined): Promise<Quotas> {
  const redis = settings.redisUrl
    ? new RedisQuotaStore({
        url: settings.redisUrl,
        onShared: (shared, error) =>
          shared ? logger.info('Redis is back: quota counts are shared again') : logger.warn({ err: error }, 'Redis unreachable: quotas are counted by this process until it is back'),
      })
    : undefined;
  await redis?.ready(1_000);
  const refused = metrics?.observeQuotas({ shared: () => redis?.isShared ?? false });
  return new Quotas(settings, redis ?? new MemoryQuotaStore(), refused);
}
