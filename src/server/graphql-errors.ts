/**
 * What GraphQL callers see of errors. Codes are the contract's (§5): parse and validation failures are
 * BAD_USER_INPUT (the graphql-js or Apollo code is kept as `extensions.reason`); expected errors keep
 * their message; anything unexpected becomes a bare INTERNAL_SERVER_ERROR carrying the request id, and
 * is logged in full under that id. No stack trace or driver message is ever sent.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { badUserInput, ErrorCode, GatewayError, subscriptionsOverWebSocketOnly } from '../errors/codes';
import { toGatewayError, unavailableLogLine } from '../errors/classify';
import { errorFields } from '../observability/failure-log';
import type { Logger } from '../observability/logger';
import type { RefusalLog } from '../observability/refusal-log';
import type { RequestContext } from '../context/request-context';

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

/** Apollo's refusal of `__schema` and `__type` when introspection is off tells the caller how to configure Apollo Server. */
const INTROSPECTION_DISABLED = 'INTROSPECTION_DISABLED';
const INTROSPECTION_DISABLED_MESSAGE = 'Introspection is disabled on this server: __schema and __type are not served';

/** The code and message an error is shown with. */
function classifyGraphQLError(formatted: GraphQLFormattedError, error: unknown): { code: string; message: string; reason?: string } {
  const code = formatted.extensions?.code;
  const original = innermostError(error);
  if (original instanceof GatewayError) return { code: original.code, message: original.message };
  if (formatted.extensions?.validationErrorCode === INTROSPECTION_DISABLED) {
    return { code: ErrorCode.BAD_USER_INPUT, message: INTROSPECTION_DISABLED_MESSAGE, reason: INTROSPECTION_DISABLED };
  }
  if (typeof code === 'string' && BAD_REQUEST_CODES.has(code)) {
    return { code: ErrorCode.BAD_USER_INPUT, message: formatted.message, reason: code === ErrorCode.BAD_USER_INPUT ? undefined : code };
  }
  if (code === ErrorCode.UNAUTHENTICATED || code === ErrorCode.QUERY_TOO_COMPLEX) return { code, message: formatted.message };
  // graphql-js's own errors have no original error and say nothing of our internals. Without a
  // path they are about the request (an operation type the schema lacks); with one, a null in a
  // non-null field, a defect (stored values a field cannot show are INVALID_STORED_DATA, from
  // src/schema/stored-values.ts).
  if (original instanceof GraphQLError && !original.originalError) {
    return { code: formatted.path ? ErrorCode.INTERNAL_SERVER_ERROR : ErrorCode.BAD_USER_INPUT, message: formatted.message };
  }
  const safe = toGatewayError(original);
  return { code: safe.code, message: safe.message };
}

export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const { code, message, reason } = classifyGraphQLError(formatted, error);
  const extensions: Record<string, unknown> = { code };
  if (reason) extensions.reason = reason;
  // set when authentication failed unexpectedly (app.ts); the plugin below adds it for the others
  if (code === ErrorCode.INTERNAL_SERVER_ERROR && formatted.extensions?.requestId) extensions.requestId = formatted.extensions.requestId;
  return { message, locations: formatted.locations, path: formatted.path, extensions };
}

/**
 * Logs unexpected errors and outages under the request id, and puts that id into every
 * INTERNAL_SERVER_ERROR the caller receives, so that the two can be matched.
 */
export function errorReportingPlugin(logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    // an error out of Apollo's own pipeline (answered 500): a defect, logged once under the request's id
    async unexpectedErrorProcessingRequest({ requestContext, error }) {
      logger.error({ err: innermostError(error), requestId: requestContext.contextValue?.requestId }, 'unexpected error while serving GraphQL');
    },
    async requestDidStart() {
      return {
        // graphql-js finds an operation type the schema lacks (a mutation, a subscription) only when it
        // executes it, which Apollo answers with HTTP 200 and `data: null`; it is a request error (400).
        async didResolveOperation({ operation, schema }) {
          if (operation && !schema.getRootType(operation.operation)) {
            throw badUserInput(`Schema is not configured to execute ${operation.operation} operation.`).withHttp();
          }
          if (operation?.operation === 'subscription') {
            throw subscriptionsOverWebSocketOnly().withHttp();
          }
        },
        // One line per request and kind, with a count: a list of bad items logs once, not once per item.
        async didEncounterErrors({ errors, contextValue }) {
          const byCode = new Map<string, GraphQLError[]>();
          for (const error of errors) {
            const { code } = classifyGraphQLError({ message: error.message, path: error.path, extensions: error.extensions }, error);
            byCode.set(code, [...(byCode.get(code) ?? []), error]);
          }
          const report = (code: string, level: 'error' | 'warn', msg: string | ((first: unknown) => string)) => {
            const found = byCode.get(code);
            if (!found) return;
            const first = innermostError(found[0]);
            logger[level]({ ...errorFields(code, first), path: found[0].path, count: found.length, requestId: contextValue.requestId }, typeof msg === 'string' ? msg : msg(first));
          };
          report(ErrorCode.INTERNAL_SERVER_ERROR, 'error', 'unexpected error while serving GraphQL');
          report(ErrorCode.SERVICE_UNAVAILABLE, 'warn', unavailableLogLine);
          report(ErrorCode.INVALID_STORED_DATA, 'warn', 'stored values that their fields cannot show');
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            if (error.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR) {
              (error.extensions as Record<string, unknown>).requestId = contextValue.requestId;
            }
          }
        },
      };
    },
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

/**
 * The errors of an operation that Apollo does not answer (a subscription's events over WebSocket),
 * formatted as Apollo's are: the same codes and messages. Defects are logged in full under the request
 * id; the refusals a flood of subscribers would repeat (SERVICE_UNAVAILABLE: a cap, an outage) once
 * per cause and interval.
 */
export function formatOperationErrors(errors: readonly GraphQLError[], requestId: string, report: { logger: Logger; refusals: RefusalLog }): GraphQLFormattedError[] {
  return errors.map((error) => {
    const formatted = formatGraphQLError(error.toJSON(), error);
    const code = formatted.extensions?.code;
    if (code === ErrorCode.INTERNAL_SERVER_ERROR) {
      report.logger.error({ err: innermostError(error), path: error.path, requestId }, 'unexpected error while serving a subscription');
      return { ...formatted, extensions: { ...formatted.extensions, requestId } };
    }
    if (code === ErrorCode.SERVICE_UNAVAILABLE) report.refusals.note(formatted.message);
    return formatted;
  });
}

/** The codes the client is sent for `errors`, each once (a span's `graphql.error.codes`). */
export function errorCodesOf(errors: readonly GraphQLError[]): string[] {
  return [...new Set(errors.map((error) => String(formatGraphQLError(error.toJSON(), error).extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR)))];
}
