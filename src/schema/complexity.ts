/**
 * What fields cost, for the query cost limit (`src/server/limits`). Given to fields as type-graphql's
 * `complexity` option, which lands in the field's `extensions.complexity`, where
 * graphql-query-complexity's `fieldExtensionsEstimator` reads it. Fields without one cost 1 plus their
 * selection (`simpleEstimator`).
 *
 * - `sessions` costs 1 + `first` × its selection (`first` as given, 20 when omitted, at most 100).
 * - A list of related documents (a session's tasks, agents, tools, models, datasources; a crew's tasks
 *   and agents; an agent's or task's tools and variables; a task's context; an app's kick-off
 *   variables) has no argument that bounds it, so it counts as LIST_COST_MULTIPLIER items: 1 + 10 ×
 *   its selection. Crews have about 5 tasks and 5 agents.
 * - Lists of values held in the document itself (session variables, sharing permissions, the viewer's
 *   orgs and teams) and scalar lists cost like any other field.
 */
import type { Relation } from '../data-model/relations';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './types/sessions-args';

/** How many items a list of related documents counts as. */
export const LIST_COST_MULTIPLIER = 10;

interface CostArgs {
  args: Record<string, unknown>;
  childComplexity: number;
}

/** A list of related documents: 1 + LIST_COST_MULTIPLIER × its selection. */
export function relationListCost({ childComplexity }: CostArgs): number {
  return 1 + LIST_COST_MULTIPLIER * childComplexity;
}

/** The cost of a field that follows a relation: a list of related documents costs as a list. */
export function relationCost(relation: Relation): typeof relationListCost | undefined {
  return relation.many ? relationListCost : undefined;
}

/**
 * A page of sessions: 1 + `first` × its selection. `first` is clamped to 0..100, so that an
 * out-of-range value gets the resolver's own message rather than a cost error.
 */
export function sessionPageCost({ args, childComplexity }: CostArgs): number {
  const given = typeof args.first === 'number' ? args.first : DEFAULT_PAGE_SIZE;
  const first = Math.min(Math.max(given, 0), MAX_PAGE_SIZE);
  return 1 + first * childComplexity;
}
