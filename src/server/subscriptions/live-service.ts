/**
 * Subscriptions as the app serves them: the live engine, its ticks reported to the metrics and traces,
 * and the WebSocket server that feeds it.
 */
import type { GraphQLSchema } from 'graphql';
import type { QueryLimits } from '../../config/query-limits';
import type { ContextFactory } from '../../context/request-context';
import { toGatewayError } from '../../errors/classify';
import { ErrorCode } from '../../errors/codes';
import { LiveEngine } from '../../live/live-engine';
import { DEFAULT_LIVE_OPTIONS, type LiveOptions } from '../../live/live-options';
import type { Logger } from '../../observability/logger';
import type { GatewayMetrics } from '../../observability/metrics';
import { RefusalLog } from '../../observability/refusal-log';
import type { Tracing } from '../../observability/tracing';
import type { Quotas } from '../../quotas/quotas';
import type { ClientAddress } from '../client-address';
import type { CorsOrigins } from '../cors';
import { createSubscriptionServer, type SubscriptionServer } from './subscription-server';
import type { TrustedDocuments } from '../trusted-documents';

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

export interface LiveServiceOptions {
  schema: GraphQLSchema;
  contexts: ContextFactory;
  limits: QueryLimits;
  /** Defaults for those not given. */
  settings?: Partial<LiveSettings>;
  logger: Logger;
  metrics?: GatewayMetrics;
  tracing?: Tracing;
  /** MAX_RESPONSE_BYTES, for each event. */
  maxEventBytes: number;
  /** MAX_CONCURRENT_REQUESTS: subscribes set up at once. */
  maxConcurrentSetups: number;
  corsOrigins?: CorsOrigins;
  trustedDocuments?: TrustedDocuments;
  quotas?: Quotas;
  addressOf: ClientAddress;
  jit: boolean;
}

export function createLiveService(options: LiveServiceOptions): SubscriptionServer {
  const { logger, metrics, tracing } = options;
  const live: LiveSettings = { ...DEFAULT_LIVE_SETTINGS, ...options.settings };
  const tickFailures = new RefusalLog(logger, 'live ticks failed; the next one tries again', live.refusalLogIntervalMs);
  const replayFailures = new RefusalLog(logger, 'live replays failed; their clients were asked to reconnect and resume', live.refusalLogIntervalMs);
  const engine = new LiveEngine(options.contexts, live, {
    tick: (stats) => {
      metrics?.liveTickDuration.observe(stats.durationMs / 1000);
      metrics?.liveTickDelay.observe(stats.delayMs / 1000);
      for (const [collection, count] of Object.entries(stats.queries)) metrics?.liveTickQueries.inc({ collection }, count);
      tracing?.finished('live.tick', Date.now() - stats.durationMs, {
        'live.subscriptions': stats.subscriptions, 'live.events': stats.events, 'db.commands': Object.values(stats.queries).reduce((sum, n) => sum + n, 0), 'live.tick.delay_ms': Math.round(stats.delayMs),
      });
    },
    // an outage fails every tick until it ends: one line per interval, with a count; anything else in full
    tickFailed: (error) => {
      const safe = toGatewayError(error);
      if (safe.code === ErrorCode.SERVICE_UNAVAILABLE) tickFailures.note(safe.message);
      else logger.warn({ err: error }, 'live tick failed; the next one tries again');
    },
    // one line per cause and interval: an outage fails every replay under way at once
    replayFailed: (error) => replayFailures.note(toGatewayError(error).message),
  });
  const subscriptions = createSubscriptionServer({
    schema: options.schema, contexts: options.contexts, limits: options.limits, engine, logger, metrics,
    maxPerConnection: live.maxPerConnection, maxPerCaller: live.maxPerCaller, maxBufferedBytes: live.maxBufferedBytes, maxEventBytes: options.maxEventBytes,
    maxConcurrentSetups: options.maxConcurrentSetups, corsOrigins: options.corsOrigins, refusalLogIntervalMs: live.refusalLogIntervalMs,
    trustedDocuments: options.trustedDocuments, quotas: options.quotas, addressOf: options.addressOf, jit: options.jit, tracing,
  });
  metrics?.observeLive({ subscriptions: () => engine.size, connections: () => subscriptions.connections });
  return subscriptions;
}
