/**
 * The legacy body of `GET /{resourceSlug}/session/{sessionId}.json` (docs/api-reference.md), made from the
 * session graph's stages under one fixed load plan: the stored documents as the driver returns them
 * (stored key order, secrets already removed by the loaders), with the additions the webapp makes:
 * `app.crew`, `app.variables` and `avatarMap`.
 */
import type { Document } from 'mongodb';
import type { AgentDoc, AppDoc, CrewDoc, SessionDoc, TaskDoc, VariableDoc } from '../data-model/documents';
import { isChatApp, isCrewApp, RELATIONS } from '../data-model/relations';
import { SESSION_LIST_FIELDS, stageRelations } from '../data-model/session-graph';
import type { Loaders } from '../loaders';
import { follow } from '../loaders/follow';
import { loadPlan } from '../loaders/load-plan';
import type { SessionGraphLoader } from '../loaders/session-graph-loader';
import { hexOf } from '../data-model/object-id';

/** Every key of the body but `csrf`, in order. */
export interface SessionBodyData {
  session: SessionDoc | null;
  app: Document | null;
  avatarMap: Record<string, string>;
  tasks: Document[];
  tools: Document[];
  agents: Document[];
  models: Document[];
  datasources: Document[];
}

export const EMPTY_BODY_DATA: SessionBodyData = {
  session: null,
  app: null,
  avatarMap: {},
  tasks: [],
  tools: [],
  agents: [],
  models: [],
  datasources: [],
};

/** Everything the body shows: every stage, and the variables of the tasks and agents. */
const SESSION_BODY_PLAN = loadPlan([
  ...SESSION_LIST_FIELDS.flatMap(stageRelations),
  RELATIONS.variablesOfTask,
  RELATIONS.variablesOfAgent,
]);

export async function sessionBodyData(loaders: Loaders, graph: SessionGraphLoader, session: SessionDoc): Promise<SessionBodyData> {
  await graph.ready(SESSION_BODY_PLAN, session);
  const [app, crew, tasks, agents, tools, models, datasources] = await Promise.all([
    graph.stage('app', session),
    graph.stage('crew', session),
    graph.stage('tasks', session),
    graph.stage('agents', session),
    graph.stage('tools', session),
    graph.stage('models', session),
    graph.stage('datasources', session),
  ]);
  let appBody: Document | null = null;
  if (app) {
    appBody = appWithCrew(app, crew);
    const variables = await appVariables(loaders, app, crew, tasks, agents);
    if (variables) appBody.variables = variables.map(variableEntry);
  }
  return { session, app: appBody, avatarMap: avatarMap(agents), tasks, tools, agents, models, datasources };
}

/** The app as the webapp sends it: a copy (the request's cached document stays as stored), with its crew when it has one, and no `crew` key otherwise. */
export function appWithCrew(app: AppDoc, crew: CrewDoc | null): Document {
  return appended(app, 'crew', crew);
}

/**
 * A copy of a stored document with `key` last, set to `value` (none when null): a stored field of the
 * same name gives way, so that what the gateway adds comes after the stored fields, as the contract says.
 */
export function appended(doc: Document, key: string, value: Document | null): Document {
  const { [key]: _stored, ...rest } = doc;
  return value === null ? rest : { ...rest, [key]: value };
}

/**
 * `app.variables` (docs/api-reference.md), or undefined when the key is not set: a chat app whose agent exists
 * always gets its agent's variables; a crew app whose crew exists gets its tasks' variables (each
 * once) then its agents' (repeats kept), when there are any.
 */
async function appVariables(loaders: Loaders, app: AppDoc, crew: CrewDoc | null, tasks: TaskDoc[], agents: AgentDoc[]): Promise<VariableDoc[] | undefined> {
  if (isChatApp(app)) return agents[0] ? follow(loaders, RELATIONS.variablesOfAgent, agents[0]) : undefined;
  if (!isCrewApp(app) || !crew) return undefined;
  const [ofTasks, ofAgents] = await Promise.all([
    Promise.all(tasks.map((task) => follow(loaders, RELATIONS.variablesOfTask, task))),
    Promise.all(agents.map((agent) => follow(loaders, RELATIONS.variablesOfAgent, agent))),
  ]);
  const seen = new Set<string>();
  const taskVariables = ofTasks.flat().filter((variable) => !seen.has(hexOf(variable._id)) && seen.add(hexOf(variable._id)));
  const variables = [...taskVariables, ...ofAgents.flat()];
  return variables.length > 0 ? variables : undefined;
}

function variableEntry(variable: VariableDoc) {
  return { name: variable.name, defaultValue: variable.defaultValue, id: variable._id };
}

/** Lowercased agent name → icon filename, in agent order; agents without an icon are left out. */
function avatarMap(agents: AgentDoc[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const agent of agents) {
    const filename = agent.icon?.filename;
    if (typeof agent.name === 'string' && typeof filename === 'string') map[agent.name.toLowerCase()] = filename;
  }
  return map;
}

/**
 * Compact JSON of everything but `csrf`. ObjectId, Date and Binary serialize through their own
 * `toJSON`: lowercase hex, ISO-8601 with milliseconds and `Z`, and base64.
 */
export function serializeData(data: SessionBodyData): string {
  return JSON.stringify(data);
}

/** The body: `csrf` first, then the serialized data's keys. */
export function withCsrf(csrf: string, dataJson: string): string {
  return `{"csrf":${JSON.stringify(csrf)},${dataJson.slice(1)}`;
}
