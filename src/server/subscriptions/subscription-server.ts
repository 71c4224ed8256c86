/**
 * GraphQL subscriptions over WebSocket at /graphql (docs/live-updates.md): the graphql-transport-ws protocol
 * (graphql-ws on ws), on the HTTP server of the API, with the schema, limits, loaders and policy of
 * every other request, and the live engine (src/live) as the source of events.
 *
 * - The connection's token comes in `connectionParams`, checked as a request's header is
 *   (./handshake.ts).
 * - Each subscribe passes the query limits (tokens, depth, aliases, directives, cost) before anything
 *   is read, and the per-connection, per-caller and per-process caps (./subscribe-check.ts); queries
 *   and mutations are served over HTTP.
 * - Each event is resolved in the context the engine gives it (the tick's loaders, the caller as
 *   checked at that tick), not in the context of the subscribe (./event-results.ts).
 * - A consumer that does not read (more than `maxBufferedBytes` unsent, or more events waiting than
 *   the engine's bound) is disconnected (close 1008) rather than buffered without limit.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { ExecutionResult, GraphQLError, GraphQLSchema } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ContextFactory } from '../../context/request-context';
import { setupTurns } from './setup-turns';
import { toGatewayError } from '../../errors/classify';
import { ErrorCode } from '../../errors/codes';
import { nextSharedTurn } from '../../loaders/fair-turns';
import type { LiveEngine } from '../../live/live-engine';
import type { Logger } from '../../observability/logger';
import type { GatewayMetrics } from '../../observability/metrics';
import { RefusalLog } from '../../observability/refusal-log';
import type { RequestTrace, Tracing } from '../../observability/tracing';
import { handshakeOriginAllowed, type CorsOrigins } from '../cors';
import { errorCodesOf, formatOperationErrors } from '../graphql-errors';
import type { QueryLimits } from '../../config/query-limits';
import type { TrustedDocuments } from '../trusted-documents';
import type { Quotas } from '../../quotas/quotas';
import { clientAddress, type ClientAddress } from '../client-address';
import { serveGraphqlWs } from './ws-transport';
import { eventExecutor } from '../jit/event-executor';
import { SubscriptionPlaces, type ConnectionExtra } from './connections';
import { subscribeChecker, type PendingContext } from './subscribe-check';
import { connectionHandshake, TRY_AGAIN_LATER } from './handshake';
import { subscriptionSetUp } from './set-up';

export interface SubscriptionServerOptions {
  schema: GraphQLSchema;
  contexts: ContextFactory;
  limits: QueryLimits;
  engine: LiveEngine;
  logger: Logger;
  metrics?: GatewayMetrics;
  /** LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION (100). */
  maxPerConnection: number;
  /** LIVE_MAX_BUFFERED_BYTES: unsent bytes a connection may have before it counts as too slow (1 MiB). */
  maxBufferedBytes: number;
  /** MAX_RESPONSE_BYTES: an event past it is sent as its refusal, QUERY_TOO_COMPLEX, and the subscription goes on. */
  maxEventBytes?: number;
  /** Subscribes set up at once (their reads); the others wait their turn. MAX_CONCURRENT_REQUESTS. */
  maxConcurrentSetups: number;
  /** CORS_ORIGINS: the browser origins whose pages may open a socket, besides the gateway's own. */
  corsOrigins?: CorsOrigins;
  /** Refused subscribes are logged once per cause and this interval. */
  refusalLogIntervalMs?: number;
  /** RATE_LIMIT_*: each subscribe counts as a request, with its cost. */
  quotas?: Quotas;
  /** LIVE_MAX_SUBSCRIPTIONS_PER_CALLER: one caller's subscriptions across its connections. */
  maxPerCaller?: number;
  /** The address an anonymous caller's quota is counted by (../client-address.ts); the connection's when not given. */
  addressOf?: ClientAddress;
  /** TRUSTED_DOCUMENTS: a subscribe may name its document by id; with TRUSTED_DOCUMENTS_ONLY it must be one of them. */
  trustedDocuments?: TrustedDocuments;
  /** GRAPHQL_JIT: events executed by graphql-jit (default true). */
  jit?: boolean;
  /** OpenTelemetry: a `graphql.subscription` trace per subscribe, continued from the upgrade's `traceparent`. */
  tracing?: Tracing;
}

export interface SubscriptionServer {
  /** Serves WebSocket upgrades of `server` at /graphql. */
  attach(server: http.Server): void;
  /** Closes every connection normally (1001, going away) and stops the engine; resolves once they are closed. */
  close(): Promise<void>;
  readonly connections: number;
}

/** A subscribe's trace ends once it is set up (or refused): a subscription lives for hours, its events in `live.tick` traces. */
function endTrace(trace: RequestTrace | undefined, errors: readonly GraphQLError[] | undefined): void {
  if (!trace) return;
  if (errors?.length) {
    const codes = errorCodesOf(errors);
    trace.span.setAttributes({ 'graphql.error.codes': codes });
    trace.span.fail(codes[0]);
  }
  trace.span.end();
}

/** What a subscribe whose connection is closed, or closing, gets: graphql-ws sends nothing on a closed socket. */
const CONNECTION_GONE: ExecutionResult = { data: null };

/** Closes a connection the database could not serve now with 1013; graphql-ws clients reconnect, and the recipes resume. */
function retryLater(socket: WebSocket): void {
  if (socket.readyState === socket.OPEN) socket.close(TRY_AGAIN_LATER, 'The database did not answer; reconnect and resume');
}

/** What a subscribe's error is, made safe to show (a driver's error becomes its code and message). */
const safeError = (error: GraphQLError) => toGatewayError(error.originalError ?? error);

/** A slow consumer's close frame waits behind what it does not read: past this, its socket is dropped. */
const SLOW_CONSUMER_GRACE_MS = 1000;

export function createSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { schema, engine, logger, metrics, contexts } = options;
  const setUp = subscriptionSetUp(contexts, engine, eventExecutor(schema, options.jit ?? true));
  const turn = setupTurns(options.maxConcurrentSetups);
  const places = new SubscriptionPlaces(options.maxPerCaller ?? Infinity, engine);
  // the errors onSubscribe refused with, which graphql-ws hands to onError as they are
  const refusedAtSubscribe = new WeakSet<readonly GraphQLError[]>();
  const refusals = new RefusalLog(logger, 'subscriptions refused', options.refusalLogIntervalMs);
  const frameRefusals = new RefusalLog(logger, 'WebSocket frames refused', options.refusalLogIntervalMs);
  const report = { logger, refusals };
  const checkSubscribe = subscribeChecker({
    schema, limits: options.limits, places, maxPerConnection: options.maxPerConnection, quotas: options.quotas, trustedDocuments: options.trustedDocuments, refusals,
  });
  const servers: Array<{ dispose: () => unknown }> = [];
  let connections = 0;
  let closing: Promise<void> | undefined;

  const disconnectSlow = (socket: WebSocket, why: string) => {
    if (socket.readyState !== socket.OPEN) return;
    metrics?.liveSlowConsumers.inc();
    logger.warn({ why }, 'subscription consumer too slow: disconnected');
    socket.close(1008, 'Too slow: events were not read');
    setTimeout(() => socket.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
  };

  const serverOptions: ServerOptions<Record<string, unknown>, ConnectionExtra> = {
    schema,
    onConnect: connectionHandshake({
      contexts, places, quotas: options.quotas, refusals, logger,
      addressOf: options.addressOf ?? clientAddress(undefined),
      liveCaller: (socket, credentials) => ({
        id: randomUUID(),
        credentials,
        overflow: () => disconnectSlow(socket, `more than ${engine.options.maxQueuedEvents} events waiting`),
        // 1013 (try again later): graphql-ws clients reconnect, and the recipes resume from their last _id
        retryLater: () => retryLater(socket),
      }),
    }),
    async onSubscribe(ctx, id, payload) {
      // A client's subscribes arrive together in one read of its socket: checked in shared turns, with
      // I/O served between them, rather than all of them (and every other socket's) in one pass.
      await nextSharedTurn();
      const trace = options.tracing?.request(ctx.extra.request.headers, 'graphql.subscription', { 'graphql.operation.type': 'subscription' });
      const checked = await checkSubscribe(ctx, id, payload, trace);
      if (Array.isArray(checked)) {
        endTrace(trace, checked);
        refusedAtSubscribe.add(checked);
      }
      return checked;
    },
    // graphql-ws sets up every subscribe that onSubscribe accepted
    subscribe: (args) =>
      turn(async () => {
        const pending = args.contextValue as PendingContext;
        try {
          // its connection gone while it waited: nothing to read, nobody to answer
          if (pending.connection.closed) {
            endTrace(pending.trace, undefined);
            return CONNECTION_GONE;
          }
          const result = await setUp(args, pending);
          const errors = Symbol.asyncIterator in result ? undefined : result.errors;
          endTrace(pending.trace, errors);
          // the database could not set it up now: the client reconnects and subscribes again (a resume
          // from where it was), rather than taking an answer without data for the subscription's end
          const unavailable = errors?.map(safeError).find((error) => error.code === ErrorCode.SERVICE_UNAVAILABLE);
          if (unavailable) {
            refusals.note(`subscribe: ${unavailable.message}`); // once per interval: a fleet resuming meets it together
            retryLater(pending.connection.socket);
            return CONNECTION_GONE;
          }
          if (Symbol.asyncIterator in result) places.keep(pending.connection, result);
          return result;
        } finally {
          places.setUpDone(pending.connection);
        }
      }),
    onNext(ctx, _id, _payload, args, result) {
      metrics?.liveEvents.inc();
      const socket = ctx.extra.socket;
      if (socket.bufferedAmount > options.maxBufferedBytes) disconnectSlow(socket, `more than ${options.maxBufferedBytes} bytes unsent`);
      if (!result.errors) return undefined;
      const requestId = (args.contextValue as { requestId?: string } | undefined)?.requestId ?? `ws-${randomUUID()}`;
      return { ...result, errors: formatOperationErrors(result.errors, requestId, report) };
    },
    // an accepted subscription ends by completing (however it ends) or, if its stream fails, with an error
    onComplete(ctx, id) {
      places.letGo(ctx.extra, id);
    },
    onError(ctx, id, _payload, errors) {
      // a refused subscribe took no place (or gave it back); the id may be another's, still held
      if (!refusedAtSubscribe.has(errors)) places.letGo(ctx.extra, id);
      // refused before any context: an id of its own, for a defect's log line to match
      return formatOperationErrors(errors, `ws-${randomUUID()}`, report);
    },
  };

  return {
    attach(server) {
      const wss = new WebSocketServer({
        server,
        path: '/graphql',
        maxPayload: options.limits.maxBodyBytes,
        // a page of another origin may not subscribe where its fetch may not read: 403 before any subscription
        verifyClient: ({ origin, req }, done) =>
          handshakeOriginAllowed(options.corsOrigins, origin || undefined, req.headers.host) ? done(true) : done(false, 403, 'Origin not allowed'),
      });
      wss.on('connection', (socket) => {
        connections += 1;
        socket.once('close', () => (connections -= 1));
      });
      const { dispose } = serveGraphqlWs(serverOptions, wss, { keepAliveMs: 12_000, logger, frameRefusals, maxEventBytes: options.maxEventBytes });
      servers.push({ dispose });
    },
    close() {
      closing ??= (async () => {
        await engine.stop();
        await Promise.all(servers.map(async ({ dispose }) => dispose()));
        refusals.flush();
        frameRefusals.flush();
      })();
      return closing;
    },
    get connections() {
      return connections;
    },
  };
}
