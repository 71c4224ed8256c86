/**
 * The gateway as an Apollo Federation 2 subgraph (GRAPHQL_FEDERATION=true): the same types and
 * resolvers as the plain schema, built from the same type-graphql classes (type-graphql's documented
 * way: print the schema with its directives, make a resolvers map from it, and give both to
 * `buildSubgraphSchema`), plus `_service` and `_entities` for the entities of `./references`.
 * The resolvers map carries the custom scalars (ObjectId, DateTime, JSON) and the enums' internal
 * values (RUNNING ↔ 'running'), so both behave as in the plain schema.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { concatAST, parse, type GraphQLSchema } from 'graphql';
import { createResolversMap } from 'type-graphql';
import { buildGatewaySchema } from './gateway-schema';
import { reportStoredValueErrors } from '../schema/stored-values';
import type { RequestContext } from '../context/request-context';
import { printSchemaWithDirectives } from '../federation/print-sdl';
import { referenceResolvers } from '../federation/references';

const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

let cached: GraphQLSchema | undefined;

export function buildSubgraphGatewaySchema(): GraphQLSchema {
  if (cached) return cached;
  const schema = buildGatewaySchema();
  const typeDefs = concatAST([parse(FEDERATION_LINK), printSchemaWithDirectives(schema)]);
  const resolvers = createResolversMap(schema) as GraphQLResolverMap<unknown>;
  for (const [typeName, resolveReference] of referenceResolvers) {
    resolvers[typeName] = {
      ...(resolvers[typeName] as object),
      __resolveReference: (reference: unknown, ctx: unknown) => resolveReference(reference, ctx as RequestContext),
    } as GraphQLResolverMap<unknown>[string];
  }
  cached = reportStoredValueErrors(buildSubgraphSchema({ typeDefs, resolvers }));
  return cached;
}
