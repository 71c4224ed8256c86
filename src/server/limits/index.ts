/**
 * Query limits for Apollo Server: what to add to its options. Body size is Express's
 * (app.ts); batching is Apollo's `allowBatchedHttpRequests`, off (graphql.ts).
 *
 * | limit      | enforced by                                        | when                      |
 * |------------|----------------------------------------------------|---------------------------|
 * | tokens     | graphql-js's parser (`parseOptions.maxTokens`)     | parsing: stops early      |
 * | depth      | @escape.tech/graphql-armor (max-depth)             | validation                |
 * | aliases    | @escape.tech/graphql-armor (max-aliases)           | validation                |
 * | directives | @escape.tech/graphql-armor (max-directives)        | validation                |
 * | cost       | ./cost.ts (graphql-js's coercion, the data model)  | operation known, variables |
 *
 * Every rejection is HTTP 400 with `extensions.code` QUERY_TOO_COMPLEX and a message naming the limit.
 * Field suggestions ("Did you mean …?") are left out of every error (./messages.ts).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { ParseOptions, ValidationRule } from 'graphql';
import { armorValidationRules } from './armor';
import { costLimitPlugin, type CostObserver, type CostSpender } from './cost';
import { limitMessagesPlugin } from './messages';
import type { QueryLimits } from '../../config/query-limits';

export interface QueryLimitOptions<TContext extends object> {
  parseOptions: ParseOptions;
  validationRules: ValidationRule[];
  /** No "Did you mean …?" in validation errors (graphql-js's own option). */
  validationOptions: { hideSuggestions: boolean };
  /** Put these first: the messages plugin rewrites errors before other plugins see them. */
  plugins: ApolloServerPlugin<TContext>[];
}

/** `spend`: told of each operation's cost, and may refuse it (the cost quota); `observe`: told of every cost known. */
export function queryLimitOptions<TContext extends object>(limits: QueryLimits, spend?: CostSpender<TContext>, observe?: CostObserver<TContext>): QueryLimitOptions<TContext> {
  return {
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: armorValidationRules(limits),
    validationOptions: { hideSuggestions: true },
    plugins: [limitMessagesPlugin<TContext>(limits.maxTokens), costLimitPlugin<TContext>(limits.maxCost, spend, observe)],
  };
}
