/**
 * Turns any thrown value into a GatewayError that is safe to show: expected errors keep their code and
 * message; database outages become SERVICE_UNAVAILABLE; everything else becomes a bare
 * INTERNAL_SERVER_ERROR, its details left for the log.
 */
import { MongoError } from 'mongodb';
import { GatewayError, internalError, serviceUnavailable } from './codes';

const OUTAGE_ERROR_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
]);

export function isDatabaseOutage(error: unknown): boolean {
  return error instanceof MongoError && OUTAGE_ERROR_NAMES.has(error.name);
}

export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (isDatabaseOutage(error)) return serviceUnavailable();
  return internalError();
}
