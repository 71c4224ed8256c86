/**
 * Settings read from the environment, once, at start-up. Everything the gateway can be told lives here,
 * but for OpenTelemetry's standard `OTEL_*` variables, which its SDK reads (src/observability/tracing.ts).
 */
import { randomBytes } from 'node:crypto';
import { resolveQueryLimits, type QueryLimits } from './query-limits';
import { parseCorsOrigins, type CorsOrigins } from './cors-origins';
import { parseTrustedProxies } from './trusted-proxies';
import { DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_REQUEST_BUDGETS } from './request-budgets';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface GatewayConfig {
  /** A real MongoDB; when absent the gateway starts an embedded throwaway server with demo data. */
  mongodbUri: string | undefined;
  port: number;
  host: string;
  /** HS256 secret that signs the bearer tokens (and derives csrf secrets). */
  jwtSecret: string;
  /** True when no JWT_SECRET was given and a random one was made for this process (embedded demo only). */
  jwtSecretGenerated: boolean;
  logLevel: LogLevel;
  introspection: boolean;
  /** Serve an Apollo Federation 2 subgraph schema (entities, `_service`, `_entities`) instead of the plain one. */
  federation: boolean;
  /** Serve GET /metrics on the metrics listener (Prometheus text; unauthenticated). METRICS_ENABLED. */
  metricsEnabled: boolean;
  /** Strict-Transport-Security max-age in seconds; 0 (the default) sends none. HSTS_MAX_AGE. */
  hstsMaxAge: number;
  /** Query and body size limits: GRAPHQL_MAX_DEPTH, GRAPHQL_MAX_COST, GRAPHQL_MAX_ALIASES, GRAPHQL_MAX_DIRECTIVES, GRAPHQL_MAX_TOKENS, MAX_BODY_BYTES. */
  limits: QueryLimits;
  /** Time budget of one request in ms (REQUEST_TIMEOUT_MS), carried to MongoDB as maxTimeMS. */
  requestTimeoutMs: number;
  /** How long a read waits for a reachable database before failing with 503 (DB_SERVER_SELECTION_TIMEOUT_MS). */
  dbServerSelectionTimeoutMs: number;
  /** How long SIGTERM/SIGINT may take before connections are force-closed and the process exits 1 (SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (HTTP_KEEP_ALIVE_TIMEOUT_MS); above the load balancer's idle timeout. */
  httpKeepAliveTimeoutMs: number;
  /** How long `/readyz` answers 503 on SIGTERM before the listener closes (SHUTDOWN_READY_DELAY_MS; 5000, 0 for the embedded demo). */
  shutdownReadyDelayMs: number;
  /** The metrics listener (METRICS_HOST, default 127.0.0.1; METRICS_PORT, default 9464). */
  metricsHost: string;
  metricsPort: number;
  /** Federation inline traces (`ftv1`) for routers that ask (GRAPHQL_FEDERATION_TRACES, default false). */
  federationTraces: boolean;
  /** Queries executed by graphql-jit, compiled per document (GRAPHQL_JIT, default true). */
  jit: boolean;
  /** MAX_DOCUMENTS_PER_REQUEST (20000) and MAX_RESPONSE_BYTES (5 MiB). */
  budgets: { maxDocuments: number; maxResponseBytes: number };
  /** MAX_CONCURRENT_REQUESTS (64). */
  maxConcurrentRequests: number;
  /** JWT_MAX_AGE_S: tokens issued longer ago are refused; unset, no bound. */
  jwtMaxAgeS: number | undefined;
  /** CORS_ORIGINS: comma-separated origins (or `*`) browsers may call the API from; unset, none. */
  corsOrigins: CorsOrigins | undefined;
  /** TRUST_PROXY: the proxies whose X-Forwarded-For names an anonymous caller's address (for its quota); unset, none. */
  trustedProxies: readonly string[] | undefined;
  /** RATE_LIMIT_REQUESTS and RATE_LIMIT_COST per RATE_LIMIT_WINDOW_S (60) per caller, REDIS_URL to share the counts; unset limits: no quota. */
  quotas: { requests?: number; cost?: number; windowS: number; redisUrl?: string } | undefined;
  /** TRUSTED_DOCUMENTS: the manifest of trusted documents (id → text); TRUSTED_DOCUMENTS_ONLY (false): serve no other document. */
  trustedDocuments: { file: string; only: boolean } | undefined;
  /** Subscriptions: LIVE_POLL_INTERVAL_MS (1000), LIVE_MAX_SUBSCRIPTIONS (20000), LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION (100), LIVE_MAX_SUBSCRIPTIONS_PER_CALLER (2000), LIVE_MAX_BUFFERED_BYTES (1 MiB), LIVE_RESUME_WINDOW_S (300); unset ones take their defaults. */
  live: { intervalMs?: number; maxSubscriptions?: number; maxPerConnection?: number; maxPerCaller?: number; maxBufferedBytes?: number; resumeWindowS?: number };
}

/** Defaults of the time limits (docs/resilience.md). */
export const TIME_LIMIT_DEFAULTS = {
  requestTimeoutMs: 10_000,
  dbServerSelectionTimeoutMs: 5_000,
  shutdownTimeoutMs: 10_000,
  httpKeepAliveTimeoutMs: 65_000,
} as const;

export class ConfigError extends Error {}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const mongodbUri = env.MONGODB_URI?.trim() || undefined;
  const port = parsePort(env.PORT?.trim() || '4000');
  const logLevel = (env.LOG_LEVEL?.trim() || 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${env.LOG_LEVEL}"`);
  }
  // a secret of only spaces is no secret: as unset (a secret is otherwise used exactly as given)
  let jwtSecret = env.JWT_SECRET?.trim() ? env.JWT_SECRET : '';
  let jwtSecretGenerated = false;
  if (!jwtSecret) {
    if (mongodbUri) throw new ConfigError('JWT_SECRET is required when MONGODB_URI is set');
    jwtSecret = randomBytes(32).toString('base64url');
    jwtSecretGenerated = true;
  }
  const config: GatewayConfig = {
    mongodbUri,
    port,
    // the embedded demo hands out an owner's token in its IDE: only this machine reaches it unless HOST says so
    host: env.HOST?.trim() || (mongodbUri ? '0.0.0.0' : '127.0.0.1'),
    jwtSecret,
    jwtSecretGenerated,
    logLevel,
    introspection: parseBoolean(env, 'GRAPHQL_INTROSPECTION', true),
    federation: parseBoolean(env, 'GRAPHQL_FEDERATION', false),
    metricsEnabled: parseBoolean(env, 'METRICS_ENABLED', true),
    hstsMaxAge: parseSeconds(env, 'HSTS_MAX_AGE'),
    limits: resolveQueryLimits({
      maxDepth: parseLimit(env, 'GRAPHQL_MAX_DEPTH'),
      maxCost: parseLimit(env, 'GRAPHQL_MAX_COST'),
      maxAliases: parseLimit(env, 'GRAPHQL_MAX_ALIASES'),
      maxDirectives: parseLimit(env, 'GRAPHQL_MAX_DIRECTIVES'),
      maxTokens: parseLimit(env, 'GRAPHQL_MAX_TOKENS'),
      maxBodyBytes: parseLimit(env, 'MAX_BODY_BYTES'),
    }),
    requestTimeoutMs: parseDuration(env, 'REQUEST_TIMEOUT_MS') ?? TIME_LIMIT_DEFAULTS.requestTimeoutMs,
    dbServerSelectionTimeoutMs: parseDuration(env, 'DB_SERVER_SELECTION_TIMEOUT_MS') ?? TIME_LIMIT_DEFAULTS.dbServerSelectionTimeoutMs,
    shutdownTimeoutMs: parseDuration(env, 'SHUTDOWN_TIMEOUT_MS') ?? TIME_LIMIT_DEFAULTS.shutdownTimeoutMs,
    httpKeepAliveTimeoutMs: parseDuration(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS') ?? TIME_LIMIT_DEFAULTS.httpKeepAliveTimeoutMs,
    shutdownReadyDelayMs: parseMs(env, 'SHUTDOWN_READY_DELAY_MS') ?? (mongodbUri ? 5_000 : 0),
    metricsHost: env.METRICS_HOST?.trim() || '127.0.0.1',
    metricsPort: parsePort(env.METRICS_PORT?.trim() || '9464', 'METRICS_PORT'),
    federationTraces: parseBoolean(env, 'GRAPHQL_FEDERATION_TRACES', false),
    jit: parseBoolean(env, 'GRAPHQL_JIT', true),
    budgets: {
      maxDocuments: parseLimit(env, 'MAX_DOCUMENTS_PER_REQUEST') ?? DEFAULT_REQUEST_BUDGETS.maxDocuments,
      maxResponseBytes: parseLimit(env, 'MAX_RESPONSE_BYTES') ?? DEFAULT_REQUEST_BUDGETS.maxResponseBytes,
    },
    maxConcurrentRequests: parseLimit(env, 'MAX_CONCURRENT_REQUESTS') ?? DEFAULT_MAX_CONCURRENT_REQUESTS,
    jwtMaxAgeS: parseLimit(env, 'JWT_MAX_AGE_S'),
    corsOrigins: asConfig(parseCorsOrigins, env.CORS_ORIGINS),
    trustedProxies: asConfig(parseTrustedProxies, env.TRUST_PROXY),
    trustedDocuments: parseTrustedDocuments(env),
    quotas: parseQuotas(env),
    live: withoutUnset({
      intervalMs: parseDuration(env, 'LIVE_POLL_INTERVAL_MS'),
      maxSubscriptions: parseLimit(env, 'LIVE_MAX_SUBSCRIPTIONS'),
      maxPerConnection: parseLimit(env, 'LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION'),
      maxPerCaller: parseLimit(env, 'LIVE_MAX_SUBSCRIPTIONS_PER_CALLER'),
      maxBufferedBytes: parseLimit(env, 'LIVE_MAX_BUFFERED_BYTES'),
      resumeWindowS: parseLimit(env, 'LIVE_RESUME_WINDOW_S'),
    }),
  };
  // the shutdown's backstop waits for both, and 5 s more (src/server/shutdown.ts)
  const shutdownMaxMs = MAX_TIMER_MS - SHUTDOWN_BACKSTOP_MARGIN_MS;
  if (config.shutdownReadyDelayMs + config.shutdownTimeoutMs > shutdownMaxMs) {
    throw new ConfigError(`SHUTDOWN_READY_DELAY_MS and SHUTDOWN_TIMEOUT_MS together must be at most ${shutdownMaxMs} ms; got ${config.shutdownReadyDelayMs} and ${config.shutdownTimeoutMs}`);
  }
  return config;
}

/** The longest a Node.js timer waits (about 24.8 days): a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** What the shutdown's backstop waits past the ready delay and the drain. */
export const SHUTDOWN_BACKSTOP_MARGIN_MS = 5_000;

/** A positive number of milliseconds a timer can wait, or undefined (the default) when unset or empty. */
function parseDuration(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const ms = parseLimit(env, name);
  if (ms !== undefined && ms > MAX_TIMER_MS) throw new ConfigError(`${name} must be at most ${MAX_TIMER_MS} ms (about 24.8 days); got "${env[name]}"`);
  return ms;
}

/** The settings that were given (so that spreading them over defaults keeps the defaults of the others). */
function withoutUnset<T extends Record<string, number | undefined>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** A positive integer, or undefined (the default) when unset or empty. */
function parseLimit(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new ConfigError(`${name} must be a positive integer; got "${env[name]}"`);
  }
  return Number(value);
}

function parsePort(value: string, name = 'PORT'): number {
  const port = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || port > 65535) {
    throw new ConfigError(`${name} must be an integer from 0 to 65535; got "${value}"`);
  }
  return port;
}

/** A whole number of milliseconds (0 allowed), or undefined when unset or empty. */
function parseMs(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > MAX_TIMER_MS) {
    throw new ConfigError(`${name} must be a whole number of milliseconds, at most ${MAX_TIMER_MS}; got "${env[name]}"`);
  }
  return Number(value);
}

/** A whole number of seconds, 0 when unset or empty. */
function parseSeconds(env: NodeJS.ProcessEnv, name: string): number {
  const value = env[name]?.trim();
  if (!value) return 0;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new ConfigError(`${name} must be a whole number of seconds; got "${env[name]}"`);
  }
  return Number(value);
}

/** A parser of config/ whose error names the setting, as a ConfigError (the start's one line). */
function asConfig<T>(parse: (value: string | undefined) => T, value: string | undefined): T {
  try {
    return parse(value);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

function parseBoolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be a boolean (true/false, 1/0, yes/no, on/off); got "${value}"`);
}

function parseTrustedDocuments(env: NodeJS.ProcessEnv): { file: string; only: boolean } | undefined {
  const file = env.TRUSTED_DOCUMENTS?.trim();
  const only = parseBoolean(env, 'TRUSTED_DOCUMENTS_ONLY', false);
  if (!file) {
    if (only) throw new ConfigError('TRUSTED_DOCUMENTS_ONLY=true needs TRUSTED_DOCUMENTS, the manifest of the documents to serve');
    return undefined;
  }
  return { file, only };
}

function parseQuotas(env: NodeJS.ProcessEnv): GatewayConfig['quotas'] {
  const requests = parseLimit(env, 'RATE_LIMIT_REQUESTS');
  const cost = parseLimit(env, 'RATE_LIMIT_COST');
  const windowS = parseLimit(env, 'RATE_LIMIT_WINDOW_S') ?? 60;
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
  if (requests === undefined && cost === undefined) return undefined;
  return { requests, cost, windowS, redisUrl };
}
