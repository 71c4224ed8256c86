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
  else if (safe.code === ErrorCode.SERVICE_UNAVAILABLE) logger.warn({ err: error, requestId }, unavailableLogLine(error));
  return safe;
}
