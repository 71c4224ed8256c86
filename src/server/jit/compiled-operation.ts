/** An operation compiled by graphql-jit, its argument literals made variables first (./hoist-arguments.ts). */
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { hoistArgumentLiterals, withLiteralValues, type HoistedDocument } from './hoist-arguments';

export interface CompiledOperation {
  query: CompiledQuery['query'];
  literals: HoistedDocument['literals'];
}

/** Null when graphql-jit cannot compile it: it runs on graphql-js. */
export function compileOperation(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): CompiledOperation | null {
  const hoisted = hoistArgumentLiterals(schema, document);
  const result = compileQuery(schema, hoisted.document, operationName, { disablingCapturingStackErrors: true });
  return isCompiledQuery(result) ? { query: result.query.bind(result), literals: hoisted.literals } : null;
}

/** The variables a compiled run takes: the request's, and the values of the literals made variables. */
export function variablesOf(operation: CompiledOperation, variables: Record<string, unknown> | undefined): Record<string, unknown> {
  return operation.literals.size === 0 ? (variables ?? {}) : withLiteralValues(operation.literals, variables);
}
