/**
 * The query limits for operations that do not come through Apollo Server (subscriptions over
 * WebSocket): the same parser token limit, validation rules (graphql-js's and the depth, alias and
 * directive limits), suggestions left out, and the cost limit, with the same errors as over HTTP.
 */
import { getOperationAST, GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { BoundedMap } from '../../bounded-map';
import { badUserInput, GatewayError } from '../../errors/codes';
import { armorValidationRules } from './armor';
import { costOrRefusal } from './cost';
import { GATEWAY_SPECIFIED_RULES } from './subscription-root';
import { stoppedByTokenLimit, tokenLimitExceeded } from './tokens';
import type { QueryLimits } from '../../config/query-limits';

/** Distinct valid documents kept (the oldest goes first). */
const MAX_CACHED_DOCUMENTS = 500;

export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface CheckedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** The query's text as first seen: one string for every operation that sends the same text. */
  query: string;
  /** Its cost (./cost.ts), within the limit. */
  cost: number;
}

export function operationChecker(schema: GraphQLSchema, limits: QueryLimits): (request: OperationRequest) => CheckedOperation | readonly GraphQLError[] {
  const rules = [...GATEWAY_SPECIFIED_RULES, ...armorValidationRules(limits)];
  // Valid documents by their text: the clients of a frontend send the same few subscriptions, and
  // each subscription holds its document while it lives (one shared AST, parsed and validated once).
  const valid = new BoundedMap<string, { document: DocumentNode; query: string }>(MAX_CACHED_DOCUMENTS);
  return (request) => {
    let known = valid.get(request.query);
    if (!known) {
      let document: DocumentNode;
      try {
        document = parse(request.query, { maxTokens: limits.maxTokens });
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        return [stoppedByTokenLimit(request.query, limits.maxTokens, error.positions?.[0]) ? tokenLimitExceeded(limits.maxTokens) : badUserInput(error.message)];
      }
      const invalid = validate(schema, document, rules, { hideSuggestions: true });
      if (invalid.length > 0) return invalid.map(validationRefusal);
      known = { document, query: request.query };
      valid.set(request.query, known);
    }
    const { document, query } = known;
    const operation = getOperationAST(document, request.operationName ?? undefined);
    if (!operation) return [badUserInput(request.operationName ? `Unknown operation named "${request.operationName}"` : 'Must provide an operation name when the document has several operations')];
    const cost = costOrRefusal({ schema, document, operation, variables: request.variables ?? undefined }, limits.maxCost);
    return typeof cost === 'number' ? { document, operation, query, cost } : [cost];
  };
}

/**
 * A validation error as Apollo's pipeline shows it: the GatewayError a limit's rule reported (depth,
 * aliases, directives: QUERY_TOO_COMPLEX), else the caller's document is wrong (BAD_USER_INPUT).
 */
function validationRefusal(error: GraphQLError): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error.originalError instanceof GatewayError) return error.originalError;
  return badUserInput(error.message);
}
