/** Builds the executable schema from the type-graphql classes: the code is the schema's source of truth. */
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { resolvers } from '../resolvers';
import { reportStoredValueErrors } from './stored-values';

let cached: GraphQLSchema | undefined;

export function buildGatewaySchema(): GraphQLSchema {
  cached ??= reportStoredValueErrors(buildSchemaSync({ resolvers, validate: false, emitSchemaFile: false }));
  return cached;
}
