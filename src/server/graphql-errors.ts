/**
 * What GraphQL callers see of errors. Codes are the contract's (§5): parse and validation failures are
 * BAD_USER_INPUT (the graphql-js or Apollo code is kept as `extensions.reason`); expected errors keep
 * their message; anything unexpected becomes a bare INTERNAL_SERVER_ERROR with the request id, and is
 * logged in full under that id. No stack trace or driver message is ever sent.
 */
import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ErrorCode, GatewayError } from '../errors/codes';
import { toGatewayError } from '../errors/classify';
import type { Logger } from '../observability/logger';
import { currentRequestScope } from '../observability/request-scope';

/** Apollo's request-level codes that all mean "the request itself is wrong". */
const BAD_REQUEST_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_FOUND',
  'BAD_USER_INPUT',
]);

export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const original = innermostError(error);
    if (original instanceof GatewayError) return withCode(formatted, original.code, original.message);
    if (typeof code === 'string' && BAD_REQUEST_CODES.has(code)) {
      const reason = code === ErrorCode.BAD_USER_INPUT ? undefined : code;
      return withCode(formatted, ErrorCode.BAD_USER_INPUT, formatted.message, reason);
    }
    if (code === ErrorCode.UNAUTHENTICATED || code === ErrorCode.QUERY_TOO_COMPLEX) return formatted;
    // graphql-js's own errors have no original error and say nothing of our internals. Without a
    // path they are about the request (an operation type the schema lacks); with one, about a value
    // (a stored enum value outside its enum, a null in a non-null field).
    if (original instanceof GraphQLError && !original.originalError) {
      const errorCode = formatted.path ? ErrorCode.INTERNAL_SERVER_ERROR : ErrorCode.BAD_USER_INPUT;
      return withCode(formatted, errorCode, formatted.message);
    }
    const safe = toGatewayError(original);
    if (safe.code === ErrorCode.INTERNAL_SERVER_ERROR) {
      logger.error({ err: original, path: formatted.path }, 'unexpected error while serving GraphQL');
    } else {
      logger.warn({ code: safe.code, err: original }, 'GraphQL request failed');
    }
    return withCode(formatted, safe.code, safe.message);
  };
}

/** The error at the bottom of a chain of wrappers (Apollo's, graphql-js's located errors, ours). */
function innermostError(error: unknown): unknown {
  let current = unwrapResolverError(error);
  while (current instanceof GraphQLError && current.originalError && !(current instanceof GatewayError)) {
    current = current.originalError;
  }
  return current;
}

function withCode(formatted: GraphQLFormattedError, code: string, message: string, reason?: string): GraphQLFormattedError {
  const requestId = currentRequestScope()?.requestId;
  const extensions: Record<string, unknown> = { code };
  if (reason) extensions.reason = reason;
  if (code === ErrorCode.INTERNAL_SERVER_ERROR && requestId) extensions.requestId = requestId;
  return { message, locations: formatted.locations, path: formatted.path, extensions };
}
