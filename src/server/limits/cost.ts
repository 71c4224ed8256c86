/**
 * The query cost limit, with graphql-query-complexity: each field costs what its `complexity` option
 * says (src/schema/complexity.ts: `sessions` multiplies its selection by `first`, lists of related
 * documents by 10), other fields 1 plus their selection. Checked once the operation is known, with the
 * request's variables (so `first: $n` counts), in an Apollo plugin: validation rules cannot see
 * variables, and Apollo caches validation per query text.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLField, type GraphQLSchema } from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { ErrorCode, GatewayError } from '../../errors/codes';

/** Most field selections visited, fragments expanded each time they are spread. */
const MAX_QUERY_NODES = 10_000;
const TOO_MANY_NODES = 'Query exceeds the maximum allowed number of nodes.';

/**
 * `costSource`: the schema whose fields carry the `complexity` options, when the served schema is
 * another one made from it (the federation subgraph schema is rebuilt from SDL, which drops field
 * extensions); fields are then matched by type and field name. The subgraph's `_entities` costs
 * 1 + its number of representations × its selection.
 */
export function costLimitPlugin<TContext extends object>(maxCost: number, costSource?: GraphQLSchema): ApolloServerPlugin<TContext> {
  const estimators: ComplexityEstimator[] = [fieldExtensionsEstimator()];
  if (costSource) estimators.push(sourceSchemaEstimator(costSource));
  estimators.push(simpleEstimator({ defaultComplexity: 1 }));

  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          // No operation chosen (several, none named): execution reports that.
          if (!operation) return;
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              variables: request.variables ?? {},
              operationName: operation.name?.value,
              estimators,
              maxQueryNodes: MAX_QUERY_NODES,
            });
          } catch (error) {
            if (error instanceof GraphQLError && error.message === TOO_MANY_NODES) {
              throw tooComplex(`Query has more than ${MAX_QUERY_NODES} field selections once its fragments are expanded`);
            }
            // Variables that do not coerce: execution reports them as usual, with their own message.
            if (error instanceof GraphQLError) return;
            throw error;
          }
          if (cost > maxCost) throw tooComplex(`Query cost ${cost} exceeds the limit of ${maxCost}`);
        },
      };
    },
  };
}

function tooComplex(message: string): GraphQLError {
  return new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, message).withHttp();
}

function sourceSchemaEstimator(source: GraphQLSchema): ComplexityEstimator {
  const fieldOf = (typeName: string, fieldName: string): GraphQLField<unknown, unknown> | undefined => {
    const type = source.getType(typeName);
    return type && 'getFields' in type ? (type.getFields() as Record<string, GraphQLField<unknown, unknown>>)[fieldName] : undefined;
  };
  return (args) => {
    if (args.field.name === '_entities' && Array.isArray(args.args.representations)) {
      return 1 + args.args.representations.length * args.childComplexity;
    }
    const complexity = fieldOf(args.type.name, args.field.name)?.extensions?.complexity;
    if (typeof complexity === 'number') return complexity + args.childComplexity;
    if (typeof complexity === 'function') return (complexity as ComplexityEstimator)(args);
    return undefined;
  };
}
