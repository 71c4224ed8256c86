/**
 * The SDL of a type-graphql schema with the directives its classes declare (`@Directive(...)`).
 * graphql-js's `printSchema` leaves out directives on types and fields; type-graphql keeps them on
 * each type's and field's `astNode`, so they are copied back from there. This replaces
 * `printSchemaWithDirectives` of @graphql-tools/utils, which is only a transitive dependency here.
 */
import {
  Kind,
  parse,
  printSchema,
  type ConstDirectiveNode,
  type DefinitionNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLSchema,
  isInterfaceType,
  isObjectType,
} from 'graphql';

export function printSchemaWithDirectives(schema: GraphQLSchema): DocumentNode {
  const printed = parse(printSchema(schema));
  return { ...printed, definitions: printed.definitions.map((definition) => withDirectives(schema, definition)) };
}

function withDirectives(schema: GraphQLSchema, definition: DefinitionNode): DefinitionNode {
  if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) return definition;
  const type = schema.getType(definition.name.value);
  if (!isObjectType(type) && !isInterfaceType(type)) return definition;
  const fields = type.getFields();
  return {
    ...definition,
    directives: merge(definition.directives, type.astNode?.directives),
    fields: definition.fields?.map(
      (field): FieldDefinitionNode => ({ ...field, directives: merge(field.directives, fields[field.name.value]?.astNode?.directives) }),
    ),
  };
}

/** The printed directives, then the declared ones that were not printed (e.g. `@deprecated` is printed). */
function merge(
  printed: readonly ConstDirectiveNode[] | undefined,
  declared: readonly ConstDirectiveNode[] | undefined,
): readonly ConstDirectiveNode[] | undefined {
  if (!declared?.length) return printed;
  const seen = new Set((printed ?? []).map((directive) => directive.name.value));
  return [...(printed ?? []), ...declared.filter((directive) => !seen.has(directive.name.value))];
}
