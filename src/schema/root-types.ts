/** The root operation types' descriptions: type-graphql builds `Query` and `Subscription` without one. */
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';

const ROOT_DESCRIPTIONS = {
  query: 'The entry points for reading: a session by id, a team’s sessions page by page, any object by its Relay id, and the caller.',
  subscription: 'Live updates over WebSocket at /graphql (graphql-transport-ws): a session as it changes, and a session’s messages as they are written, resumable after a reconnect.',
} as const;

export function describeRootTypes(schema: GraphQLSchema): GraphQLSchema {
  const roots: Array<[GraphQLObjectType | null | undefined, string]> = [
    [schema.getQueryType(), ROOT_DESCRIPTIONS.query],
    [schema.getSubscriptionType(), ROOT_DESCRIPTIONS.subscription],
  ];
  for (const [type, description] of roots) if (type && !type.description) type.description = description;
  return schema;
}
