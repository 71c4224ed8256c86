/** Builds the executable schema from the type-graphql classes: the code is the schema's source of truth. */
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchemaSync, type PubSub } from 'type-graphql';
import { resolvers } from '../resolvers';
import { resolveEventsDirectly } from '../resolvers/live.resolver';
import { resolveRelationsFromModel } from '../resolvers/relation-fields';
import { describeRootTypes } from '../schema/root-types';
import { reportStoredValueErrors } from '../schema/stored-values';

let cached: GraphQLSchema | undefined;

// type-graphql asks for a PubSub whenever a schema has subscriptions; these name no topics (each
// brings its own `subscribe`, from the live engine), so it is never called.
const NO_TOPICS: PubSub = {
  publish: () => {
    throw new Error('no subscription publishes by topic');
  },
  subscribe: () => {
    throw new Error('no subscription subscribes by topic');
  },
};

export function buildGatewaySchema(): GraphQLSchema {
  cached ??= resolveEventsDirectly(resolveRelationsFromModel(reportStoredValueErrors(describeRootTypes(buildSchemaSync({ resolvers, validate: false, emitSchemaFile: false, pubSub: NO_TOPICS })))));
  return cached;
}
