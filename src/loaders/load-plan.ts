/**
 * A load plan: the set of relations a request follows below a session. GraphQL derives it from the
 * operation's selection (src/resolvers/selection-plan.ts); the REST body has a fixed one. Its key
 * identifies it among the plans of a request. ./session-graph-loader.ts loads what a plan reaches.
 */
import type { RelatedCollection } from '../data-model/collections';
import type { CollectionName } from '../data-model/documents';
import { RELATIONS, type Relation } from '../data-model/relations';

/** Where a collection of a plan is reached from: one source collection (or the session), and its relations into it. */
export interface PlanSource {
  readonly from: CollectionName;
  readonly relations: readonly Relation[];
}

export interface LoadPlan {
  /** Identifies the plan among the request's plans (its relations' names, sorted). */
  readonly key: string;
  readonly relations: readonly Relation[];
  /**
   * Each collection the plan reads, in the order its relations first reach them, with its sources. A
   * relation from a collection to itself (a task's context) is not among them: those documents resolve
   * as the field asks for them. Made with the plan, which lives as long as its operation.
   */
  readonly collections: ReadonlyMap<RelatedCollection, readonly PlanSource[]>;
}

const RELATION_NAMES = new Map<Relation, string>(Object.entries(RELATIONS).map(([name, relation]) => [relation, name]));

export function loadPlan(relations: Iterable<Relation>): LoadPlan {
  const unique = [...new Set(relations)];
  const key = unique.map((relation) => RELATION_NAMES.get(relation)).sort().join(',');
  const collections = new Map<RelatedCollection, PlanSource[]>();
  for (const relation of unique) {
    let sources = collections.get(relation.to);
    if (!sources) collections.set(relation.to, (sources = []));
    if (relation.from === relation.to) continue;
    const source = sources.find((known) => known.from === relation.from);
    if (source) (source.relations as Relation[]).push(relation);
    else sources.push({ from: relation.from, relations: [relation] });
  }
  return { key, relations: unique, collections };
}
