/**
 * Apollo Federation 2 subgraph mode (GRAPHQL_FEDERATION): the gateway in subgraph mode, a second
 * subgraph written here that extends `Agent`, both composed with @apollo/composition and served by
 * @apollo/gateway, all on loopback ports. Nothing is mocked: every request crosses real HTTP.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { getNamedType, isNonNullType, isObjectType, Kind, parse, type GraphQLSchema, type ObjectTypeDefinitionNode } from 'graphql';
import { ObjectId } from 'mongodb';
import { startTestGateway, type TestGateway } from './support/gateway';
import { buildSubgraphGatewaySchema } from '../src/assembly/subgraph-schema';

/**
 * The second subgraph: a rating for some agents, and a featured agent that only names its id. Entities
 * are keyed on the Relay `id`, which carries the session an agent was reached through.
 */
const RATINGS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Agent @key(fields: "id") {
    id: ID!
    rating: Int
  }
  type Query {
    featuredAgent: Agent
  }
`;

interface Served {
  url: string;
  stop(): Promise<void>;
}

interface Result {
  data?: any;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

let gw: TestGateway; // subgraph mode
let plain: TestGateway; // flag off (the same deterministic demo data)
let ratings: Served;
let router: Served;
const rating = new Map<string, number>();
let writerId: string;

async function serve(server: ApolloServer<any>, context?: (req: { headers: Record<string, any> }) => Promise<object>): Promise<Served> {
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: context ? async ({ req }) => context(req) : undefined,
  });
  return { url, stop: () => server.stop() };
}

async function post(url: string, query: string, variables?: Record<string, unknown>, token: string | null = null): Promise<Result> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as Result;
}

beforeAll(async () => {
  [gw, plain] = await Promise.all([startTestGateway({ federation: true }), startTestGateway()]);
  const f = gw.fixtures;
  // the agents' ids as reached through the team crew session
  const { body } = await gw.graphql(`{ session(_id: "${f.sessions.teamCrew.toHexString()}") { agents { id name } } }`, {}, gw.tokenFor('owner'));
  const idOf = (name: string) => body.data.session.agents.find((a: { name: string }) => a.name === name).id as string;
  writerId = idOf('Writer');
  rating.set(idOf('Researcher'), 4).set(writerId, 5);

  ratings = await serve(new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: parse(RATINGS_SDL),
      resolvers: {
        Agent: {
          __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
          rating: (agent: { id: string }) => rating.get(agent.id) ?? null,
        },
        Query: { featuredAgent: () => ({ id: writerId }) },
      },
    }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  }));

  const { data } = await post(`${gw.url}/graphql`, '{ _service { sdl } }');
  const composed = composeServices([
    { name: 'sessions', url: `${gw.url}/graphql`, typeDefs: parse(data._service.sdl) },
    { name: 'ratings', url: ratings.url, typeDefs: parse(RATINGS_SDL) },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));

  const gateway = new ApolloGateway({
    supergraphSdl: composed.supergraphSdl,
    buildService: ({ url }) => new RemoteGraphQLDataSource<{ authorization?: string }>({
      url,
      willSendRequest({ request, context }) {
        if (context.authorization) request.http!.headers.set('authorization', context.authorization);
      },
    }),
  });
  router = await serve(new ApolloServer({ gateway }), async (req) => ({ authorization: req.headers.authorization }));
}, 60_000);

afterAll(async () => {
  await router?.stop();
  await ratings?.stop();
  await Promise.all([gw?.stop(), plain?.stop()]);
});

const SESSION_GRAPH = (extra: string) => `query($id: ObjectId!) { session(_id: $id) {
  _id name status tokensUsed startDate sharingConfig { mode permissions { granteeId value } } variables { name value }
  app { _id name type createdBy crew { name process tasks { name } managerModel { name } } agent { name } kickOffVariables { name } }
  tasks { _id name agent { _id name ${extra} } context { name } tools { name } variables { name } }
  agents { _id name ${extra} dateCreated model { _id name } functionModel { name } tools { _id name datasource { name } } }
  tools { _id name type teamId data { builtin parameters } retriever_config datasource { _id name recordCount { total success failure } createdDate model { name } } }
  models { _id name modelType }
  datasources { _id name model { name } }
} }`;

/** A copy of `value` without the `rating` keys the other subgraph adds. */
function withoutRating(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutRating);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'rating').map(([key, v]) => [key, withoutRating(v)]));
}

describe('through a composing gateway', () => {
  it('crosses from a session into its entities and the other subgraph, with the same data as a direct query', async () => {
    const f = gw.fixtures;
    const token = gw.tokenFor('member');
    const variables = { id: f.sessions.teamCrew.toHexString() };
    const composed = await post(router.url, SESSION_GRAPH('rating'), variables, token);
    const direct = await gw.graphql(SESSION_GRAPH(''), variables, token);
    const flagOff = await plain.graphql(SESSION_GRAPH(''), variables, token);
    expect(composed.errors).toBeUndefined();
    expect(direct.body.errors).toBeUndefined();

    const session = composed.data.session;
    expect(session).toMatchObject({ name: 'Team crew run', status: 'RUNNING', app: { type: 'CREW', crew: { process: 'HIERARCHICAL' } } });
    expect(session.agents.map((a: { name: string; rating: number | null }) => [a.name, a.rating])).toEqual([['Researcher', 4], ['Writer', 5]]);
    expect(session.tasks[0].agent).toMatchObject({ name: 'Researcher', rating: 4 });
    expect(session.tools[0].datasource).toMatchObject({ name: 'Product docs', recordCount: { total: 120, success: 118, failure: 2 } });
    expect(withoutRating(composed.data)).toEqual(direct.body.data);
    // subgraph mode answers exactly as the plain schema does (same seed, same ids)
    expect(direct.body.data).toEqual(flagOff.body.data);
  });

  it('resolves an agent reference through our _entities only for callers who may read the session in its id', async () => {
    const query = '{ featuredAgent { _id name rating model { name } tools { name datasource { name } } } }';
    const member = await post(router.url, query, undefined, gw.tokenFor('member'));
    expect(member.errors).toBeUndefined();
    expect(member.data.featuredAgent).toEqual({
      _id: gw.fixtures.agents.writer.toHexString(), name: 'Writer', rating: 5, model: { name: 'Claude' },
      tools: [{ name: 'Publish post', datasource: null }],
    });

    // For an outsider or an anonymous caller our `_entities` answers null. @apollo/gateway does not
    // null the entity for that: it keeps the object the other subgraph returned, with our fields
    // null, and nulls it only when a non-null field of ours (here `tools`) was asked for.
    for (const token of [gw.tokenFor('outsider'), null]) {
      const denied = await post(router.url, '{ featuredAgent { name model { name } } }', undefined, token);
      expect(denied.errors).toBeUndefined();
      expect(denied.data.featuredAgent).toEqual({ name: null, model: null });
      const withList = await post(router.url, '{ featuredAgent { name tools { name } } }', undefined, token);
      expect(withList.data.featuredAgent).toBeNull();
    }
  });

  it('keeps an invalid token an error, not an anonymous call', async () => {
    const result = await post(router.url, '{ featuredAgent { name } }', undefined, 'not-a-jwt');
    expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.data?.featuredAgent ?? { name: null }).toEqual({ name: null });
  });
});

describe('_entities on the subgraph', () => {
  const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) {
    __typename
    ... on Session { _id name status }
    ... on App { _id name type crew { name } }
    ... on Agent { _id name model { name } }
    ... on Task { _id name agent { name } }
    ... on Tool { _id name teamId datasource { name } }
    ... on Model { _id name }
    ... on Datasource { _id name model { name } }
  } }`;
  const hex = (id: { toHexString(): string }) => id.toHexString();

  async function entities(representations: unknown[], token: string | null) {
    const { body } = await gw.graphql(ENTITIES, { r: representations }, token);
    expect(body.errors).toBeUndefined();
    return body.data._entities as Array<Record<string, any> | null>;
  }

  /** The global ids of a session's graph, as its owner sees them. */
  async function idsOf(session: { toHexString(): string }) {
    const { body } = await gw.graphql(`{ session(_id: "${hex(session)}") { id app { id } tasks { id } agents { id } tools { id } models { id } datasources { id } } }`, {}, gw.tokenFor('root'));
    const s = body.data.session;
    return { session: s.id as string, app: s.app.id as string, task: s.tasks[1]?.id as string, agent: s.agents[0].id as string, tool: s.tools[0].id as string, model: s.models[0].id as string, datasource: s.datasources[0]?.id as string };
  }
  const ref = (typename: string, id: unknown) => ({ __typename: typename, id });

  it('resolves a Session only when the caller may read it', async () => {
    const s = gw.fixtures.sessions;
    const [crew, globex, owner, pub] = await Promise.all([idsOf(s.teamCrew), idsOf(s.globexSession), idsOf(s.ownerMode), idsOf(s.publicChat)]);
    const member = await entities([ref('Session', crew.session), ref('Session', globex.session), ref('Session', owner.session)], gw.tokenFor('member'));
    expect(member).toEqual([{ __typename: 'Session', _id: hex(s.teamCrew), name: 'Team crew run', status: 'RUNNING' }, null, null]);
    const anonymous = await entities([ref('Session', pub.session), ref('Session', crew.session)], null);
    expect(anonymous).toEqual([{ __typename: 'Session', _id: hex(s.publicChat), name: 'Public chat', status: 'STARTED' }, null]);
    const creator = await entities([ref('Session', owner.session)], gw.tokenFor('appCreator'));
    expect(creator[0]).toMatchObject({ name: 'Creator only' });
  });

  it('resolves a document only when the session in its id is readable and the document is part of it', async () => {
    const f = gw.fixtures;
    const crew = await idsOf(f.sessions.teamCrew);
    const refs = [ref('Agent', crew.agent), ref('App', crew.app), ref('Task', crew.task), ref('Tool', crew.tool), ref('Model', crew.model), ref('Datasource', crew.datasource)];
    const member = await entities(refs, gw.tokenFor('member'));
    expect(member.map((e) => e?.name ?? null)).toEqual(['Researcher', 'Blog writer', 'Draft', 'Docs search', 'GPT-4o', 'Product docs']);
    // a member of another team, an Acme member of another team, anonymous callers: nothing
    for (const token of [gw.tokenFor('outsider'), gw.tokenFor('labsMember'), null]) expect(await entities(refs, token)).toEqual(refs.map(() => null));
    // admins of the team read it through the session, members or not
    for (const admin of ['orgAdmin', 'root'] as const) expect((await entities(refs.slice(0, 1), gw.tokenFor(admin)))[0]).toMatchObject({ name: 'Researcher' });
  });

  it('the same document through another session is another id; one of a session it is not part of is nothing', async () => {
    const f = gw.fixtures;
    const [crew, restricted] = await Promise.all([idsOf(f.sessions.teamCrew), idsOf(f.sessions.restricted)]);
    expect(restricted.agent).not.toBe(crew.agent); // the same Researcher, reached through another session
    // Sam may read the restricted session, not the team one: the agent resolves through one id only
    const sam = await entities([ref('Agent', restricted.agent), ref('Agent', crew.agent)], gw.tokenFor('sharedWith'));
    expect(sam.map((e) => e?.name ?? null)).toEqual(['Researcher', null]);
    // an id naming the public chat session with the crew's researcher: not part of that session
    const chat = await idsOf(f.sessions.publicChat);
    const forged = Buffer.from(`Agent:${hex(f.agents.researcher)}:${Buffer.from(chat.session, 'base64url').toString().split(':')[1]}`).toString('base64url');
    expect(await entities([ref('Agent', forged)], gw.tokenFor('owner'))).toEqual([null]);
  });

  it('refuses a malformed representation as BAD_USER_INPUT before any read', async () => {
    const crew = await idsOf(gw.fixtures.sessions.teamCrew);
    const bad = [crew.agent.toUpperCase(), ` ${crew.agent}`, crew.agent.slice(1), { $ne: null }, 42, null, [crew.agent], crew.app];
    for (const representation of [...bad.map((id) => ref('Agent', id)), { __typename: 'Session' }, ref('Viewer', crew.agent), 'Agent']) {
      const { result, byName } = await gw.countCommands(() => gw.graphql(ENTITIES, { r: [ref('Agent', crew.agent), representation] }, gw.tokenFor('root')));
      expect(result.status).toBe(400);
      expect(result.body.data ?? null).toBeNull();
      expect(result.body.errors).toEqual([{ message: expect.stringMatching(/^representations\[1\] (has an id that is not the id of an? \w+ from this API|names no entity type of this subgraph|is not an object)$/), extensions: { code: 'BAD_USER_INPUT' } }]);
      expect(byName).toEqual({ 'find accounts': 1 }); // the caller's authentication, nothing of the references
    }
  });

  it('costs a normal query the same database commands as with the flag off', async () => {
    const query = SESSION_GRAPH('');
    const variables = { id: hex(gw.fixtures.sessions.teamCrew) };
    const token = gw.tokenFor('member');
    const federated = await gw.countCommands(() => gw.graphql(query, variables, token));
    const flagOff = await plain.countCommands(() => plain.graphql(query, variables, token));
    expect(federated.result.body.errors).toBeUndefined();
    expect(federated.byName).toEqual(flagOff.byName);
  });

  it('exposes no secret through an entity', async () => {
    const f = gw.fixtures;
    const all = await Promise.all(Object.values(f.sessions).map((id) => idsOf(id).catch(() => null)));
    const refs = all.flatMap((ids) => (ids ? [ref('Model', ids.model), ref('Tool', ids.tool), ...(ids.datasource ? [ref('Datasource', ids.datasource)] : [])] : []));
    // every field the subgraph serves on them, whatever it is named: a secret must be absent from all
    const schema = buildSubgraphGatewaySchema();
    // one request per type: fields of one name and different types would conflict in the union
    const texts: string[] = [];
    for (const type of ['Model', 'Datasource', 'Tool']) {
      const selection = everyField(schema, type);
      if (type === 'Tool') expect(selection).toMatch(/\bdata \{ [^}]*\bcode\b/);
      const { body, text } = await gw.graphql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on ${type} { ${selection} } } }`, { r: refs.filter((r) => r.id && r.__typename === type) }, gw.tokenFor('root'));
      expect(body.errors).toBeUndefined();
      expect(body.data._entities.length).toBeGreaterThan(0);
      texts.push(text);
    }
    expect(texts.join('\n')).toContain('Product docs');
    for (const secret of f.secrets) for (const text of texts) expect(text).not.toContain(secret);
  });
});

describe('the subgraph schema', () => {
  const notFederation = (field: string) => field === '_id' || !field.startsWith('_');

  it('has the plain schema’s types and fields, plus the federation ones', async () => {
    const { body } = await gw.graphql('{ _service { sdl } }');
    const sdl: string = body.data._service.sdl;
    for (const type of ['Session', 'App', 'Crew', 'Agent', 'Task', 'Tool', 'Model', 'Datasource', 'Variable']) {
      expect(sdl).toMatch(new RegExp(`type ${type}\\b[^{]*@key\\(fields: "id"\\)`));
    }
    expect(sdl).not.toMatch(/type (Viewer|SessionConnection)\b[^{]*@key/);
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])');

    const introspected = async (g: TestGateway) => {
      const { body: b } = await g.graphql('{ __schema { types { name kind fields { name } } } }');
      return Object.fromEntries(b.data.__schema.types
        .filter((t: any) => t.kind === 'OBJECT' && !t.name.startsWith('_'))
        .map((t: any) => [t.name, t.fields.map((x: any) => x.name).filter(notFederation).sort()]));
    };
    const plainTypes = await introspected(plain);
    expect(await introspected(gw)).toEqual(plainTypes);
    // the SDL given to composition describes the same types and fields
    const fromSdl = Object.fromEntries(parse(sdl).definitions
      .filter((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && !d.name.value.startsWith('_'))
      .map((d) => [d.name.value, (d.fields ?? []).map((x) => x.name.value).filter(notFederation).sort()]));
    expect(fromSdl).toEqual(plainTypes);
  });

  it('keeps the enums, scalars and their input checks', async () => {
    const f = gw.fixtures;
    const token = gw.tokenFor('owner');
    const page = await gw.graphql(`query($team: ObjectId!) { sessions(teamId: $team, first: 100, status: RUNNING) { nodes { name status startDate } } }`,
      { team: hex(f.teams.acmeMain) }, token);
    expect(page.body.errors).toBeUndefined();
    const nodes = page.body.data.sessions.nodes as Array<{ name: string; status: string; startDate: string }>;
    expect(nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['Team crew run', 'Unknown mode']));
    expect(nodes.every((n) => n.status === 'RUNNING' && /Z$/.test(n.startDate))).toBe(true);

    for (const bad of ['ABC', { $ne: null }]) {
      const { body } = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { name } }', { id: bad }, token);
      expect(body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    // a stored sharing mode outside the enum: the effective mode, TEAM, and the stored value beside it
    const { body } = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { name sharingConfig { mode storedMode } } }',
      { id: hex(f.sessions.unknownMode) }, token);
    expect(body).toEqual({ data: { session: { name: 'Unknown mode', sharingConfig: { mode: 'TEAM', storedMode: 'secret-club' } } } });
  });

  it('tells a stored value its scalar cannot show once, as the plain schema does', async () => {
    const f = gw.fixtures;
    const _id = new ObjectId();
    const stored = { _id, teamId: f.teams.acmeMain, sessionId: f.sessions.teamCrew, tokens: 'many', ts: 'garbage', message: { text: 'x' } };
    await Promise.all([gw, plain].map((g) => g.db.collection('chat').insertOne({ ...stored })));
    try {
      const query = 'query($id: ObjectId!) { session(_id: $id) { messages(first: 100) { nodes { _id tokens ts } } } }';
      const [federated, direct] = await Promise.all([gw, plain].map((g) => g.graphql(query, { id: hex(f.sessions.teamCrew) }, g.tokenFor('owner'))));
      expect(federated.body.errors).toEqual(direct.body.errors);
      expect(federated.body.errors).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/^Stored value not shown: Int cannot represent/), extensions: { code: 'INVALID_STORED_DATA' } }),
        expect.objectContaining({ message: expect.stringMatching(/^Stored value not shown: DateTime cannot represent/), extensions: { code: 'INVALID_STORED_DATA' } }),
      ]);
    } finally {
      await Promise.all([gw, plain].map((g) => g.db.collection('chat').deleteOne({ _id })));
    }
  });

  function hex(id: { toHexString(): string }) {
    return id.toHexString();
  }
});

describe('with the flag off', () => {
  it('has no _service or _entities', async () => {
    for (const query of ['{ _service { sdl } }', '{ _entities(representations: []) { __typename } }']) {
      const { body } = await plain.graphql(query);
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/Cannot query field "_(service|entities)"/), extensions: { code: 'BAD_USER_INPUT' } });
    }
  });
});

/** A selection of every field of `typeName` that takes no required argument, object fields `depth` levels down. */
function everyField(schema: GraphQLSchema, typeName: string, depth = 3): string {
  const type = schema.getType(typeName);
  if (!isObjectType(type)) throw new Error(`${typeName} is not an object type of the subgraph`);
  return Object.values(type.getFields())
    .filter((field) => field.args.every((arg) => !isNonNullType(arg.type) || arg.defaultValue !== undefined))
    .map((field) => {
      const named = getNamedType(field.type);
      if (!isObjectType(named)) return field.name;
      const inner = depth > 0 ? everyField(schema, named.name, depth - 1) : '';
      return inner ? `${field.name} { ${inner} }` : '';
    })
    .filter(Boolean)
    .join(' ');
}
