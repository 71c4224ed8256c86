/**
 * The process logger: structured JSON lines (pino). Lines about a request carry its `requestId`. Secrets cannot reach it: documents are stripped as they are read, and the
 * Authorization header is redacted.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'session-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization'], censor: '[redacted]' },
  });
}
