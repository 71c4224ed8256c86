/** Resolvers set on the built schema's fields, past type-graphql's wrapper (./relation-fields.ts, ./live.resolver.ts). */
import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';

/** Gives `typeName.fieldName` its resolver; a field the schema lacks is a start-up error naming `what`. */
export function setFieldResolver(schema: GraphQLSchema, typeName: string | undefined, fieldName: string, resolve: GraphQLFieldResolver<never, never, never>, what: string): void {
  const type = schema.getType(typeName ?? '');
  const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
  if (!field) throw new Error(`The schema has no field for ${what}`);
  field.resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
}
