/**
 * The peer: the benchmark's two GraphQL queries (one session's full graph, a page of 20) served the
 * way a fast Node stack serves them without the gateway's code. Fastify 5 + Mercurius 16 (graphql-jit
 * after the first request of a query), a plain SDL schema, one DataLoader per collection per request
 * batching `find({ _id: { $in } })` in the team, the same reads the gateway makes. It checks the
 * bearer token and reads the caller's account, but applies no access policy: a yardstick, not a
 * second gateway. bench/peer-server.ts runs it in its own process.
 */
import DataLoader from 'dataloader';
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

/** Per request: a loader per collection, keyed by "team:id", and the session-level lists made once. */
export interface PeerContext {
  db: Db;
  loaders: Map<string, DataLoader<string, Doc | null>>;
  stages: WeakMap<Doc, Promise<Stages>>;
}

interface Stages { app: Doc | null; crew: Doc | null; tasks: Doc[]; agents: Doc[]; tools: Doc[]; datasources: Doc[]; models: Doc[] }

export function peerContext(db: Db): PeerContext {
  return { db, loaders: new Map(), stages: new WeakMap() };
}

function loader(ctx: PeerContext, collection: string): DataLoader<string, Doc | null> {
  let found = ctx.loaders.get(collection);
  if (!found) {
    found = new DataLoader<string, Doc | null>(async (keys) => {
      const pairs = keys.map((key) => key.split(':'));
      const teams = [...new Set(pairs.map(([team]) => team))].map((team) => new ObjectId(team));
      const ids = [...new Set(pairs.map(([, id]) => id))].map((id) => new ObjectId(id));
      // global built-in tools belong to no team
      const inTeam = collection === 'tools' ? { $or: [{ teamId: { $in: teams } }, { teamId: null, 'data.builtin': true }] } : { teamId: { $in: teams } };
      const docs = await ctx.db.collection<Doc>(collection).find({ _id: { $in: ids }, ...inTeam }).toArray();
      const byId = new Map(docs.map((doc) => [doc._id.toHexString(), doc]));
      return pairs.map(([team, id]) => {
        const doc = byId.get(id);
        return doc && (doc.teamId ? doc.teamId.toHexString() === team : collection === 'tools') ? doc : null;
      });
    });
    ctx.loaders.set(collection, found);
  }
  return found;
}

const asId = (value: unknown): ObjectId | null => (value instanceof ObjectId ? value : null);

/** The documents of `collection` that `source` references (one id or a list), looked up in its team. */
async function refs(ctx: PeerContext, source: Doc | null, collection: string, ids: unknown): Promise<Doc[]> {
  const team = source?.teamId;
  if (!team) return [];
  const list = (Array.isArray(ids) ? ids : [ids]).map(asId).filter((id): id is ObjectId => id !== null);
  const docs = await loader(ctx, collection).loadMany(list.map((id) => `${team.toHexString()}:${id.toHexString()}`));
  return docs.filter((doc): doc is Doc => doc !== null && !(doc instanceof Error));
}

async function ref(ctx: PeerContext, source: Doc | null, collection: string, id: unknown): Promise<Doc | null> {
  return (await refs(ctx, source, collection, asId(id) ?? []))[0] ?? null;
}

const once = (docs: Doc[]) => [...new Map(docs.map((doc) => [doc._id.toHexString(), doc])).values()];

function stagesOf(ctx: PeerContext, session: Doc): Promise<Stages> {
  let found = ctx.stages.get(session);
  if (!found) {
    found = (async () => {
      const app = await ref(ctx, session, 'apps', session.appId);
      const crew = app?.type === 'crew' ? await ref(ctx, app, 'crews', app.crewId) : null;
      const [tasks, crewAgents, chatAgent] = await Promise.all([
        refs(ctx, crew, 'tasks', crew?.tasks ?? []),
        refs(ctx, crew, 'agents', crew?.agents ?? []),
        app?.type === 'chat' ? refs(ctx, app, 'agents', app.chatAppConfig?.agentId ?? []) : Promise.resolve([]),
      ]);
      const agents = once([...crewAgents, ...chatAgent]);
      const toolLists = await Promise.all([...agents, ...tasks].map((doc) => refs(ctx, doc, 'tools', doc.toolIds ?? [])));
      const tools = once(toolLists.flat());
      const datasources = once((await Promise.all(tools.map((tool) => refs(ctx, tool, 'datasources', tool.datasourceId ?? [])))).flat());
      const modelLists = await Promise.all([
        ...agents.map((agent) => refs(ctx, agent, 'models', [agent.modelId, agent.functionModelId])),
        refs(ctx, crew, 'models', crew?.managerModelId ?? []),
        ...datasources.map((datasource) => refs(ctx, datasource, 'models', datasource.modelId ?? [])),
      ]);
      return { app, crew, tasks: once(tasks), agents, tools, datasources, models: once(modelLists.flat()) };
    })();
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
    session: (_root, args, ctx) => ctx.db.collection<Doc>('sessions').findOne({ _id: args._id as ObjectId }),
    sessions: async (_root, args, ctx) => {
      const docs = await ctx.db.collection<Doc>('sessions').find({ teamId: args.teamId as ObjectId }).sort({ _id: -1 }).limit(Number(args.first)).toArray();
      return { edges: docs.map((node) => ({ node })) };
    },
  },
  Session: {
    status: (session) => upper(session.status),
    sharingConfig: (session) => session.sharingConfig ?? {},
    app: async (session, _args, ctx) => (await stagesOf(ctx, session)).app,
    tasks: async (session, _args, ctx) => (await stagesOf(ctx, session)).tasks,
    agents: async (session, _args, ctx) => (await stagesOf(ctx, session)).agents,
    tools: async (session, _args, ctx) => (await stagesOf(ctx, session)).tools,
    models: async (session, _args, ctx) => (await stagesOf(ctx, session)).models,
    datasources: async (session, _args, ctx) => (await stagesOf(ctx, session)).datasources,
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
