/**
 * Everything a session uses, gathered in the contract's order (CONTRACT §4.5): the app and its crew,
 * then tasks, agents, tools, models and datasources, each document once, where first met. The REST
 * body and GraphQL's `Session.tasks/agents/tools/models/datasources` both read this one computation.
 *
 * The reads go in rounds (app, crew, tasks and agents, tools, datasources, models): each round is one
 * batched `find` per collection, however many sessions a request gathers at once.
 */
import type { ObjectId } from 'mongodb';
import type { AgentDoc, AppDoc, CrewDoc, DatasourceDoc, ModelDoc, SessionDoc, TaskDoc, ToolDoc, VariableDoc } from '../db/documents';
import { asObjectId } from '../db/object-id';
import type { Loaders } from '../loaders';
import type { TeamScopedLoader } from '../loaders/team-scoped-loader';
import { agentsOfCrew, appOfSession, chatAgentOfApp, crewOfApp, isChatApp, isCrewApp, loadList, tasksOfCrew } from './relations';

export interface SessionGraph {
  app: AppDoc | null;
  /** The crew of a crew app, when it exists. */
  crew: CrewDoc | null;
  tasks: TaskDoc[];
  agents: AgentDoc[];
  tools: ToolDoc[];
  models: ModelDoc[];
  datasources: DatasourceDoc[];
}

export async function loadSessionGraph(l: Loaders, session: SessionDoc): Promise<SessionGraph> {
  const graph: SessionGraph = { app: null, crew: null, tasks: [], agents: [], tools: [], models: [], datasources: [] };
  const app = await appOfSession(l, session);
  if (!app) return graph;
  graph.app = app;
  if (isCrewApp(app)) {
    graph.crew = await crewOfApp(l, app);
    if (!graph.crew) return graph;
    [graph.tasks, graph.agents] = await Promise.all([tasksOfCrew(l, graph.crew), agentsOfCrew(l, graph.crew)]);
  } else if (isChatApp(app)) {
    const agent = await chatAgentOfApp(l, app);
    if (agent) graph.agents = [agent];
  }

  const teamId = session.teamId;
  graph.tools = await loadUnique(l.tools, teamId, [...graph.agents, ...graph.tasks].flatMap((doc) => doc.toolIds ?? []));
  graph.datasources = await loadUnique(l.datasources, teamId, graph.tools.map((tool) => tool.datasourceId));
  graph.models = await loadUnique(l.models, teamId, [
    ...graph.agents.flatMap((agent) => [agent.modelId, agent.functionModelId]),
    graph.crew?.managerModelId,
    ...graph.datasources.map((ds) => ds.modelId),
  ]);
  return graph;
}

/**
 * The variables the REST body shows as `app.variables` (CONTRACT §4.3), or undefined when the key is
 * not set: a chat app whose agent exists always gets its agent's variables; a crew app gets its tasks'
 * variables (each once) then its agents' (repeats kept), when there are any.
 */
export async function loadAppVariables(l: Loaders, graph: SessionGraph): Promise<VariableDoc[] | undefined> {
  const app = graph.app;
  if (!app) return undefined;
  if (isChatApp(app)) {
    const agent = graph.agents[0];
    return agent ? loadList(l.variables, app.teamId, agent.variableIds) : undefined;
  }
  if (!isCrewApp(app) || !graph.crew) return undefined;
  const taskVariableIds = uniqueIds(graph.tasks.flatMap((task) => task.variableIds ?? []));
  const agentVariableIds = graph.agents.flatMap((agent) => agent.variableIds ?? []);
  const variables = await loadList(l.variables, app.teamId, [...taskVariableIds, ...agentVariableIds]);
  return variables.length > 0 ? variables : undefined;
}

/** Loads the distinct references in first-met order, dropping those that do not resolve. */
function loadUnique<T>(loader: TeamScopedLoader<T>, teamId: ObjectId, refs: unknown[]): Promise<T[]> {
  return loadList(loader, teamId, uniqueIds(refs));
}

function uniqueIds(refs: unknown[]): ObjectId[] {
  const seen = new Map<string, ObjectId>();
  for (const ref of refs) {
    const id = asObjectId(ref);
    if (id && !seen.has(id.toHexString())) seen.set(id.toHexString(), id);
  }
  return [...seen.values()];
}
