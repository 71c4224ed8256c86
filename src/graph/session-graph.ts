/**
 * Everything a session uses, gathered in the contract's order (CONTRACT §4.5): the app and its crew,
 * then tasks, agents, tools, models and datasources, each document once, where first met. The REST
 * body and GraphQL's Session fields both read this one computation.
 *
 * The graphs of all the sessions a request asks for are gathered together, in rounds: apps, crews,
 * tasks and agents, tools and variables, datasources, models. Each round is one batched `find` per
 * collection, whatever the number of sessions or the kinds of their apps, so a request's database
 * commands do not grow with what it returns. Variables are read here too, although no Session list
 * holds them, so that the fields below a session (an agent's variables, the app's kick-off variables,
 * the REST body's `app.variables`) find them already loaded.
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

export async function loadSessionGraphs(l: Loaders, sessions: readonly SessionDoc[]): Promise<SessionGraph[]> {
  const graphs: SessionGraph[] = sessions.map(() => ({ app: null, crew: null, tasks: [], agents: [], tools: [], models: [], datasources: [] }));
  const each = (round: (graph: SessionGraph, session: SessionDoc) => Promise<void>) =>
    Promise.all(graphs.map((graph, i) => round(graph, sessions[i])));

  await each(async (graph, session) => {
    graph.app = await appOfSession(l, session);
  });
  await each(async (graph) => {
    if (graph.app) graph.crew = await crewOfApp(l, graph.app);
  });
  await each(async (graph) => {
    if (graph.crew) {
      [graph.tasks, graph.agents] = await Promise.all([tasksOfCrew(l, graph.crew), agentsOfCrew(l, graph.crew)]);
    } else if (graph.app && isChatApp(graph.app)) {
      const agent = await chatAgentOfApp(l, graph.app);
      graph.agents = agent ? [agent] : [];
    }
  });
  await each(async (graph, session) => {
    const [tools] = await Promise.all([
      loadUnique(l.tools, session.teamId, [...graph.agents, ...graph.tasks].flatMap((doc) => doc.toolIds ?? [])),
      loadUnique(l.variables, session.teamId, [
        ...(graph.app?.kickOffVariablesIds ?? []),
        ...[...graph.tasks, ...graph.agents].flatMap((doc) => doc.variableIds ?? []),
      ]),
    ]);
    graph.tools = tools;
  });
  await each(async (graph, session) => {
    graph.datasources = await loadUnique(l.datasources, session.teamId, graph.tools.map((tool) => tool.datasourceId));
  });
  await each(async (graph, session) => {
    graph.models = await loadUnique(l.models, session.teamId, [
      ...graph.agents.flatMap((agent) => [agent.modelId, agent.functionModelId]),
      graph.crew?.managerModelId,
      ...graph.datasources.map((ds) => ds.modelId),
    ]);
  });
  return graphs;
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
