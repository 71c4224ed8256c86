/**
 * The static query cost limit: about the documents the operation can return, computed on the
 * operation as it will execute. The request's variables are coerced with their defaults, each field's
 * arguments are computed and `@include`/`@skip` are applied by graphql-js's own functions, the ones
 * execution calls (`getVariableValues`, `getArgumentValues`, `getDirectiveValues`), so the cost sees
 * exactly what will run. What counts is src/schema/cost-model.ts.
 *
 * Whatever the caller sent that cannot be computed (a variable that does not coerce, a null for a
 * non-null argument, a condition that is not a boolean, a malformed federation representation) is
 * BAD_USER_INPUT, and an operation over the limit QUERY_TOO_COMPLEX, both before any read. The check
 * is never skipped: a failure of the computation itself refuses the request. The variables are coerced
 * for every request; the cost is kept per operation, by the values that can change it (./known-costs.ts).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getVariableValues,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type DocumentNode,
  type GraphQLField,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { badUserInput, ErrorCode, GatewayError } from '../../errors/codes';
import { representationProblem } from '../../federation/references';
import { ARGUMENT_SIZES, DOCUMENT_TYPES, ENTITIES, LIST_SIZES, PAGE_SIZES } from '../../schema/cost-model';
import { knownCostsOf } from './known-costs';

/** The arguments of a field that takes none. */
const NO_ARGUMENTS: Record<string, unknown> = Object.freeze(Object.create(null) as Record<string, unknown>);

/** Most field selections visited, fragments expanded each time they are spread. */
const MAX_QUERY_NODES = 10_000;

export interface CostInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown> | undefined;
}

/** The operation's cost; throws BAD_USER_INPUT or QUERY_TOO_COMPLEX (node count) as above. */
export function operationCost({ schema, document, operation, variables }: CostInput): number {
  const values = coerceVariables(schema, operation, variables ?? {});
  const known = knownCostsOf(schema, document, operation);
  const key = known.keyOf(values);
  const cost = key === undefined ? undefined : known.get(key);
  if (cost !== undefined) return cost;
  const root = schema.getRootType(operation.operation);
  const walked = root ? new CostWalk(schema, document, values).selectionCost(operation.selectionSet, root) : 0;
  if (key !== undefined) known.set(key, walked);
  return walked;
}

/** One operation's walk; methods, not closures per request (see src/loaders/session-graph-loader.ts). */
class CostWalk {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  private visited = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly values: Record<string, unknown>,
  ) {
    for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
  }

  selectionCost(selectionSet: SelectionSetNode, type: GraphQLNamedType): number {
    const { schema, values } = this;
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (++this.visited > MAX_QUERY_NODES) {
        throw new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, `Query has more than ${MAX_QUERY_NODES} field selections once its fragments are expanded`);
      }
      if (!included(selection, values)) continue;
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = this.fragments.get(selection.name.value);
        const on = fragment && schema.getType(fragment.typeCondition.name.value);
        if (on) total += this.selectionCost(fragment.selectionSet, on);
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (on) total += this.selectionCost(selection.selectionSet, on);
        continue;
      }
      if (!isObjectType(type) && !isInterfaceType(type)) continue;
      // introspection is walked too, at no cost: its arguments and conditions are the caller's as well
      const field = fieldDefinition(schema, type, selection.name.value);
      if (!field) continue; // validation has refused unknown fields; nothing below one to compute
      // most fields take none: graphql-js would make an empty argument map for each
      const args = field.args.length > 0 ? getArgumentValues(field, selection, values) : NO_ARGUMENTS;
      const named = getNamedType(field.type);
      const own = isDocument(schema, named) ? 1 : 0;
      const key = `${type.name}.${field.name}`;
      const below = selection.selectionSet ? this.selectionCost(selection.selectionSet, named) : 0;
      // a page reads its documents whatever is asked of them (its cursors, its pageInfo alone)
      total += valuesOf(key, args) * (PAGE_SIZES.has(key) ? Math.max(below, 1) : own + below);
    }
    return total;
  }
}

/** Whether `@include`/`@skip` keep the selection, with the request's variables. */
function included(node: SelectionNode, values: Record<string, unknown>): boolean {
  if (!node.directives?.length) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node, values)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, values)?.if !== false;
}

/** A union or interface of document types (`_Entity`) holds documents as much as its members do. */
function isDocument(schema: GraphQLSchema, type: GraphQLNamedType): boolean {
  return DOCUMENT_TYPES.has(type.name) || (isAbstractType(type) && schema.getPossibleTypes(type).every((member) => DOCUMENT_TYPES.has(member.name)));
}

/** The field a selection names, the introspection fields included, as execution finds it. */
function fieldDefinition(schema: GraphQLSchema, type: GraphQLObjectType | GraphQLInterfaceType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (type === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  return type.getFields()[name];
}

/**
 * The variables as execution will see them. A value one of the gateway's scalars refuses is named by
 * that scalar's message, which describes it, not by graphql-js's, which prints the value as it came.
 */
function coerceVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, inputs: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const coerced = getVariableValues(schema, [definition], inputs, { maxErrors: 1 });
    if (coerced.errors) {
      const [error] = coerced.errors;
      const refusal = error.originalError instanceof GatewayError ? error.originalError.message : null;
      throw badUserInput(refusal ? `Variable "$${definition.variable.name.value}" got an invalid value: ${refusal}` : error.message);
    }
    Object.assign(values, coerced.coerced);
  }
  return values;
}

/** How many values a field holds, as the cost counts them. */
function valuesOf(key: string, args: Record<string, unknown>): number {
  const page = PAGE_SIZES.get(key);
  if (page) {
    const first = args[page.argument];
    // out-of-range values get the resolver's own message; here they count as the most allowed
    return typeof first === 'number' ? Math.min(Math.max(first, 0), page.max) : page.max;
  }
  if (key === ENTITIES.field) {
    const representations = args[ENTITIES.argument] as unknown[];
    representations.forEach((representation, i) => {
      const problem = representationProblem(representation);
      if (problem) throw badUserInput(`representations[${i}] ${problem}`);
    });
    return representations.length;
  }
  const sizedBy = ARGUMENT_SIZES.get(key);
  if (sizedBy) return Array.isArray(args[sizedBy]) ? (args[sizedBy] as unknown[]).length : 1;
  return LIST_SIZES.get(key) ?? 1;
}

/**
 * The operation's cost when it may run; why not otherwise: BAD_USER_INPUT when the cost cannot be
 * computed from what the caller sent (graphql-js's coercion errors are the caller's), QUERY_TOO_COMPLEX
 * over `maxCost`. Over HTTP (the plugin below) and over WebSocket (./operation-check.ts) alike; anything
 * else thrown here is a defect, and refuses the request as one.
 */
export function costOrRefusal(input: CostInput, maxCost: number): number | GatewayError {
  const cost = costOf(input);
  return typeof cost === 'number' ? withinLimit(cost, maxCost) : cost;
}

/** The operation's cost, or BAD_USER_INPUT when what the caller sent does not let it be computed. */
function costOf(input: CostInput): number | GatewayError {
  try {
    return operationCost(input);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    if (error instanceof GraphQLError) return badUserInput(error.message);
    throw error;
  }
}

function withinLimit(cost: number, maxCost: number): number | GatewayError {
  return cost > maxCost ? new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, `Query cost ${cost} exceeds the limit of ${maxCost}`) : cost;
}

/** Told of each operation's cost once it may run; a refusal it returns stops the request (a quota). */
export type CostSpender<TContext> = (cost: number, context: TContext) => Promise<GraphQLError | null>;

/** Told of each operation's cost once it is known, refused for it or not (a span's attribute). */
export type CostObserver<TContext> = (cost: number, context: TContext) => void;

export function costLimitPlugin<TContext extends object>(maxCost: number, spend?: CostSpender<TContext>, observe?: CostObserver<TContext>): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          // No operation chosen (several, none named): execution reports that.
          if (!operation) return;
          const known = costOf({ schema, document, operation, variables: request.variables });
          if (typeof known !== 'number') throw known.withHttp();
          observe?.(known, contextValue);
          const cost = withinLimit(known, maxCost);
          if (typeof cost !== 'number') throw cost.withHttp();
          const refusal = await spend?.(cost, contextValue);
          if (refusal) throw refusal;
        },
      };
    },
  };
}
