/**
 * The links between Agentcloud documents, each one a small function over the loaders. GraphQL field
 * resolvers, the session graph (the REST body and Session's lists) and federation all follow links
 * through these, so a relation is defined once. Every lookup stays inside the team of the document it
 * starts from; a missing or cross-team target resolves to null, and lists drop such entries.
 */
import type { ObjectId } from 'mongodb';
import type { AgentDoc, AppDoc, CrewDoc, DatasourceDoc, ModelDoc, SessionDoc, TaskDoc, ToolDoc, VariableDoc } from '../db/documents';
import { asObjectId } from '../db/object-id';
import type { Loaders } from '../loaders';
import type { TeamScopedLoader } from '../loaders/team-scoped-loader';

/** Loads one referenced document of `teamId`; null for an absent or malformed reference. */
export function loadOne<T>(loader: TeamScopedLoader<T>, teamId: ObjectId | undefined, ref: unknown): Promise<T | null> {
  const id = asObjectId(ref);
  if (!id || !teamId) return Promise.resolve(null);
  return loader.load({ teamId, id });
}

/** Loads referenced documents in reference order, dropping the ones that do not resolve. */
export async function loadList<T>(loader: TeamScopedLoader<T>, teamId: ObjectId | undefined, refs: unknown): Promise<T[]> {
  if (!Array.isArray(refs) || !teamId) return [];
  const docs = await Promise.all(refs.map((ref) => loadOne(loader, teamId, ref)));
  return docs.filter((doc): doc is Awaited<T> & T => doc !== null);
}

export const isCrewApp = (app: AppDoc) => app.type === 'crew';
export const isChatApp = (app: AppDoc) => app.type === 'chat';

export const appOfSession = (l: Loaders, s: SessionDoc) => loadOne(l.apps, s.teamId, s.appId);

export const crewOfApp = (l: Loaders, app: AppDoc): Promise<CrewDoc | null> =>
  isCrewApp(app) ? loadOne(l.crews, app.teamId, app.crewId) : Promise.resolve(null);
export const chatAgentOfApp = (l: Loaders, app: AppDoc): Promise<AgentDoc | null> =>
  isChatApp(app) ? loadOne(l.agents, app.teamId, app.chatAppConfig?.agentId) : Promise.resolve(null);
export const kickOffVariablesOfApp = (l: Loaders, app: AppDoc) => loadList(l.variables, app.teamId, app.kickOffVariablesIds);

export const tasksOfCrew = (l: Loaders, crew: CrewDoc) => loadList(l.tasks, crew.teamId, crew.tasks);
export const agentsOfCrew = (l: Loaders, crew: CrewDoc) => loadList(l.agents, crew.teamId, crew.agents);
export const managerModelOfCrew = (l: Loaders, crew: CrewDoc) => loadOne(l.models, crew.teamId, crew.managerModelId);

export const modelOfAgent = (l: Loaders, agent: AgentDoc) => loadOne(l.models, agent.teamId, agent.modelId);
export const functionModelOfAgent = (l: Loaders, agent: AgentDoc) => loadOne(l.models, agent.teamId, agent.functionModelId);
export const toolsOfAgent = (l: Loaders, agent: AgentDoc) => loadList(l.tools, agent.teamId, agent.toolIds);
export const variablesOfAgent = (l: Loaders, agent: AgentDoc) => loadList(l.variables, agent.teamId, agent.variableIds);

export const agentOfTask = (l: Loaders, task: TaskDoc) => loadOne(l.agents, task.teamId, task.agentId);
export const toolsOfTask = (l: Loaders, task: TaskDoc) => loadList(l.tools, task.teamId, task.toolIds);
export const contextOfTask = (l: Loaders, task: TaskDoc) => loadList(l.tasks, task.teamId, task.context);
export const variablesOfTask = (l: Loaders, task: TaskDoc) => loadList(l.variables, task.teamId, task.variableIds);

/** A built-in tool has no team, so it reaches no datasource. */
export const datasourceOfTool = (l: Loaders, tool: ToolDoc) => loadOne(l.datasources, tool.teamId, tool.datasourceId);
export const modelOfDatasource = (l: Loaders, ds: DatasourceDoc) => loadOne(l.models, ds.teamId, ds.modelId);

