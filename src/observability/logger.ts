/**
 * The process logger: structured JSON lines (pino). Lines about a request carry its `requestId`, and
 * each request ends with one access line, `"msg":"request"` (./http-observer.ts). Secrets cannot reach it: documents are stripped as they are read, and the
 * Authorization header is redacted.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** `destination`: where the lines go (standard output by default; the tests capture them). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'session-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization'], censor: '[redacted]' },
  }, destination);
}
