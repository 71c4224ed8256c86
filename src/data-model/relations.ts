/**
 * The links between Agentcloud documents, each declared once: the collection it starts from, the
 * field holding the reference, the collection it points to, and whether it holds one id or a list.
 * GraphQL field resolvers, the session graph (Session's lists, the REST body), the query cost and
 * federation follow links only through these declarations.
 *
 * A reference is looked up in the team of the document it starts from, so a missing or cross-team
 * target resolves to nothing; a global built-in tool has no team and reaches no datasource. A stored
 * reference of the wrong shape (a number where an id or a list is expected) is read as no reference.
 */
import { ObjectId } from 'mongodb';
import { asObjectId } from './object-id';
import type { AppDoc, CollectionName, DocumentTypes } from './documents';
import type { RelatedCollection } from './collections';

export interface Relation<From extends CollectionName = CollectionName, To extends RelatedCollection = RelatedCollection, Many extends boolean = boolean> {
  from: From;
  to: To;
  /** The field of the source document holding the reference(s), as path segments. */
  path: readonly string[];
  many: Many;
  /** The GraphQL field of the source type that follows it. */
  field: string;
  /** A many-relation's size as the query cost counts it: about the most a real document holds. */
  listSize: number;
  /** The relation applies only to source documents of this kind (crew apps have a crew, chat apps an agent). */
  when?(doc: DocumentTypes[From]): boolean;
}

/** What following a relation gives: a list for a many-relation, one document or null otherwise. */
export type Followed<R extends Relation> =
  R extends Relation<CollectionName, infer To, infer Many> ? (Many extends true ? DocumentTypes[To][] : DocumentTypes[To] | null) : never;

const one = <From extends CollectionName, To extends RelatedCollection>(
  from: From, field: string, to: To, path: string, when?: (doc: DocumentTypes[From]) => boolean,
): Relation<From, To, false> => ({ from, field, to, path: path.split('.'), many: false, listSize: 1, when });

const many = <From extends CollectionName, To extends RelatedCollection>(
  from: From, field: string, to: To, path: string, listSize: number,
): Relation<From, To, true> => ({ from, field, to, path: path.split('.'), many: true, listSize });

export const isCrewApp = (app: AppDoc) => app.type === 'crew';
export const isChatApp = (app: AppDoc) => app.type === 'chat';

export const RELATIONS = {
  appOfSession: one('sessions', 'app', 'apps', 'appId'),
  crewOfApp: one('apps', 'crew', 'crews', 'crewId', isCrewApp),
  chatAgentOfApp: one('apps', 'agent', 'agents', 'chatAppConfig.agentId', isChatApp),
  kickOffVariablesOfApp: many('apps', 'kickOffVariables', 'variables', 'kickOffVariablesIds', 5),
  tasksOfCrew: many('crews', 'tasks', 'tasks', 'tasks', 10),
  agentsOfCrew: many('crews', 'agents', 'agents', 'agents', 10),
  managerModelOfCrew: one('crews', 'managerModel', 'models', 'managerModelId'),
  modelOfAgent: one('agents', 'model', 'models', 'modelId'),
  functionModelOfAgent: one('agents', 'functionModel', 'models', 'functionModelId'),
  toolsOfAgent: many('agents', 'tools', 'tools', 'toolIds', 5),
  variablesOfAgent: many('agents', 'variables', 'variables', 'variableIds', 5),
  agentOfTask: one('tasks', 'agent', 'agents', 'agentId'),
  toolsOfTask: many('tasks', 'tools', 'tools', 'toolIds', 5),
  contextOfTask: many('tasks', 'context', 'tasks', 'context', 5),
  variablesOfTask: many('tasks', 'variables', 'variables', 'variableIds', 5),
  datasourceOfTool: one('tools', 'datasource', 'datasources', 'datasourceId'),
  modelOfDatasource: one('datasources', 'model', 'models', 'modelId'),
} as const;

export const RELATION_LIST: readonly Relation[] = Object.values(RELATIONS);

/** The ids a document references through a relation, in stored order; none when it does not apply. */
export function referencesOf<From extends CollectionName>(relation: Relation<From>, doc: DocumentTypes[From]): ObjectId[] {
  if (relation.when && !relation.when(doc)) return [];
  const stored = valueAt(doc, relation.path);
  if (!relation.many) {
    const id = asObjectId(stored);
    return id ? [id] : [];
  }
  if (!Array.isArray(stored)) return [];
  return stored.map(asObjectId).filter((id): id is ObjectId => id !== null);
}

/** The team a document's references are looked up in; null for documents of no team (built-in tools). */
export function teamOf(doc: object): ObjectId | null {
  const { teamId } = doc as { teamId?: unknown };
  return teamId instanceof ObjectId ? teamId : null;
}

function valueAt(doc: unknown, path: readonly string[]): unknown {
  let value = doc;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
