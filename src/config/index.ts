/**
 * Settings read from the environment, once, at start-up. Everything the gateway can be told lives here.
 */
import { randomBytes } from 'node:crypto';

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
}

export class ConfigError extends Error {}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const mongodbUri = env.MONGODB_URI?.trim() || undefined;
  const port = parsePort(env.PORT ?? '4000');
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${env.LOG_LEVEL}"`);
  }
  let jwtSecret = env.JWT_SECRET ?? '';
  let jwtSecretGenerated = false;
  if (!jwtSecret) {
    if (mongodbUri) throw new ConfigError('JWT_SECRET is required when MONGODB_URI is set');
    jwtSecret = randomBytes(32).toString('base64url');
    jwtSecretGenerated = true;
  }
  return {
    mongodbUri,
    port,
    host: env.HOST || '0.0.0.0',
    jwtSecret,
    jwtSecretGenerated,
    logLevel,
    introspection: parseBoolean(env.GRAPHQL_INTROSPECTION, true),
    federation: parseBoolean(env.GRAPHQL_FEDERATION, false),
  };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be an integer from 0 to 65535; got "${value}"`);
  }
  return port;
}

function parseBoolean(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`expected a boolean, got "${value}"`);
}
