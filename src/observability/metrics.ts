/**
 * The gateway's Prometheus metrics (prom-client), in a registry of its own made per app, so that
 * several gateways can live in one process (the tests start a few) without sharing counters.
 *
 * Every label is bounded: routes are Express route patterns (never the raw path; `unmatched` when no
 * route matched), GraphQL operation names are checked and capped (below), error codes and collection
 * and command names come from the code, not from callers.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A GraphQL operation name that may become a label; others are `invalid`. */
const OPERATION_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Distinct operation names kept as labels; names first seen after that are `other`. */
const DEFAULT_MAX_OPERATION_NAMES = 200;
/** The route label of requests that no route matched. */
export const UNMATCHED_ROUTE = 'unmatched';
/** The route label of GraphQL over HTTP, a mount Express reports no pattern for. */
export const GRAPHQL_ROUTE = '/graphql';

export type OperationOutcome = 'success' | 'partial' | 'error';

/** Seconds; from 1 ms (loopback database) to 10 s (the request budget's order). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A full session graph is 10 commands (docs/data-layer.md, "A query reads what it asks for"); more means a new code path. */
const DB_COMMAND_BUCKETS = [0, 1, 2, 3, 5, 8, 10, 12, 15, 20, 30, 50, 100];
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

export interface GatewayMetricsOptions {
  /** Distinct GraphQL operation names kept as labels (DEFAULT_MAX_OPERATION_NAMES). */
  maxOperationNames?: number;
}

/** How a GraphQL operation was executed (graphql_executions_total). */
export type ExecutionPath = 'jit' | 'interpreted' | 'rerun';

export class GatewayMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by Express route pattern (unmatched: no route), method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from a request’s arrival to the end of its response, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly graphqlOperations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations, by operation name (anonymous, invalid, other when capped) and outcome (success, partial, error)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'Time to answer a GraphQL operation over HTTP, by operation name and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly graphqlExecutions = new Counter({
    name: 'graphql_executions_total',
    help: 'GraphQL operations executed over HTTP, by how: jit (compiled), interpreted (graphql-js: not compiled yet, not a query, or not compilable), rerun (an answer with errors, computed again by graphql-js)',
    labelNames: ['how'] as const,
    registers: [this.registry],
  });

  readonly graphqlErrors = new Counter({
    name: 'graphql_errors_total',
    help: 'Errors in GraphQL responses, by extensions.code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly dbCommandsPerRequest = new Histogram({
    name: 'db_commands_per_request',
    help: 'Database commands issued by one GraphQL or REST request (its loaders’ reads), by route',
    labelNames: ['route'] as const,
    buckets: DB_COMMAND_BUCKETS,
    registers: [this.registry],
  });

  readonly dataloaderBatchSize = new Histogram({
    name: 'dataloader_batch_size',
    help: 'Keys in one batch of a loader (one find with $in), by collection',
    labelNames: ['collection'] as const,
    buckets: BATCH_SIZE_BUCKETS,
    registers: [this.registry],
  });

  readonly dbCommands = new Counter({
    name: 'db_commands_total',
    help: 'Database commands the gateway’s reads issued (find, getMore), by command name',
    labelNames: ['command'] as const,
    registers: [this.registry],
  });

  readonly liveEvents = new Counter({
    name: 'live_events_total',
    help: 'Subscription events sent to clients',
    registers: [this.registry],
  });

  readonly liveSlowConsumers = new Counter({
    name: 'live_slow_consumers_total',
    help: 'WebSocket connections closed because they did not read their events',
    registers: [this.registry],
  });

  readonly liveTickDuration = new Histogram({
    name: 'live_tick_duration_seconds',
    help: 'Time of one live-engine tick (its polls and checks, for all subscriptions)',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly liveTickDelay = new Histogram({
    name: 'live_tick_delay_seconds',
    help: 'How much later than planned a live-engine tick started (the tick before ran long, or the process was busy)',
    buckets: [0, ...LATENCY_BUCKETS],
    registers: [this.registry],
  });

  readonly liveTickQueries = new Counter({
    name: 'live_tick_queries_total',
    help: 'Database commands of the live-engine ticks (polls and access checks), by collection; per tick (over live_tick_duration_seconds_count) independent of the number of subscriptions',
    labelNames: ['collection'] as const,
    registers: [this.registry],
  });

  private readonly operationNames = new Set<string>();
  private readonly maxOperationNames: number;

  constructor(options: GatewayMetricsOptions = {}) {
    this.maxOperationNames = options.maxOperationNames ?? DEFAULT_MAX_OPERATION_NAMES;
    collectDefaultMetrics({ register: this.registry });
  }

  /** The label of a GraphQL operation name: bounded in form (OPERATION_NAME_PATTERN) and in number. */
  operationLabel(name: unknown): string {
    if (name === undefined || name === null || name === '') return 'anonymous';
    if (typeof name !== 'string' || !OPERATION_NAME_PATTERN.test(name)) return 'invalid';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= this.maxOperationNames) return 'other';
    this.operationNames.add(name);
    return name;
  }

  /** For RequestReads.onBatch: one loader batch of `size` keys read from `collection`. */
  readonly observeBatch = (collection: string, size: number): void => {
    this.dataloaderBatchSize.observe({ collection }, size);
  };

  /** For the jit executor (src/server/jit): how one operation was executed. */
  readonly observeExecution = (how: ExecutionPath): void => {
    this.graphqlExecutions.inc({ how });
  };

  /** For RequestReads.onCommand: one command a read issued (counted where it is issued, not by monitoring the driver). */
  readonly observeCommand = (command: string): void => {
    this.dbCommands.inc({ command });
  };

  /** Gauges of the live engine and its connections, read when scraped. */
  observeLive(source: { subscriptions(): number; connections(): number }): void {
    new Gauge({ name: 'live_subscriptions', help: 'Active GraphQL subscriptions', registers: [this.registry], collect() { this.set(source.subscriptions()); } });
    new Gauge({ name: 'live_connections', help: 'Open WebSocket connections', registers: [this.registry], collect() { this.set(source.connections()); } });
  }

  /** Quotas (RATE_LIMIT_*): refusals by the limit passed, and whether the counts are shared (Redis) now. */
  observeQuotas(source: { shared(): boolean | undefined }): (limit: string) => void {
    const refusals = new Counter({ name: 'rate_limited_total', help: 'Requests, WebSocket handshakes and subscribes refused by a quota, by the limit passed', labelNames: ['limit'] as const, registers: [this.registry] });
    for (const limit of ['requests', 'cost']) refusals.inc({ limit }, 0);
    new Gauge({
      name: 'rate_limit_shared',
      help: 'Whether quota counts are shared by every copy through Redis (1), or counted by this process alone (0: no REDIS_URL, or Redis unreachable)',
      registers: [this.registry],
      collect() {
        this.set(source.shared() ? 1 : 0);
      },
    });
    return (limit) => refusals.inc({ limit });
  }

  /** The exposition text and its content type, for GET /metrics. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Empties the registry. */
  close(): void {
    this.registry.clear();
  }
}

/** A name as it may appear in a log line: the same form check, without the cap. */
export function operationNameForLog(name: unknown): string | undefined {
  if (name === undefined || name === null || name === '') return undefined;
  return typeof name === 'string' && OPERATION_NAME_PATTERN.test(name) ? name : 'invalid';
}
