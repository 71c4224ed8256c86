/**
 * Two rewrites of error messages, made before the errors are formatted (and before other plugins see
 * them, so this plugin goes first):
 * - graphql-js's token limit ("Document contains more that N tokens. Parsing aborted.", sic, a
 *   syntax error) becomes QUERY_TOO_COMPLEX with a message that names the limit;
 * - suggestions ("Did you mean …?") are removed: they would show the schema bit by bit to a caller
 *   when introspection is off. Validation leaves them out already (`validationOptions.hideSuggestions`,
 *   ./index.ts); this catches those of variable coercion at execution ("Did you mean the enum value
 *   …?"), which Apollo Server gives no option for.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { ErrorCode } from '../../errors/codes';

const TOKEN_LIMIT = /Document contains more th(?:an|at) (\d+) tokens/;
const SUGGESTION = /\s*Did you mean\b[\s\S]*$/;

export function limitMessagesPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) rewriteLimitMessage(error);
        },
      };
    },
  };
}

export function rewriteLimitMessage(error: GraphQLError): void {
  const tokens = TOKEN_LIMIT.exec(error.message);
  if (tokens) {
    error.message = `Query token count exceeds the limit of ${tokens[1]}`;
    (error.extensions as Record<string, unknown>).code = ErrorCode.QUERY_TOO_COMPLEX;
    return;
  }
  // the message may be shown from the error this one wraps (a GatewayError carried with its HTTP status)
  for (let current: unknown = error; current instanceof Error; current = (current as GraphQLError).originalError) {
    if (SUGGESTION.test(current.message)) current.message = current.message.replace(SUGGESTION, '');
  }
}
