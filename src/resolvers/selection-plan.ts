/**
 * The load plan of each Session in an operation, from its selection: the relations the fields below
 * it follow (a Session list field brings the relations its stage is made from). Fragments and inline
 * fragments merge into the selection they are spread in, as graphql-js merges them; `@include` and
 * `@skip` are not evaluated here, so a conditional field is planned for (it may then read a collection
 * it does not show). Plans are keyed by the Session's response path without list indices
 * (`sessions.edges.node`), computed once per parsed operation.
 *
 * Each also tells whether the documents below the Session must carry their marks (src/schema/marks.ts):
 * only the fields that read them need them, a Relay `id` and an app's `sharingConfig`, and without
 * them no document below is copied to be marked.
 */
import {
  getNamedType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isInterfaceType,
  isObjectType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Path } from 'graphql/jsutils/Path';
import { SESSION_TYPE_NAME, typeNameOf } from '../data-model/collections';
import { RELATION_LIST, type Relation } from '../data-model/relations';
import { SESSION_LIST_FIELDS, stageRelations } from '../data-model/session-graph';
import { loadPlan, type LoadPlan } from '../loaders/load-plan';


/** `Type.field` → the relations following that field reads. */
const FIELD_RELATIONS = new Map<string, readonly Relation[]>([
  ...RELATION_LIST.map((relation): [string, Relation[]] => [`${typeNameOf(relation.from)}.${relation.field}`, [relation]]),
  ...SESSION_LIST_FIELDS.map((field): [string, Relation[]] => [`${SESSION_TYPE_NAME}.${field}`, stageRelations(field)]),
]);

/** The fields whose resolvers read a mark (`viaOf`): a Node's `id` (./node.resolver.ts) and an App's `sharingConfig` (./sharing-config.resolver.ts). */
const MARK_READERS = new Set(['id', 'sharingConfig']);

const CONDITIONS = new Set([GraphQLSkipDirective.name, GraphQLIncludeDirective.name]);

/** What a Session's selection reads below it. */
export interface SessionSelection {
  plan: LoadPlan;
  /** Its documents must carry their marks: a field below reads them. */
  marks: boolean;
  /**
   * Its plan may be read before any of its fields resolves: no `@skip` or `@include` on the way to the
   * Session or below it (a skipped field must not be read for).
   */
  eager: boolean;
}

const EMPTY_SELECTION: SessionSelection = { plan: loadPlan([]), marks: false, eager: false };
const selectionsByOperation = new WeakMap<OperationDefinitionNode, Map<string, SessionSelection>>();
// the selections a root field returns, by its response key, once per operation
const returnedByOperation = new WeakMap<Map<string, SessionSelection>, Map<string, SessionSelection[]>>();

/** The selection of the Session whose field is resolving. */
export function sessionSelection(info: GraphQLResolveInfo): SessionSelection {
  return selectionsOf(info).get(pathKey(info.path.prev)) ?? EMPTY_SELECTION;
}

/**
 * The selections of the Sessions the resolving field returns: itself (`depth` 0), or those of its
 * connection (`nodes`, `edges.node`, under any alias: `depth` 2).
 */
export function returnedSessionSelections(info: GraphQLResolveInfo, depth: 0 | 2): SessionSelection[] {
  const selections = selectionsOf(info);
  let byField = returnedByOperation.get(selections);
  if (!byField) returnedByOperation.set(selections, (byField = new Map()));
  const key = pathKey(info.path);
  let found = byField.get(key);
  if (!found) {
    found = [];
    const levels = key.split('.').length;
    for (const [at, selection] of selections) {
      if (at === key ? depth === 0 : at.startsWith(`${key}.`) && at.split('.').length - levels <= depth) found.push(selection);
    }
    byField.set(key, found);
  }
  return found;
}

function selectionsOf(info: GraphQLResolveInfo): Map<string, SessionSelection> {
  let selections = selectionsByOperation.get(info.operation);
  if (!selections) {
    selections = planOperation(info.schema, info.operation, info.fragments);
    selectionsByOperation.set(info.operation, selections);
  }
  return selections;
}

function pathKey(path: Path | undefined): string {
  const keys: string[] = [];
  for (let p = path; p; p = p.prev) if (typeof p.key === 'string') keys.push(p.key);
  return keys.reverse().join('.');
}

function planOperation(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>): Map<string, SessionSelection> {
  const found = new Map<string, Set<Relation>>();
  const marked = new Set<Set<Relation>>();
  const conditional = new Set<Set<Relation>>();
  const root = schema.getRootType(operation.operation);
  const sessionAt = (key: string) => {
    let relations = found.get(key);
    if (!relations) found.set(key, (relations = new Set()));
    return relations;
  };

  // `skipped`: a selection on the way to this one has `@skip` or `@include`
  const walk = (selectionSet: SelectionSetNode, type: GraphQLNamedType, key: string, plan: Set<Relation> | null, skipped: boolean) => {
    if (!plan && type.name === SESSION_TYPE_NAME) {
      plan = sessionAt(key);
      if (skipped) conditional.add(plan);
    }
    for (const selection of selectionSet.selections) {
      const mayBeSkipped = skipped || (selection.directives ?? []).some((directive) => CONDITIONS.has(directive.name.value));
      if (plan && mayBeSkipped) conditional.add(plan);
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[selection.name.value];
        const on = fragment && schema.getType(fragment.typeCondition.name.value);
        if (on) walk(fragment.selectionSet, on, key, plan, mayBeSkipped);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (on) walk(selection.selectionSet, on, key, plan, mayBeSkipped);
      } else if (isObjectType(type) || isInterfaceType(type)) {
        // below the Session (a Session's own id and sharingConfig read the Session itself)
        if (plan && type.name !== SESSION_TYPE_NAME && MARK_READERS.has(selection.name.value)) marked.add(plan);
        const field = type.getFields()[selection.name.value];
        if (!field || !selection.selectionSet) continue;
        for (const relation of plan ? (FIELD_RELATIONS.get(`${type.name}.${field.name}`) ?? []) : []) plan!.add(relation);
        const childKey = key ? `${key}.${selection.alias?.value ?? field.name}` : (selection.alias?.value ?? field.name);
        walk(selection.selectionSet, getNamedType(field.type), childKey, plan, mayBeSkipped);
      }
    }
  };
  if (root) walk(operation.selectionSet, root, '', null, false);
  return new Map(
    [...found].map(([key, relations]) => [key, { plan: loadPlan(relations), marks: marked.has(relations), eager: !conditional.has(relations) }]),
  );
}
