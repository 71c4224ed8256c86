/**
 * The costs of an operation already walked (./cost.ts), so that each request of an operation does not
 * walk it again. An operation's cost changes only with the values of the variables that its sizing
 * arguments (`first`, `ids`, `representations`) and its `@include`/`@skip` conditions read, and with
 * whether each other variable is given, null or absent (a null for a non-null argument is the caller's
 * error, found by the walk). Those make the key: clients asking for a different session each time, or
 * resuming from a different message, share the cost walked for the first.
 *
 * Only costs are kept, never refusals, and only under short keys: a long list of representations is
 * walked every time. The variables are coerced (and refused) for every request all the same.
 */
import { Kind, visit, type ASTNode, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { BoundedMap } from '../../bounded-map';
import { SIZING_ARGUMENTS } from '../../schema/cost-model';

/** Costs kept per operation (the oldest goes first), and the longest key kept. */
const MAX_COSTS_PER_OPERATION = 64;
const MAX_KEY_LENGTH = 1024;

export class KnownCosts {
  private readonly costs = new BoundedMap<string, number>(MAX_COSTS_PER_OPERATION);
  private readonly names: readonly string[];
  private readonly sizing: ReadonlySet<string>;

  constructor(document: DocumentNode, operation: OperationDefinitionNode) {
    this.names = (operation.variableDefinitions ?? []).map((definition) => definition.variable.name.value);
    this.sizing = costVariables(document, operation);
  }

  /** The key of the coerced variables, or undefined when it would be too long to keep. */
  keyOf(values: Readonly<Record<string, unknown>>): string | undefined {
    let key = '';
    for (const name of this.names) {
      const value = values[name];
      // a newline cannot occur inside JSON text: it ends each part
      if (value === undefined) key += 'u\n';
      else if (value === null) key += 'n\n';
      else if (!this.sizing.has(name)) key += 'v\n';
      else {
        const json = jsonOf(value);
        if (json === undefined) return undefined;
        key += `${json}\n`;
      }
      if (key.length > MAX_KEY_LENGTH) return undefined;
    }
    return key;
  }

  get(key: string): number | undefined {
    return this.costs.get(key);
  }

  set(key: string, cost: number): void {
    this.costs.set(key, cost);
  }
}

// per schema, then per operation: a parsed operation lives in Apollo's document cache or a subscription
const bySchema = new WeakMap<GraphQLSchema, WeakMap<OperationDefinitionNode, KnownCosts>>();

export function knownCostsOf(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): KnownCosts {
  let byOperation = bySchema.get(schema);
  if (!byOperation) bySchema.set(schema, (byOperation = new WeakMap()));
  let known = byOperation.get(operation);
  if (!known) byOperation.set(operation, (known = new KnownCosts(document, operation)));
  return known;
}

/**
 * The variables the cost reads the values of: those in a directive's arguments, or in a sizing argument,
 * anywhere in the operation or the document's fragments (a fragment the operation does not spread only
 * makes the key longer).
 */
function costVariables(document: DocumentNode, operation: OperationDefinitionNode): ReadonlySet<string> {
  const names = new Set<string>();
  const collect = (node: ASTNode) => visit(node, { Variable: (variable) => void names.add(variable.name.value) });
  const roots = [operation, ...document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)];
  for (const root of roots) {
    visit(root, {
      VariableDefinition: () => false,
      Directive(node) {
        collect(node);
        return false;
      },
      Argument(node) {
        if (SIZING_ARGUMENTS.has(node.name.value)) collect(node);
        return false;
      },
    });
  }
  return names;
}

function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined; // a value JSON cannot spell (a BigInt): not kept
  }
}
