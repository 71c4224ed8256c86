/**
 * What a session uses, as stages over the relations (docs/data-layer.md): its app, the app's crew, then
 * the crew's tasks and agents (or the chat app's agent), the tools of those agents then of those
 * tasks, the datasources of the tools, and the models. Each stage gathers the references of its
 * sources in order, and keeps each document once, where first met. Session's list fields and the
 * REST body both read these stages; what a request reads for them is decided by its load plan
 * (src/loaders/session-graph-loader.ts).
 */
import type { AgentDoc, AppDoc, CrewDoc, DatasourceDoc, ModelDoc, TaskDoc, ToolDoc } from './documents';
import type { RelatedCollection } from './collections';
import { RELATIONS, type Relation } from './relations';

export interface StageValues {
  app: AppDoc | null;
  crew: CrewDoc | null;
  tasks: TaskDoc[];
  agents: AgentDoc[];
  tools: ToolDoc[];
  datasources: DatasourceDoc[];
  models: ModelDoc[];
}

export type StageName = keyof StageValues;

export interface StageSource {
  /** The stage whose documents the references start from; `session` is the session itself. */
  from: StageName | 'session';
  /** Followed document by document, in this order for each one. */
  relations: readonly Relation[];
}

export interface StageSpec {
  /** One document (the first reference that resolves) or a list. */
  many: boolean;
  /** A list's size as the query cost counts it: about the most a real session has. */
  listSize: number;
  sources: readonly StageSource[];
  /** How the list is made, for Session's field of the same name. */
  description: string;
}

export const SESSION_GRAPH: Record<StageName, StageSpec> = {
  app: {
    many: false,
    listSize: 1,
    sources: [{ from: 'session', relations: [RELATIONS.appOfSession] }],
    description: 'The app the session runs; null when it was deleted.',
  },
  crew: {
    many: false,
    listSize: 1,
    sources: [{ from: 'app', relations: [RELATIONS.crewOfApp] }],
    description: 'The crew of a crew app; not a field of Session (`app { crew }` is).',
  },
  tasks: {
    many: true,
    listSize: 10,
    sources: [{ from: 'crew', relations: [RELATIONS.tasksOfCrew] }],
    description: 'The crew’s tasks, in crew order.',
  },
  agents: {
    many: true,
    listSize: 10,
    sources: [
      { from: 'crew', relations: [RELATIONS.agentsOfCrew] },
      { from: 'app', relations: [RELATIONS.chatAgentOfApp] },
    ],
    description: 'The crew’s agents in crew order, or the chat app’s agent.',
  },
  tools: {
    many: true,
    listSize: 20,
    sources: [
      { from: 'agents', relations: [RELATIONS.toolsOfAgent] },
      { from: 'tasks', relations: [RELATIONS.toolsOfTask] },
    ],
    description: 'The tools of the agents, then of the tasks, each once.',
  },
  datasources: {
    many: true,
    listSize: 10,
    sources: [{ from: 'tools', relations: [RELATIONS.datasourceOfTool] }],
    description: 'The datasources the tools use, each once.',
  },
  models: {
    many: true,
    listSize: 20,
    sources: [
      { from: 'agents', relations: [RELATIONS.modelOfAgent, RELATIONS.functionModelOfAgent] },
      { from: 'crew', relations: [RELATIONS.managerModelOfCrew] },
      { from: 'datasources', relations: [RELATIONS.modelOfDatasource] },
    ],
    description: 'Each agent’s model and function model, the crew’s manager model, then the datasources’ models, each once.',
  },
};

/** Session's fields that hold a stage's list, named as the stage: every stage of many documents. */
export const SESSION_LIST_FIELDS: readonly StageName[] = (Object.keys(SESSION_GRAPH) as StageName[]).filter((stage) => SESSION_GRAPH[stage].many);

/** The collection a stage's documents come from (the target of its relations). */
export function stageCollection(stage: StageName): RelatedCollection {
  return SESSION_GRAPH[stage].sources[0].relations[0].to;
}

/** Every relation a stage's value is made from, its sources' own included. */
export function stageRelations(stage: StageName): Relation[] {
  const found = new Set<Relation>();
  const visit = (name: StageName) => {
    for (const source of SESSION_GRAPH[name].sources) {
      for (const relation of source.relations) found.add(relation);
      if (source.from !== 'session') visit(source.from);
    }
  };
  visit(stage);
  return [...found];
}
