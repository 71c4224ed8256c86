/** The log lines of a failed request's error, the same on every surface that answers it itself. */
import { toGatewayError, unavailableLogLine } from '../errors/classify';
import { ErrorCode, type GatewayError } from '../errors/codes';
import type { Logger } from './logger';

/**
 * Logs what a failure needs (a defect in full at `error` under `defect`, an outage or a deadline in one
 * line at `warn`, a caller's mistake not at all) and returns it made safe to show.
 */
export function loggedFailure(logger: Logger, error: unknown, requestId: string | undefined, defect: string): GatewayError {
  const safe = toGatewayError(error);
  if (safe.code === ErrorCode.INTERNAL_SERVER_ERROR) logger.error({ ...errorFields(safe.code, error), requestId }, defect);
  else if (safe.code === ErrorCode.SERVICE_UNAVAILABLE) logger.warn({ ...errorFields(safe.code, error), requestId }, unavailableLogLine(error));
  return safe;
}

/** How a logged error is shown: an outage or a deadline as `failure` (no stack), anything else whole (`err`). */
export function errorFields(code: string, error: unknown): { err: unknown } | { failure: ReturnType<typeof failureOf> } {
  return code === ErrorCode.SERVICE_UNAVAILABLE ? { failure: failureOf(error) } : { err: error };
}

/** What an outage or a deadline says of itself, without its stack: the same few driver frames on every request it meets. */
function failureOf(error: unknown): { type: string; message: string; code?: unknown } {
  // by shape, not `instanceof Error`: Node's own errors come from another realm under test runners
  if (typeof error !== 'object' || error === null) return { type: typeof error, message: describe(error) };
  const { name, code } = error as { name?: unknown; code?: unknown };
  return { type: typeof name === 'string' ? name : 'object', message: messageWithCauses(error), ...(code === undefined ? {} : { code }) };
}

/** The message, then those of the errors it wraps (`cause`), as pino's serializer joins them. */
function messageWithCauses(error: object): string {
  const messages: string[] = [];
  const seen = new Set<object>();
  for (let current: unknown = error; typeof current === 'object' && current !== null && !seen.has(current) && messages.length < 5; current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    const { message } = current as { message?: unknown };
    if (typeof message === 'string' && message !== '') messages.push(message);
  }
  return messages.join(': ');
}

function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
