/**
 * Depth, alias and directive limits: the validation rules of `@escape.tech/graphql-armor` (ApolloArmor).
 * Its other protections are left off here: its cost limit multiplies by `first` only when `first` is
 * written as a literal (not a variable, not the default) and knows nothing of the schema's lists (we
 * count documents from the data model, ./cost.ts); its Apollo token limit throws from a plugin hook, which
 * Apollo Server 5 answers with HTTP 500 (we use graphql-js's own parser limit, ./index.ts); its field
 * suggestion mask leaves "[Suggestion hidden]?" and misses "Did you mean the enum value" (./messages.ts).
 *
 * Armor reports a rejection as a GraphQLError whose message starts with "Syntax Error:" and whose code
 * Apollo replaces with GRAPHQL_VALIDATION_FAILED. Our `onReject` reports a QUERY_TOO_COMPLEX
 * GatewayError instead, with a message that names the limit; Apollo wraps it as a validation error
 * (HTTP 400) and formatGraphQLError shows its code and message.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLError, ValidationContext, ValidationRule } from 'graphql';
import { ErrorCode, GatewayError } from '../../errors/codes';
import type { QueryLimits } from '../../config/query-limits';

type Reject = (context: ValidationContext | null, error: GraphQLError) => void;

/** Reports "Query <what> N exceeds the limit of M" in place of armor's own error. */
function rejectAs(what: string, limit: number): Reject {
  return (context, error) => {
    const found = /found (\d+)/.exec(error.message)?.[1];
    const message = found ? `Query ${what} ${found} exceeds the limit of ${limit}` : `Query ${what} exceeds the limit of ${limit}`;
    context?.reportError(new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, message));
  };
}

export function armorValidationRules(limits: QueryLimits): ValidationRule[] {
  // propagateOnRejection: false keeps armor from throwing and from adding its own reporter.
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true, propagateOnRejection: false, onReject: [rejectAs('depth', limits.maxDepth)] },
    maxAliases: { n: limits.maxAliases, propagateOnRejection: false, onReject: [rejectAs('alias count', limits.maxAliases)] },
    maxDirectives: { n: limits.maxDirectives, propagateOnRejection: false, onReject: [rejectAs('directive count', limits.maxDirectives)] },
    costLimit: { enabled: false },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  });
  const { validationRules, plugins } = armor.protect();
  if (plugins.length > 0) throw new Error('graphql-armor: expected validation rules only');
  return validationRules as ValidationRule[];
}
