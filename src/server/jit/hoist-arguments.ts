/**
 * graphql-jit writes the values of literal arguments into the code it generates, as JSON: a custom
 * scalar's parsed value (an ObjectId from `session(_id: "…")`) reaches the resolver as a string. So
 * before compiling, every literal field argument becomes a variable of the argument's type, and its
 * value is passed with the request's variables: coerced by the scalar's `parseValue` at execution.
 */
import {
  Kind, parseType, TypeInfo, valueFromASTUntyped, visit, visitWithTypeInfo,
  type DocumentNode, type GraphQLSchema, type ValueNode, type VariableDefinitionNode,
} from 'graphql';

export interface HoistedDocument {
  document: DocumentNode;
  /** The literal each new variable stands for (a literal may hold the request's own variables). */
  literals: ReadonlyMap<string, ValueNode>;
}

const PREFIX = '__literal';

export function hoistArgumentLiterals(schema: GraphQLSchema, document: DocumentNode): HoistedDocument {
  const typeInfo = new TypeInfo(schema);
  const literals = new Map<string, ValueNode>();
  const definitions: VariableDefinitionNode[] = [];
  const withVariables = visit(document, visitWithTypeInfo(typeInfo, {
    Argument(node) {
      const argument = typeInfo.getArgument();
      // directive arguments (`@include(if: true)`) are booleans jit handles; variables stay as they are
      if (!argument || typeInfo.getDirective() || node.value.kind === Kind.VARIABLE) return undefined;
      const name = `${PREFIX}${literals.size}`;
      literals.set(name, node.value);
      definitions.push({
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } },
        type: parseType(String(argument.type)),
      });
      return { ...node, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } } };
    },
  }));
  if (literals.size === 0) return { document, literals };
  // every operation declares them: a fragment's argument may be used by any operation
  const hoisted = visit(withVariables, {
    OperationDefinition: (node) => ({ ...node, variableDefinitions: [...(node.variableDefinitions ?? []), ...definitions] }),
  });
  return { document: hoisted, literals };
}

/** The request's variables with the hoisted literals' values added. */
export function withLiteralValues(literals: ReadonlyMap<string, ValueNode>, variables: Record<string, unknown> | undefined): Record<string, unknown> {
  const all: Record<string, unknown> = { ...variables };
  for (const [name, value] of literals) all[name] = valueFromASTUntyped(value, variables);
  return all;
}
