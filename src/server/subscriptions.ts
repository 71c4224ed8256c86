/**
 * GraphQL subscriptions over WebSocket at /graphql (docs/live-updates.md): the graphql-transport-ws protocol
 * (graphql-ws on ws), on the HTTP server of the API, with the schema, limits, loaders and policy of
 * every other request, and the live engine (src/live) as the source of events.
 *
 * - The connection's token comes in `connectionParams` (`{"Authorization": "Bearer …"}`), checked as
 *   a request's header is: none is anonymous; an invalid one closes the connection with 4403.
 * - Each subscribe passes the query limits (tokens, depth, aliases, directives, cost) before anything
 *   is read, and the per-connection, per-caller and per-process caps; queries and mutations are served
 *   over HTTP.
 * - Each event is resolved in the context the engine gives it (the tick's loaders, the caller as
 *   checked at that tick), not in the context of the subscribe.
 * - A consumer that does not read (more than `maxBufferedBytes` unsent, or more events waiting than
 *   the engine's bound) is disconnected (close 1008) rather than buffered without limit.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { createSourceEventStream, type ExecutionArgs, type ExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import { CloseCode, type Context, type ServerOptions, type SubscribePayload } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { verifyCredentials, viewerOf, type Credentials } from '../auth/identity';
import type { ContextFactory, RequestContext } from '../context/request-context';
import { setupTurns } from './setup-turns';
import { toGatewayError } from '../errors/classify';
import { badUserInput, ErrorCode, unauthenticated } from '../errors/codes';
import { nextSharedTurn, nextTurn } from '../loaders/fair-turns';
import type { LiveEngine, SubscriptionContext } from '../live/live-engine';
import type { LiveCaller, LiveEvent } from '../live/live-options';
import type { Logger } from '../observability/logger';
import type { GatewayMetrics } from '../observability/metrics';
import { RefusalLog } from '../observability/refusal-log';
import type { RequestTrace, Tracing } from '../observability/tracing';
import { handshakeOriginAllowed, type CorsOrigins } from './cors';
import { errorCodesOf, formatOperationErrors } from './graphql-errors';
import { operationChecker } from './limits/operation-check';
import type { QueryLimits } from '../config/query-limits';
import type { DocumentRequest, TrustedDocuments } from './trusted-documents';
import { Quotas } from '../quotas/quotas';
import { clientAddress, type ClientAddress } from './client-address';
import { SubscriptionsByCaller } from './subscriptions-by-caller';
import { serveGraphqlWs } from './ws-transport';
import { eventExecutor, type EventExecutor } from './jit/event-executor';

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
  /** The address an anonymous caller's quota is counted by (./client-address.ts); the connection's when not given. */
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

/** What the gateway keeps of each connection, on graphql-ws's `extra` (beside the socket and request). */
type ConnectionState = {
  caller: LiveCaller;
  authorization: string | undefined;
  /** Who it is for the quotas (with RATE_LIMIT_*) and the per-caller cap: its key, its account or its address. */
  quotaCaller: string;
  /** The ids of its subscriptions accepted and not yet ended (an id is never held twice): what it holds of the caps. */
  active: Set<string>;
  /** Its subscriptions' event streams once set up: ended with the connection, whatever graphql-ws still knows of them. */
  streams: Set<AsyncIterableIterator<unknown>>;
  closed: boolean;
  setup?: SetupContext;
};

/**
 * The context a connection's subscribes are set up in while its caller is being read: a client opens
 * its subscriptions together (a page, a reconnect), and so those set up at once share the caller's read
 * and batch their sessions' reads, as the fields of one request do. A subscribe set up after that reads
 * the caller and its access afresh, as a request does: a key deleted or a session unshared a moment
 * before is seen. Each subscription lives on in the engine's ticks, which check the caller and its
 * access again.
 */
interface SetupContext {
  context: Promise<RequestContext>;
}

type ConnectionContext = Context<Record<string, unknown>, Extra & Partial<ConnectionState>>;

/** What a checked subscribe carries until its turn comes to make its context. */
interface PendingContext {
  connection: Partial<ConnectionState>;
  trace?: RequestTrace;
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

/** A slow consumer's close frame waits behind what it does not read: past this, its socket is dropped. */
const SLOW_CONSUMER_GRACE_MS = 1000;

/** The reason sent with 4403: what is wrong, without saying which account or key it concerns. */
const INVALID_CREDENTIALS_REASON = 'Invalid, expired or unknown credentials';

export function createSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { schema, engine, logger, metrics, contexts } = options;
  const check = operationChecker(schema, options.limits);
  const executeEvent = eventExecutor(schema, options.jit ?? true);
  const turn = setupTurns(options.maxConcurrentSetups);
  const byCaller = new SubscriptionsByCaller(options.maxPerCaller ?? Infinity);
  // a connection's accepted subscriptions hold a place of its caller's until they end, or it closes
  const hold = (connection: Partial<ConnectionState>, id: string) => {
    if (!byCaller.take(connection.quotaCaller!)) return false;
    connection.active!.add(id);
    return true;
  };
  const letGo = (connection: Partial<ConnectionState>, id: string) => {
    if (connection.active?.delete(id)) byCaller.release(connection.quotaCaller!);
  };
  // a stream set up for a connection that has closed meanwhile ends at once; the ended are let go
  const keep = (connection: Partial<ConnectionState>, stream: AsyncIterableIterator<unknown>) => {
    if (connection.closed) {
      void stream.return?.();
      return;
    }
    const streams = connection.streams!;
    if (streams.size >= 2 * connection.active!.size + 16) for (const held of streams) if ((held as { done?: boolean }).done) streams.delete(held);
    streams.add(stream);
  };
  // the errors onSubscribe refused with, which graphql-ws hands to onError as they are
  const refusedAtSubscribe = new WeakSet<readonly GraphQLError[]>();
  const refusals = new RefusalLog(logger, 'subscriptions refused', options.refusalLogIntervalMs);
  const frameRefusals = new RefusalLog(logger, 'WebSocket frames refused', options.refusalLogIntervalMs);
  const report = { logger, refusals };
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

  /**
   * A subscribe's checks, before anything is read: the caps, the limits, its token's expiry, the quotas.
   * Every subscribe counts as a request, as an HTTP request does whatever its answer; a refused one is
   * logged by its code, once per interval, with a count.
   */
  const checkSubscribe = async (ctx: ConnectionContext, id: string, payload: SubscribePayload, trace: RequestTrace | undefined): Promise<ExecutionArgs | readonly GraphQLError[]> => {
    const refuse = async (errors: readonly GraphQLError[], cause?: string): Promise<readonly GraphQLError[]> => {
      const limited = await options.quotas?.take(ctx.extra.quotaCaller!, 1, 0);
      if (limited) return quotaRefusal(limited);
      for (const error of errors) {
        // SERVICE_UNAVAILABLE is noted by its message on its way out (./graphql-errors.ts)
        const code = String(error.extensions?.code ?? ErrorCode.BAD_USER_INPUT);
        if (code !== ErrorCode.SERVICE_UNAVAILABLE) refusals.note(cause ?? `subscribe: ${code}`);
      }
      return errors;
    };
    const quotaRefusal = (limited: GraphQLError) => {
      refusals.note(`subscribe: ${ErrorCode.RATE_LIMITED}`);
      return [limited];
    };
    // graphql-ws lets a client reuse an id as soon as it completes it, while the first may still be set
    // up; the two would then share the id, and the first would outlive both the complete and the socket
    if (ctx.extra.active!.has(id)) return refuse([badUserInput(`The id ${JSON.stringify(id.slice(0, 40))} is still held by a subscription that has not ended; subscribe with another id`)]);
    if (ctx.extra.active!.size >= options.maxPerConnection) {
      const cap = badUserInput(`At most ${options.maxPerConnection} subscriptions per connection (LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION); complete one or open another connection`);
      return refuse([cap], cap.message); // a cap, logged as the process-wide one is
    }
    // the place is taken at once: a burst of subscribes, each waiting below, cannot all pass the caps
    if (!hold(ctx.extra, id)) {
      const cap = badUserInput(`At most ${byCaller.max} subscriptions per caller (LIVE_MAX_SUBSCRIPTIONS_PER_CALLER); complete one`);
      return refuse([cap], cap.message);
    }
    let accepted = false;
    try {
      const trusted = options.trustedDocuments?.resolve(payload as DocumentRequest);
      if (trusted !== undefined) (payload as { query: string }).query = trusted;
      const checked = check(payload);
      if (Array.isArray(checked)) return await refuse(checked as GraphQLError[]);
      const { document, operation, query, cost } = checked as Exclude<ReturnType<typeof check>, readonly GraphQLError[]>;
      trace?.span.setAttributes({ 'graphql.operation.cost': cost, ...(operation.name ? { 'graphql.operation.name': operation.name.value } : {}) });
      // graphql-ws keeps the subscribe message while the subscription lives: its text, the shared one
      (payload as { query: string }).query = query;
      if (operation.operation !== 'subscription') return await refuse([badUserInput('Only subscriptions are served over WebSocket; send queries to POST /graphql')]);
      if ((ctx.extra.caller?.credentials?.validUntil ?? Infinity) <= Date.now()) return await refuse([unauthenticated('The token has expired')]);
      const full = engine.refusal();
      if (full) return await refuse([full]);
      const limited = await options.quotas?.take(ctx.extra.quotaCaller!, 1, cost);
      if (limited) return quotaRefusal(limited);
      // the context is made when the subscribe's turn comes (below): its reads wait for that
      const pending: PendingContext = { connection: ctx.extra, trace };
      const args: ExecutionArgs = { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: pending };
      accepted = true;
      return args;
    } catch (error) {
      return await refuse([toGatewayError(error)]);
    } finally {
      if (!accepted) letGo(ctx.extra, id);
    }
  };

  /** A checked subscribe, in its turn: its context (shared by the connection's subscribes while fresh), then its source stream. */
  const setUp = async (args: ExecutionArgs, pending: PendingContext) => {
    const { connection, trace } = pending;
    if (!connection.setup) {
      const context = contexts.forRequest({ requestId: `ws-${randomUUID()}`, authorization: connection.authorization, trace });
      const setup = (connection.setup = { context });
      // shared until the caller is read, and by what resumes with that read; then let go (a connection
      // lives for hours, and the context holds every document its subscribes read)
      const release = () => void setImmediate(() => connection.setup === setup && (connection.setup = undefined));
      context.then(release, release);
    }
    let context: RequestContext;
    try {
      context = await connection.setup.context;
    } catch (error) {
      return { errors: [toGatewayError(error)] };
    }
    const operation: SubscriptionContext = { ...context, live: { engine, caller: connection.caller! } };
    return subscribeWithEventContexts({ ...args, contextValue: operation }, executeEvent);
  };

  const serverOptions: ServerOptions<Record<string, unknown>, Extra & Partial<ConnectionState>> = {
    schema,
    async onConnect(ctx) {
      const socket = ctx.extra.socket;
      // each in a turn of its own: a reconnecting fleet's handshakes arrive together, each with a read
      await nextTurn();
      try {
        // checked after its quota is taken, as a request's token is: an invalid one counts for its address
        let authorization: string | undefined;
        let credentials: Credentials | null = null;
        let invalid: unknown;
        try {
          authorization = authorizationOf(ctx.connectionParams);
          credentials = verifyCredentials(authorization, contexts.deps.jwtSecret, contexts.deps.tokenRules);
        } catch (error) {
          invalid = error;
        }
        const caller = Quotas.callerOfCredentials(credentials, (options.addressOf ?? clientAddress(undefined))(ctx.extra.request));
        if (options.quotas) {
          // a handshake counts as a request, before its read: a caller past its quota opens no connection
          const limited = await options.quotas.take(caller, 1, 0);
          if (limited) {
            refusals.note(`connection: ${ErrorCode.RATE_LIMITED}`);
            // graphql-ws clients do not retry 4429 on their own: the reason says when to
            socket.close(CloseCode.TooManyInitialisationRequests, limited.message);
            return false;
          }
        }
        if (invalid !== undefined) throw invalid;
        // the account (and API key) must exist now, as for a request
        if (credentials) await viewerOf(credentials, contexts.loaders());
        ctx.extra.authorization = authorization;
        ctx.extra.quotaCaller = caller;
        const active = (ctx.extra.active = new Set());
        const streams = (ctx.extra.streams = new Set());
        ctx.extra.closed = false;
        // what graphql-ws has not completed when the socket goes gives its caller's places back, and ends
        socket.once('close', () => {
          ctx.extra.closed = true;
          for (const id of [...active]) letGo(ctx.extra, id);
          for (const stream of streams) void stream.return?.();
          streams.clear();
        });
        ctx.extra.caller = {
          id: randomUUID(),
          credentials,
          overflow: () => disconnectSlow(socket, `more than ${engine.options.maxQueuedEvents} events waiting`),
          // 1013 (try again later): graphql-ws clients reconnect, and the recipes resume from their last _id
          retryLater: () => socket.readyState === socket.OPEN && socket.close(1013, 'The database did not answer; reconnect and resume'),
        };
        return true;
      } catch (error) {
        const safe = toGatewayError(error);
        if (safe.code === ErrorCode.UNAUTHENTICATED) {
          // closed here, for the reason; graphql-ws's own close (4403 "Forbidden") then finds it closing
          socket.close(CloseCode.Forbidden, INVALID_CREDENTIALS_REASON);
          return false;
        }
        if (safe.code === ErrorCode.INTERNAL_SERVER_ERROR) logger.error({ err: error }, 'unexpected error while authenticating a WebSocket connection');
        else refusals.note(`connection: ${safe.message}`); // an outage: a reconnecting fleet would repeat it
        socket.close(CloseCode.InternalServerError, safe.message);
        return false;
      }
    },
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
    subscribe: (args) =>
      turn(async () => {
        const pending = args.contextValue as PendingContext;
        const result = await setUp(args, pending);
        endTrace(pending.trace, Symbol.asyncIterator in result ? undefined : result.errors);
        if (Symbol.asyncIterator in result) keep(pending.connection, result);
        return result;
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
      letGo(ctx.extra, id);
    },
    onError(ctx, id, _payload, errors) {
      // a refused subscribe took no place (or gave it back); the id may be another's, still held
      if (!refusedAtSubscribe.has(errors)) letGo(ctx.extra, id);
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

/**
 * `Authorization` from the connection's parameters, as a header would carry it (any case of the key).
 * A header is always text: any other value (an object, a number) is an invalid token, not anonymous.
 */
function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!params) return undefined;
  const key = Object.keys(params).find((name) => name.toLowerCase() === 'authorization');
  const value = key === undefined ? undefined : params[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw unauthenticated('Authorization in connectionParams must be a string ("Bearer <token>")');
  return value;
}

/**
 * graphql-js's `subscribe`, but each event's selection is executed in the event's own context (the
 * live engine's tick), not the subscribe's: the source stream comes from the field's `subscribe`
 * resolver, as graphql-js would get it.
 */
async function subscribeWithEventContexts(args: ExecutionArgs, executeEvent: EventExecutor): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in Object(source))) return source as ExecutionResult;
  // not the subscribe's context: held as long as the subscription lives, it would keep its loaders
  const { contextValue: _subscribeContext, ...eventArgs } = args;
  return new EventResults(source as AsyncIterableIterator<LiveEvent<unknown>>, eventArgs, executeEvent);
}

const DONE: IteratorResult<ExecutionResult> = { value: undefined, done: true };

/**
 * A subscription's results: each event of the engine executed in its own context. An iterator whose
 * methods are on its prototype and whose `next` suspends no frame while it waits: tens of thousands
 * of them wait at once. Not an async generator, whose `return()` would wait for the pending event.
 */
class EventResults implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly events: AsyncIterableIterator<LiveEvent<unknown>>,
    private readonly eventArgs: Omit<ExecutionArgs, 'contextValue'>,
    private readonly executeEvent: EventExecutor,
  ) {}

  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.events.next().then((event) => (event.done ? DONE : this.execute(event.value)));
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.events.return?.();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.events.return?.();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Its subscription is over: the engine's stream has ended. */
  get done(): boolean {
    return (this.events as { done?: boolean }).done === true;
  }

  private async execute(event: LiveEvent<unknown>): Promise<IteratorResult<ExecutionResult>> {
    const { context } = event;
    // after the I/O waiting (a probe, a request), and together with the other events of its tick
    await nextSharedTurn();
    const result = await this.executeEvent(this.eventArgs, event.payload, context);
    // past the document budget an event is that error alone, as a request is: no partial data
    if (result.errors && context.reads.exceeded) return { value: { errors: [context.reads.exceeded] }, done: false };
    return { value: result, done: false };
  }
}
