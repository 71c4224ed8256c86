/**
 * The legacy body of `GET /{resourceSlug}/session/{sessionId}.json` (CONTRACT §4), built from the
 * session graph: the stored documents as the driver returns them (stored key order, secrets already
 * removed by the loaders), with the additions the webapp makes: `app.crew`, `app.variables` and
 * `avatarMap`.
 */
import type { Document } from 'mongodb';
import type { SessionDoc, VariableDoc } from '../db/documents';
import { loadAppVariables, type SessionGraph } from '../graph/session-graph';
import type { Loaders } from '../loaders';

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

export async function sessionBodyData(loaders: Loaders, session: SessionDoc, graph: SessionGraph): Promise<SessionBodyData> {
  return {
    session,
    app: await appWithAdditions(loaders, graph),
    avatarMap: avatarMap(graph),
    tasks: graph.tasks,
    tools: graph.tools,
    agents: graph.agents,
    models: graph.models,
    datasources: graph.datasources,
  };
}

/**
 * The stored app, then `crew` (crew apps whose crew exists), then `variables`: it replaces a stored
 * `variables` key in place, or comes last. A copy, so the request's cached document stays as stored.
 */
async function appWithAdditions(loaders: Loaders, graph: SessionGraph): Promise<Document | null> {
  if (!graph.app) return null;
  const app: Document = { ...graph.app };
  if (graph.crew) app.crew = graph.crew;
  const variables = await loadAppVariables(loaders, graph);
  if (variables) app.variables = variables.map(variableEntry);
  return app;
}

function variableEntry(variable: VariableDoc) {
  return { name: variable.name, defaultValue: variable.defaultValue, id: variable._id };
}

/** Lowercased agent name → icon filename, in agent order; agents without an icon are left out. */
function avatarMap(graph: SessionGraph): Record<string, string> {
  const map: Record<string, string> = {};
  for (const agent of graph.agents) {
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
