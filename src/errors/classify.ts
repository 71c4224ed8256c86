/**
 * Turns any thrown value into a GatewayError that is safe to show: expected errors keep their code and
 * message; database outages and exceeded deadlines become SERVICE_UNAVAILABLE; everything else
 * becomes a bare INTERNAL_SERVER_ERROR, its details left for the log.
 *
 * A deadline that runs out in the database (the server's MaxTimeMSExpired, code 50, for the
 * `maxTimeMS` every read carries; or the driver's MongoOperationTimeoutError) is SERVICE_UNAVAILABLE
 * too, with its own message: HTTP 503 with `Retry-After`, like an outage (docs/resilience.md says why
 * not 504).
 */
import { MongoError, MongoNetworkError, MongoOperationTimeoutError, MongoServerError } from 'mongodb';
import { ErrorCode, GatewayError, internalError, serviceUnavailable } from './codes';

/**
 * Driver errors that mean "no usable server now": unreachable, connection lost, pool cleared or
 * saturated, client closing. Matched by name because several of these classes are not exported
 * (MongoPoolClearedError, its subclass PoolClearedOnNetworkError, MongoWaitQueueTimeoutError, ...).
 */
const OUTAGE_ERROR_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoPoolClosedError',
  'MongoWaitQueueTimeoutError',
  'MongoServerClosedError',
  'MongoClientClosedError',
]);

/**
 * Server error codes that mean the same (a node shutting down, stepping down or unreachable from a
 * mongos), from the driver's MONGODB_ERROR_CODES.
 */
const OUTAGE_SERVER_CODES = new Set([
  // InternalError: the server failed on its side, not on what the gateway sent; FerretDB answers the
  // reads in flight with it when it shuts down (MongoDB says 11600 or 91 then)
  1,
  6, // HostUnreachable
  7, // HostNotFound
  // a cursor the server no longer has: it restarted or failed over between a long read's batches
  43, // CursorNotFound
  237, // CursorKilled
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** The server stopped an operation at its `maxTimeMS`. */
const MAX_TIME_MS_EXPIRED = 50;
/** ExceededTimeLimit: the same from a mongos or an older server. */
const EXCEEDED_TIME_LIMIT = 262;

/**
 * Socket errors the driver sometimes lets through unwrapped (a write racing the server's close gives a
 * bare EPIPE "This socket has been ended by the other party"). The gateway's only outgoing sockets are
 * the driver's, so in a request these mean the database connection broke.
 */
const SOCKET_ERROR_CODES = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTCONN',
  'ERR_SOCKET_CLOSED',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

function isDatabaseOutage(error: unknown): boolean {
  if (!(error instanceof MongoError)) {
    // (no `instanceof Error`: Node's own errors come from another realm under test runners)
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    return typeof code === 'string' && SOCKET_ERROR_CODES.has(code);
  }
  if (error instanceof MongoNetworkError || OUTAGE_ERROR_NAMES.has(error.name)) return true;
  return error instanceof MongoServerError && typeof error.code === 'number' && OUTAGE_SERVER_CODES.has(error.code);
}

/**
 * The request's time budget ran out while the database worked on (or the driver waited for) one of its
 * reads: the server's MaxTimeMSExpired or the driver's own timeout. A read the gateway abandons at its
 * deadline (src/loaders/read-deadline.ts) fails with `deadlineExceeded()` itself.
 */
function isDeadlineExceeded(error: unknown): boolean {
  if (error instanceof MongoOperationTimeoutError) return true;
  return error instanceof MongoServerError && (error.code === MAX_TIME_MS_EXPIRED || error.code === EXCEEDED_TIME_LIMIT);
}

/** SERVICE_UNAVAILABLE for a request's time budget run out: the database was reachable, but too slow. */
export class DeadlineExceeded extends GatewayError {
  constructor() {
    super(ErrorCode.SERVICE_UNAVAILABLE, 'The database did not answer within the time limit; retry shortly');
  }
}

export const deadlineExceeded = (): GatewayError => new DeadlineExceeded();

/** The log line of a SERVICE_UNAVAILABLE: an outage, or a deadline run out (a slow database is not an unreachable one). */
export function unavailableLogLine(error: unknown): string {
  return toGatewayError(error) instanceof DeadlineExceeded ? 'database too slow: the request deadline ran out' : 'database unreachable';
}

export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  // graphql-js wraps a thrown value that is not an `Error` of its realm; classify what was thrown
  if ((error as { name?: unknown } | null)?.name === 'NonErrorThrown' && 'thrownValue' in (error as object)) {
    return toGatewayError((error as { thrownValue: unknown }).thrownValue);
  }
  if (isDeadlineExceeded(error)) return deadlineExceeded();
  if (isDatabaseOutage(error)) return serviceUnavailable();
  return internalError();
}
