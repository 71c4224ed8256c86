/**
 * The error codes of the contract (§5) with the HTTP status and headers each maps to. GraphQL errors
 * carry the code in `extensions.code`; the REST layer answers with the status and `{message, code}`.
 */
import { GraphQLError } from 'graphql';

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** A caller past its quota of requests or query cost (RATE_LIMIT_REQUESTS, RATE_LIMIT_COST). */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A document the trusted-documents manifest does not hold (TRUSTED_DOCUMENTS). */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /**
   * A stored value that its field's type cannot represent (an enum value outside its enum, text in an
   * Int field): the data's fault, neither the caller's nor the gateway's. Only ever at a field's path.
   */
  INVALID_STORED_DATA: 'INVALID_STORED_DATA',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  QUERY_TOO_COMPLEX: 400,
  PERSISTED_QUERY_NOT_FOUND: 400,
  RATE_LIMITED: 429,
  INVALID_STORED_DATA: 200,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
};

/** Seconds a client should wait before retrying while the database is unreachable. */
export const RETRY_AFTER_SECONDS = 5;

/** Response headers that go with an error code. */
export function httpHeadersFor(code: ErrorCode): Record<string, string> {
  if (code === ErrorCode.UNAUTHENTICATED) return { 'www-authenticate': 'Bearer' };
  if (code === ErrorCode.SERVICE_UNAVAILABLE) return { 'retry-after': String(RETRY_AFTER_SECONDS) };
  return {};
}

/**
 * An expected failure with a code and a message safe to show to the caller. Thrown by the policy,
 * the identity check and argument validation; each surface turns it into its own error shape.
 */
export class GatewayError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message, { extensions: { code } });
    this.name = 'GatewayError';
    this.code = code;
  }

  /**
   * The same error with its HTTP status and headers attached, for failures that stop a GraphQL request
   * before execution (Apollo Server reads `extensions.http`). Errors of single fields keep HTTP 200.
   */
  withHttp(requestId?: string): GraphQLError {
    const headers = new Map(Object.entries(httpHeadersFor(this.code)));
    const extensions: Record<string, unknown> = { code: this.code, http: { status: HTTP_STATUS[this.code], headers } };
    if (requestId && this.code === ErrorCode.INTERNAL_SERVER_ERROR) extensions.requestId = requestId;
    return new GraphQLError(this.message, { originalError: this, extensions });
  }
}

export const badUserInput = (message: string) => new GatewayError(ErrorCode.BAD_USER_INPUT, message);

/** What a subscription sent anywhere but the WebSocket at /graphql is told. */
export const subscriptionsOverWebSocketOnly = () => badUserInput('Subscriptions are served over WebSocket at /graphql (the graphql-transport-ws protocol)');
export const forbidden = (message: string) => new GatewayError(ErrorCode.FORBIDDEN, message);
export const notFound = (message: string) => new GatewayError(ErrorCode.NOT_FOUND, message);
export const unauthenticated = (message: string) => new GatewayError(ErrorCode.UNAUTHENTICATED, message);
export const serviceUnavailable = () =>
  new GatewayError(ErrorCode.SERVICE_UNAVAILABLE, 'The database is unreachable; retry shortly');
export const internalError = () => new GatewayError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
