/**
 * A load plan: the set of relations a request follows below a session. GraphQL derives it from the
 * operation's selection (src/resolvers/selection-plan.ts); the REST body has a fixed one. Its key
 * identifies it among the plans of a request. ./session-graph-loader.ts loads what a plan reaches.
 */
import { RELATIONS, type Relation } from '../data-model/relations';

export interface LoadPlan {
  /** Identifies the plan among the request's plans (its relations' names, sorted). */
  readonly key: string;
  readonly relations: readonly Relation[];
}

const RELATION_NAMES = new Map<Relation, string>(Object.entries(RELATIONS).map(([name, relation]) => [relation, name]));

export function loadPlan(relations: Iterable<Relation>): LoadPlan {
  const unique = [...new Set(relations)];
  const key = unique.map((relation) => RELATION_NAMES.get(relation)).sort().join(',');
  return { key, relations: unique };
}
