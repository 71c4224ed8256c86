/**
 * A subscription's root selection may not hold `@skip` or `@include`: which event stream it opens must
 * not depend on its variables (the specification's single root field, as graphql-js 17 checks it).
 * graphql-js 16's `SingleFieldSubscriptionsRule` evaluates those directives with no variables and
 * throws, out of validation, on one that names a variable. So this check comes first on both
 * surfaces: as the validation rule in its place over WebSocket, and before Apollo Server over HTTP
 * (../subscription-root-check.ts), which runs graphql-js's rules itself.
 */
import {
  GraphQLError, GraphQLIncludeDirective, GraphQLSkipDirective, Kind, SingleFieldSubscriptionsRule, specifiedRules,
  type ASTVisitor, type DirectiveNode, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode, type ValidationRule,
} from 'graphql';

const CONDITIONS = new Set([GraphQLSkipDirective.name, GraphQLIncludeDirective.name]);

/** The first `@skip` or `@include` in the root selection of a subscription (its fragments' included). */
function rootCondition(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen = new Set<string>()): DirectiveNode | undefined {
  for (const selection of selectionSet.selections) {
    const directive = selection.directives?.find((d) => CONDITIONS.has(d.name.value));
    if (directive) return directive;
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const inner = rootCondition(selection.selectionSet, fragments, seen);
      if (inner) return inner;
    } else if (selection.kind === Kind.FRAGMENT_SPREAD && !seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      const inner = fragment && rootCondition(fragment.selectionSet, fragments, seen);
      if (inner) return inner;
    }
  }
  return undefined;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}

function conditionError(operation: OperationDefinitionNode, directive: DirectiveNode): GraphQLError {
  const name = operation.name ? `Subscription "${operation.name.value}"` : 'Anonymous Subscription';
  return new GraphQLError(`${name} must not use \`@skip\` or \`@include\` directives in the top level selection.`, { nodes: directive });
}

/** The refusals of a document's subscriptions whose root selection holds `@skip` or `@include`. */
export function subscriptionRootErrors(document: DocumentNode): GraphQLError[] {
  const fragments = fragmentsOf(document);
  const errors: GraphQLError[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION || definition.operation !== 'subscription') continue;
    const directive = rootCondition(definition.selectionSet, fragments);
    if (directive) errors.push(conditionError(definition, directive));
  }
  return errors;
}

/** graphql-js's single-root-field rule, reached only by subscriptions that have no condition at their root. */
const SubscriptionRootRule: ValidationRule = (context) => {
  const single = SingleFieldSubscriptionsRule(context) as { OperationDefinition: (node: OperationDefinitionNode) => void };
  let fragments: Map<string, FragmentDefinitionNode> | undefined;
  const visitor: ASTVisitor = {
    OperationDefinition(node) {
      if (node.operation !== 'subscription') return;
      const directive = rootCondition(node.selectionSet, (fragments ??= fragmentsOf(context.getDocument())));
      if (directive) context.reportError(conditionError(node, directive));
      else single.OperationDefinition(node);
    },
  };
  return visitor;
};

/** graphql-js's rules, the single-root-field rule made safe for conditions. */
export const GATEWAY_SPECIFIED_RULES: readonly ValidationRule[] = specifiedRules.map((rule) => (rule === SingleFieldSubscriptionsRule ? SubscriptionRootRule : rule));
