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
  if (safe.code === ErrorCode.INTERNAL_SERVER_ERROR) logger.error({ err: error, requestId }, defect);
  else if (safe.code === ErrorCode.SERVICE_UNAVAILABLE) logger.warn({ cause: causeOf(error), requestId }, unavailableLogLine(error));
  return safe;
}

/** What an outage or a deadline says of itself, without its stack: the same few driver frames on every request it meets. */
export function causeOf(error: unknown): { type: string; message: string; code?: unknown } {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const { code } = error as { code?: unknown };
  return { type: error.name, message: error.message, ...(code === undefined ? {} : { code }) };
}
