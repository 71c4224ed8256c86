/**
 * Two rewrites of errors, made before they are formatted (and before other plugins see them, so this
 * plugin goes first):
 * - a document whose parse stopped at the token limit (./tokens.ts) becomes
 *   QUERY_TOO_COMPLEX with a message that names the limit;
 * - suggestions ("Did you mean …?") are removed: they would show the schema bit by bit to a caller
 *   when introspection is off. Validation leaves them out already (`validationOptions.hideSuggestions`,
 *   ./index.ts); this catches those of variable coercion at execution ("Did you mean the enum value
 *   …?"), which Apollo Server gives no option for.
 */
import { ApolloServerErrorCode } from '@apollo/server/errors';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { stoppedByTokenLimit, tokenLimitExceeded } from './tokens';

const SUGGESTION = /\s*Did you mean\b[\s\S]*$/;

export function limitMessagesPlugin<TContext extends object>(maxTokens: number): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, source }) {
          for (const error of errors) {
            if (error.extensions.code === ApolloServerErrorCode.GRAPHQL_PARSE_FAILED && source !== undefined && stoppedByTokenLimit(source, maxTokens, error.positions?.[0])) {
              const refusal = tokenLimitExceeded(maxTokens);
              error.message = refusal.message;
              (error.extensions as Record<string, unknown>).code = refusal.code;
            } else {
              hideSuggestions(error);
            }
          }
        },
      };
    },
  };
}

/** Removes "Did you mean …?" from the error and from the errors it wraps (a GatewayError carried with its HTTP status). */
function hideSuggestions(error: GraphQLError): void {
  for (let current: unknown = error; current instanceof Error; current = (current as GraphQLError).originalError) {
    if (SUGGESTION.test(current.message)) current.message = current.message.replace(SUGGESTION, '');
  }
}
