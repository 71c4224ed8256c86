/**
 * The HTTP application: probes, GraphQL at /graphql, the legacy REST routes, and JSON errors for
 * everything else. Built from a database handle and settings, so tests run the real thing.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { expressMiddleware } from '@as-integrations/express5';
import type { Db } from 'mongodb';
import { toGatewayError } from '../errors/classify';
import { failedOperation } from '../observability/graphql-metrics';
import { loggedFailure } from '../observability/failure-log';
import { createRequestObserver } from '../observability/http-observer';
import type { Logger } from '../observability/logger';
import { GatewayMetrics, GRAPHQL_ROUTE, UNMATCHED_ROUTE } from '../observability/metrics';
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
import { trustedDocumentsMiddleware, type TrustedDocuments } from './trusted-documents';
import { quotaMiddleware } from './quota-middleware';
import { clientAddress } from './client-address';
import { subscriptionRootCheck } from './subscription-root-check';
import { Quotas, type QuotaSettings } from '../quotas/quotas';
import { MemoryQuotaStore } from '../quotas/quota-store';
import { RedisQuotaStore } from '../quotas/redis-quota-store';
import type { Tracing } from '../observability/tracing';
import { traceReads, traceRequests } from '../observability/http-tracing';
import { abandonedAfter, DEFAULT_LOAD_SHEDDING, loadShedding, type LoadSheddingOptions } from './load-shedding';
import { corsMiddleware, type CorsOrigins } from './cors';
import { nextTurn } from '../loaders/fair-turns';
import { graphqlResponseBudget } from './request-budget';
import { DEFAULT_REQUEST_BUDGETS, type RequestBudgets } from '../config/request-budgets';
import type { TokenRules } from '../auth/identity';
import type { JitOptions } from './jit/jit-executor';
import { LiveEngine } from '../live/live-engine';
import { DEFAULT_LIVE_OPTIONS, type LiveOptions } from '../live/live-options';
import { createSubscriptionServer, type SubscriptionServer } from './subscriptions';
import { RefusalLog } from '../observability/refusal-log';

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

/** Subscriptions: the live engine's settings and the WebSocket connections' bounds. */
export interface LiveSettings extends LiveOptions {
  /** LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION (100). */
  maxPerConnection: number;
  /** LIVE_MAX_SUBSCRIPTIONS_PER_CALLER (2000): one caller's (key, account or address) across its connections. */
  maxPerCaller: number;
  /** LIVE_MAX_BUFFERED_BYTES (1 MiB): unsent bytes past which a connection is too slow. */
  maxBufferedBytes: number;
  /** Refused subscribes are logged once per cause and this interval, with a count (10 s). */
  refusalLogIntervalMs: number;
}

const DEFAULT_LIVE_SETTINGS: LiveSettings = { ...DEFAULT_LIVE_OPTIONS, maxPerConnection: 100, maxPerCaller: 2_000, maxBufferedBytes: 1024 * 1024, refusalLogIntervalMs: 10_000 };

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

/** A caller's request id is kept when it is short and plain, so traces can cross services. */
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

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
  const live: LiveSettings = { ...DEFAULT_LIVE_SETTINGS, ...options.live };
  const replayFailures = new RefusalLog(logger, 'live replays failed; their clients were asked to reconnect and resume', live.refusalLogIntervalMs);
  const engine = new LiveEngine(contexts, live, {
    tick: (stats) => {
      metrics?.liveTickDuration.observe(stats.durationMs / 1000);
      metrics?.liveTickDelay.observe(stats.delayMs / 1000);
      for (const [collection, count] of Object.entries(stats.queries)) metrics?.liveTickQueries.inc({ collection }, count);
      tracing?.finished('live.tick', Date.now() - stats.durationMs, {
        'live.subscriptions': stats.subscriptions, 'live.events': stats.events, 'db.commands': Object.values(stats.queries).reduce((sum, n) => sum + n, 0), 'live.tick.delay_ms': Math.round(stats.delayMs),
      });
    },
    tickFailed: (error) => logger.warn({ err: error }, 'live tick failed; the next one tries again'),
    // one line per cause and interval: an outage fails every replay under way at once
    replayFailed: (error) => replayFailures.note(toGatewayError(error).message),
  });
  const subscriptions = createSubscriptionServer({
    schema, contexts, limits, engine, logger, metrics, maxPerConnection: live.maxPerConnection, maxPerCaller: live.maxPerCaller, maxBufferedBytes: live.maxBufferedBytes, maxEventBytes: budgets.maxResponseBytes,
    maxConcurrentSetups: { ...DEFAULT_LOAD_SHEDDING, ...options.loadShedding }.maxConcurrent, corsOrigins: options.corsOrigins, refusalLogIntervalMs: live.refusalLogIntervalMs,
    trustedDocuments: options.trustedDocuments,
    quotas,
    addressOf,
    jit: options.jit !== false,
    tracing,
  });
  metrics?.observeLive({ subscriptions: () => engine.size, connections: () => subscriptions.connections });

  const observeRequest = createRequestObserver({ logger, metrics });
  const executing = inFlight();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', 'weak');

  // A burst of arrivals is taken one request per pass of the event loop (src/loaders/fair-turns.ts),
  // so that the probes, answered at once, never wait behind the others' first steps.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    if (PROBES.has(req.path)) next();
    else void nextTurn().then(() => next());
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.get('x-request-id');
    const requestId = given && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    res.set('X-Request-Id', requestId);
    res.locals.requestId = requestId;
    res.locals.receivedAt = Date.now(); // its time budget runs from here (a GraphQL request's from its body), a wait in the queue included
    observeRequest(req, res); // one access-log line and the HTTP metrics, when the response ends
    next();
  });
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

  // a GraphQL request refused before Apollo Server: its operation and error counted as Apollo's are
  const refusedBeforeApollo = (req: Request, res: Response, code: string) => {
    res.locals.graphqlOperations = [failedOperation(req)];
    res.locals.refusedCode = code;
  };
  app.use(
    '/graphql',
    (req: Request, res: Response, next: NextFunction) => {
      res.locals.route = GRAPHQL_ROUTE;
      // HEAD is answered as GET is, headers only (Node sends no body to a HEAD); Apollo Server takes only GET and POST
      if (req.method === 'HEAD') req.method = 'GET';
      next();
    },
    // the body is read before the request's turn: a client that sends it slowly holds a socket, not a place
    express.json({ limit: limits.maxBodyBytes }),
    (_req: Request, res: Response, next: NextFunction) => {
      res.locals.receivedAt = Date.now(); // its time budget runs from here: a slow upload is not the database's
      next();
    },
    ...admit,
    ...(options.trustedDocuments ? [trustedDocumentsMiddleware(options.trustedDocuments, (req, res, error) => refusedBeforeApollo(req, res, error.code))] : []),
    subscriptionRootCheck(limits.maxTokens, refusedBeforeApollo),
    graphqlResponseBudget(budgets.maxResponseBytes),
    executing.count(expressMiddleware(apollo, {
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
  );

  app.use(restCompatRouter(contexts, logger, budgets.maxResponseBytes, admit));

  app.use((_req: Request, res: Response) => {
    res.locals.route = UNMATCHED_ROUTE;
    res.status(404).json({ message: 'Not found', code: 404 });
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
