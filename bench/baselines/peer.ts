/**
 * The peer: the benchmark's two GraphQL queries (one session's full graph, a page of 20) served as
 * fast as a Node stack serves them without the gateway's code, the yardstick the gateway is held to.
 * Fastify 5 + Mercurius 16 (graphql-jit after the first request of a query) over a plain SDL schema.
 * The root field reads its sessions, then everything below them in six stages for all the sessions at
 * once (apps; crews; tasks and agents; tools and variables; datasources; models), one
 * `find({ _id: { $in } })` in the teams per stage: the same reads the gateway makes. Every relation
 * field is then answered synchronously from the documents read (no DataLoader, no promise per field).
 * It checks the bearer token (a verifier made once, bench/peer-server.ts) and reads the caller's
 * account, but applies no access policy: a yardstick, not a second gateway.
 */
import { GraphQLScalarType, Kind } from 'graphql';
import { ObjectId, type Db, type Document } from 'mongodb';

export const PEER_SCHEMA = /* GraphQL */ `
  scalar ObjectId
  scalar DateTime
  enum SessionStatus { STARTED RUNNING WAITING WARNING ERROR TERMINATED }
  enum AppType { CHAT CREW }
  enum CrewProcess { SEQUENTIAL HIERARCHICAL }
  enum ToolType { FUNCTION RAG BUILTIN }
  enum SharingMode { PUBLIC TEAM RESTRICTED WHITELIST OWNER }
  type SharingConfig { mode: SharingMode! }
  type NamedValue { name: String }
  type Variable { _id: ObjectId! name: String }
  type Model { _id: ObjectId! name: String model: String }
  type Datasource { _id: ObjectId! name: String }
  type Tool { _id: ObjectId! name: String type: ToolType datasource: Datasource }
  type Agent { _id: ObjectId! name: String role: String model: Model tools: [Tool!]! variables: [Variable!]! }
  type Task { _id: ObjectId! name: String description: String agent: Agent tools: [Tool!]! variables: [Variable!]! }
  type Crew { _id: ObjectId! name: String process: CrewProcess }
  type App { _id: ObjectId! name: String type: AppType crew: Crew kickOffVariables: [Variable!]! }
  type Session {
    _id: ObjectId! name: String status: SessionStatus startDate: DateTime tokensUsed: Int sharingConfig: SharingConfig
    app: App tasks: [Task!]! agents: [Agent!]! tools: [Tool!]! models: [Model!]! datasources: [Datasource!]!
  }
  type SessionEdge { node: Session! }
  type SessionConnection { edges: [SessionEdge!]! }
  type Query {
    session(_id: ObjectId!): Session
    sessions(teamId: ObjectId!, first: Int! = 20): SessionConnection!
  }
`;

type Doc = Document & { _id: ObjectId; teamId?: ObjectId | null };

/** The documents a request read below its sessions, by collection, keyed by team and id. */
type Graph = Map<string, Map<string, Doc>>;

interface Stages { tasks: Doc[]; agents: Doc[]; tools: Doc[]; datasources: Doc[]; models: Doc[] }

/** Per request: the graph its root field read, and each session's lists made once. */
export interface PeerContext {
  db: Db;
  graph: Graph;
  stages: WeakMap<Doc, Stages>;
}

export function peerContext(db: Db): PeerContext {
  return { db, graph: new Map(), stages: new WeakMap() };
}

const asId = (value: unknown): ObjectId | null => (value instanceof ObjectId ? value : null);
const idsOf = (value: unknown): ObjectId[] => (Array.isArray(value) ? value : [value]).map(asId).filter((id): id is ObjectId => id !== null);
const keyOf = (team: ObjectId, id: ObjectId) => `${team.toHexString()}:${id.toHexString()}`;

/** One `find` for every reference of `sources` (each looked up in its source's team), added to the graph. */
async function readStage(ctx: PeerContext, collection: string, sources: readonly Doc[], refs: (doc: Doc) => unknown[]): Promise<void> {
  let byKey = ctx.graph.get(collection);
  if (!byKey) ctx.graph.set(collection, (byKey = new Map()));
  const teams = new Map<string, ObjectId>();
  const ids = new Map<string, ObjectId>();
  for (const doc of sources) {
    if (!doc.teamId) continue;
    for (const id of refs(doc).flatMap(idsOf)) {
      if (byKey.has(keyOf(doc.teamId, id))) continue; // read already
      teams.set(doc.teamId.toHexString(), doc.teamId);
      ids.set(id.toHexString(), id);
    }
  }
  if (ids.size === 0) return;
  // global built-in tools belong to no team
  const inTeam = collection === 'tools' ? { $or: [{ teamId: { $in: [...teams.values()] } }, { teamId: null, 'data.builtin': true }] } : { teamId: { $in: [...teams.values()] } };
  const docs = await ctx.db.collection<Doc>(collection).find({ _id: { $in: [...ids.values()] }, ...inTeam }).toArray();
  for (const doc of docs) byKey.set(doc.teamId ? keyOf(doc.teamId, doc._id) : `builtin:${doc._id.toHexString()}`, doc);
}

/** Everything the queries select below `sessions`, in six stages. */
async function readGraph(ctx: PeerContext, sessions: Doc[]): Promise<void> {
  await readStage(ctx, 'apps', sessions, (session) => [session.appId]);
  const apps = docsOf(ctx, 'apps');
  await readStage(ctx, 'crews', apps.filter((app) => app.type === 'crew'), (app) => [app.crewId]);
  const crews = docsOf(ctx, 'crews');
  await Promise.all([
    readStage(ctx, 'tasks', crews, (crew) => [crew.tasks]),
    readStage(ctx, 'agents', [...crews, ...apps.filter((app) => app.type === 'chat')], (doc) => [doc.agents, doc.chatAppConfig?.agentId]),
  ]);
  // a task's agent outside its crew's agents (rare): read then, no read otherwise
  await readStage(ctx, 'agents', docsOf(ctx, 'tasks'), (task) => [task.agentId]);
  const withTools = [...docsOf(ctx, 'agents'), ...docsOf(ctx, 'tasks')];
  await Promise.all([
    readStage(ctx, 'tools', withTools, (doc) => [doc.toolIds]),
    readStage(ctx, 'variables', [...apps, ...withTools], (doc) => [doc.kickOffVariablesIds, doc.variableIds]),
  ]);
  await readStage(ctx, 'datasources', docsOf(ctx, 'tools'), (tool) => [tool.datasourceId]);
  await readStage(ctx, 'models', [...docsOf(ctx, 'agents'), ...crews, ...docsOf(ctx, 'datasources')], (doc) => [doc.modelId, doc.functionModelId, doc.managerModelId]);
}

const docsOf = (ctx: PeerContext, collection: string): Doc[] => [...(ctx.graph.get(collection)?.values() ?? [])];

/** The documents of `collection` that `source` references, from the graph, in reference order. */
function refs(ctx: PeerContext, source: Doc | null, collection: string, ids: unknown): Doc[] {
  const team = source?.teamId;
  if (!team) return [];
  const byKey = ctx.graph.get(collection);
  if (!byKey) return [];
  const found: Doc[] = [];
  for (const id of idsOf(ids)) {
    const doc = byKey.get(keyOf(team, id)) ?? (collection === 'tools' ? byKey.get(`builtin:${id.toHexString()}`) : undefined);
    if (doc) found.push(doc);
  }
  return found;
}

const ref = (ctx: PeerContext, source: Doc | null, collection: string, id: unknown): Doc | null => refs(ctx, source, collection, asId(id) ?? [])[0] ?? null;

const once = (docs: Doc[]) => [...new Map(docs.map((doc) => [doc._id.toHexString(), doc])).values()];

const appOf = (ctx: PeerContext, session: Doc) => ref(ctx, session, 'apps', session.appId);

function stagesOf(ctx: PeerContext, session: Doc): Stages {
  let found = ctx.stages.get(session);
  if (!found) {
    const app = appOf(ctx, session);
    const crew = app?.type === 'crew' ? ref(ctx, app, 'crews', app.crewId) : null;
    const tasks = once(refs(ctx, crew, 'tasks', crew?.tasks ?? []));
    const agents = once([...refs(ctx, crew, 'agents', crew?.agents ?? []), ...(app?.type === 'chat' ? refs(ctx, app, 'agents', app.chatAppConfig?.agentId ?? []) : [])]);
    const tools = once([...agents, ...tasks].flatMap((doc) => refs(ctx, doc, 'tools', doc.toolIds ?? [])));
    const datasources = once(tools.flatMap((tool) => refs(ctx, tool, 'datasources', tool.datasourceId ?? [])));
    const models = once([
      ...agents.flatMap((agent) => refs(ctx, agent, 'models', [agent.modelId, agent.functionModelId])),
      ...refs(ctx, crew, 'models', crew?.managerModelId ?? []),
      ...datasources.flatMap((datasource) => refs(ctx, datasource, 'models', datasource.modelId ?? [])),
    ]);
    found = { tasks, agents, tools, datasources, models };
    ctx.stages.set(session, found);
  }
  return found;
}

const upper = (value: unknown) => (typeof value === 'string' ? value.toUpperCase() : null);
const SHARING_MODES = new Set(['public', 'team', 'restricted', 'whitelist', 'owner']);

type Resolver = (parent: Doc, args: Record<string, unknown>, ctx: PeerContext) => unknown;

export const PEER_RESOLVERS: Record<string, Record<string, Resolver> | GraphQLScalarType> = {
  ObjectId: new GraphQLScalarType({
    name: 'ObjectId',
    serialize: (value) => (value as ObjectId).toHexString(),
    parseValue: (value) => new ObjectId(String(value)),
    parseLiteral: (ast) => new ObjectId(ast.kind === Kind.STRING ? ast.value : ''),
  }),
  DateTime: new GraphQLScalarType({ name: 'DateTime', serialize: (value) => (value as Date).toISOString() }),
  Query: {
    session: async (_root, args, ctx) => {
      const session = await ctx.db.collection<Doc>('sessions').findOne({ _id: args._id as ObjectId });
      if (session) await readGraph(ctx, [session]);
      return session;
    },
    sessions: async (_root, args, ctx) => {
      const docs = await ctx.db.collection<Doc>('sessions').find({ teamId: args.teamId as ObjectId }).sort({ _id: -1 }).limit(Number(args.first)).toArray();
      await readGraph(ctx, docs);
      return { edges: docs.map((node) => ({ node })) };
    },
  },
  Session: {
    status: (session) => upper(session.status),
    sharingConfig: (session) => session.sharingConfig ?? {},
    app: (session, _args, ctx) => appOf(ctx, session),
    tasks: (session, _args, ctx) => stagesOf(ctx, session).tasks,
    agents: (session, _args, ctx) => stagesOf(ctx, session).agents,
    tools: (session, _args, ctx) => stagesOf(ctx, session).tools,
    models: (session, _args, ctx) => stagesOf(ctx, session).models,
    datasources: (session, _args, ctx) => stagesOf(ctx, session).datasources,
  },
  SharingConfig: { mode: (config) => (SHARING_MODES.has(config.mode) ? config.mode.toUpperCase() : 'TEAM') },
  App: {
    type: (app) => upper(app.type),
    crew: (app, _args, ctx) => (app.type === 'crew' ? ref(ctx, app, 'crews', app.crewId) : null),
    kickOffVariables: (app, _args, ctx) => refs(ctx, app, 'variables', app.kickOffVariablesIds ?? []),
  },
  Crew: { process: (crew) => upper(crew.process) },
  Agent: {
    model: (agent, _args, ctx) => ref(ctx, agent, 'models', agent.modelId),
    tools: (agent, _args, ctx) => refs(ctx, agent, 'tools', agent.toolIds ?? []),
    variables: (agent, _args, ctx) => refs(ctx, agent, 'variables', agent.variableIds ?? []),
  },
  Task: {
    agent: (task, _args, ctx) => ref(ctx, task, 'agents', task.agentId),
    tools: (task, _args, ctx) => refs(ctx, task, 'tools', task.toolIds ?? []),
    variables: (task, _args, ctx) => refs(ctx, task, 'variables', task.variableIds ?? []),
  },
  Tool: {
    type: (tool) => upper(tool.type),
    datasource: (tool, _args, ctx) => ref(ctx, tool, 'datasources', tool.datasourceId),
  },
};
