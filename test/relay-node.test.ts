/**
 * Relay global object identification (CONTRACT §3.3, §5): `node(id)`, `nodes(ids)` and federation's
 * `_entities`, for every node type and every kind of caller of the access matrix. An id carries the
 * session it was reached through: it resolves exactly when that session is readable (the oracle is
 * `session(_id)` for the same caller) and the document is part of that session.
 */
import { ObjectId } from 'mongodb';
import { ContextFactory } from '../src/context/request-context';
import { COLLECTIONS } from '../src/data-model/collections';
import type { SessionDoc } from '../src/data-model/documents';
import { SessionGraphWalks } from '../src/policy/session-graph-member';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from './support/gateway';

let gw: TestGateway;
let fed: TestGateway;
beforeAll(async () => {
  [gw, fed] = await Promise.all([startTestGateway(), startTestGateway({ federation: true })]);
});
afterAll(() => Promise.all([gw?.stop(), fed?.stop()]));

const GRAPH_IDS = `id app { id crew { id } kickOffVariables { id } } tasks { id } agents { id variables { id } } tools { id } models { id } datasources { id }`;
const CALLERS = ['member', 'outsider', 'appCreator', 'orgAdmin', 'sharedWith', 'labsMember', 'root', null] as const;
const SESSIONS = ['teamCrew', 'publicChat', 'restricted', 'whitelistTeam', 'ownerMode', 'globexSession'] as const;

/** Every global id of a session's graph, with its type, as an admin of every team sees them. */
async function graphIds(target: TestGateway, session: (typeof SESSIONS)[number]): Promise<Array<{ type: string; id: string }>> {
  const { body } = await target.graphql(`{ session(_id: "${target.fixtures.sessions[session].toHexString()}") { ${GRAPH_IDS} } }`, {}, target.tokenFor('root'));
  const found: Array<{ type: string; id: string }> = [];
  const walk = (value: unknown, type: string) => {
    if (Array.isArray(value)) return value.forEach((item) => walk(item, type));
    if (!value || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (typeof record.id === 'string') found.push({ type, id: record.id });
    const types: Record<string, string> = { app: 'App', crew: 'Crew', kickOffVariables: 'Variable', tasks: 'Task', agents: 'Agent', variables: 'Variable', tools: 'Tool', models: 'Model', datasources: 'Datasource' };
    for (const [key, child] of Object.entries(record)) if (types[key]) walk(child, types[key]);
  };
  walk(body.data.session, 'Session');
  return found;
}

const tokenOf = (target: TestGateway, caller: (typeof CALLERS)[number]) => (caller === null ? null : target.tokenFor(caller));

describe.each([
  ['node(id) and nodes(ids)', () => gw],
  ['federation _entities', () => fed],
])('%s', (_surface, target) => {
  it('the team crew session\'s graph, checked below, has an id of every node type', async () => {
    const ids = await graphIds(target(), 'teamCrew');
    expect(new Set(ids.map((entry) => entry.type))).toEqual(new Set(['Session', 'App', 'Crew', 'Task', 'Agent', 'Tool', 'Model', 'Datasource', 'Variable']));
  });

  it.each(SESSIONS)('every id of the %s session resolves exactly for the callers who may read that session', async (session) => {
    const t = target();
    const ids = await graphIds(t, session);
    expect(ids.length).toBeGreaterThan(4);
    const readers: Array<(typeof CALLERS)[number]> = [];
    for (const caller of CALLERS) {
      const token = tokenOf(t, caller);
      const oracle = await t.graphql(`{ session(_id: "${t.fixtures.sessions[session].toHexString()}") { _id } }`, {}, token);
      const readable = oracle.body.data.session !== null;
      if (readable) readers.push(caller);
      const result = _surface.startsWith('node')
        ? await t.graphql('query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }', { ids: ids.map((entry) => entry.id) }, token)
        : await t.graphql('query($r: [_Any!]!) { _entities(representations: $r) { ... on Node { id __typename } } }', { r: ids.map((entry) => ({ __typename: entry.type, id: entry.id })) }, token);
      expect(result.body.errors).toBeUndefined();
      const answers = (result.body.data.nodes ?? result.body.data._entities) as Array<{ id: string; __typename: string } | null>;
      expect({ caller, answers }).toEqual({ caller, answers: ids.map((entry) => (readable ? { id: entry.id, __typename: entry.type } : null)) });
    }
    // the oracle itself works: the caller the ids were read as reads the session (so some ids resolve)
    expect(readers).toContain('root');
  });
});

describe('ids that do not name a document of their session', () => {
  const idText = (text: string) => Buffer.from(text).toString('base64url');

  it('another session’s, another team’s, a missing document: null, with no error', async () => {
    const f = gw.fixtures;
    const researcher = f.agents.researcher.toHexString();
    const ids = [
      idText(`Agent:${researcher}:${f.sessions.publicChat.toHexString()}`), // a chat session: the researcher is not part of it
      idText(`Agent:${f.agents.globexAgent.toHexString()}:${f.sessions.teamCrew.toHexString()}`), // another team's agent
      idText(`Agent:${new ObjectId().toHexString()}:${f.sessions.teamCrew.toHexString()}`), // no such agent
      idText(`Session:${new ObjectId().toHexString()}`), // no such session
      idText(`Agent:${researcher}:${f.sessions.teamCrew.toHexString()}`), // the real one
    ];
    const { body } = await gw.graphql('query($ids: [ID!]!) { nodes(ids: $ids) { ... on Agent { name } } }', { ids }, gw.tokenFor('owner'));
    expect(body).toEqual({ data: { nodes: [null, null, null, null, { name: 'Researcher' }] } });
  });

  it('a message whose session is stored as text is in no session, through node as in every list', async () => {
    const f = gw.fixtures;
    const session = f.sessions.publicChat;
    const template = (await gw.db.collection('chat').findOne({ sessionId: session }))!;
    const _id = new ObjectId();
    await gw.db.collection('chat').insertOne({ ...template, _id, sessionId: session.toHexString() });
    try {
      const { body } = await gw.graphql('query($id: ID!) { node(id: $id) { id } }', { id: idText(`Message:${_id.toHexString()}:${session.toHexString()}`) }, gw.tokenFor('owner'));
      expect(body).toEqual({ data: { node: null } });
      const list = await gw.graphql(`{ session(_id: "${session.toHexString()}") { messages(first: 100) { nodes { _id } } } }`, {}, gw.tokenFor('owner'));
      expect(list.body.data.session.messages.nodes.map((m: { _id: string }) => m._id)).not.toContain(_id.toHexString());
      // the control: the same message with its session as an ObjectId is found
      const control = idText(`Message:${template._id.toHexString()}:${session.toHexString()}`);
      expect((await gw.graphql('query($id: ID!) { node(id: $id) { id } }', { id: control }, gw.tokenFor('owner'))).body.data.node).toEqual({ id: control });
    } finally {
      await gw.db.collection('chat').deleteOne({ _id });
    }
  });

  it('reads no more for a hundred ids of a session in fifteen aliases than for one (ids that name nothing included)', async () => {
    const session = gw.fixtures.sessions.teamCrew.toHexString();
    const madeUp = (n: number) => Array.from({ length: n }, () => idText(`Agent:${new ObjectId().toHexString()}:${session}`));
    const real = idText(`Agent:${gw.fixtures.agents.researcher.toHexString()}:${session}`);
    const ask = (ids: string[], aliases: number) =>
      gw.countCommands(() => gw.graphql(`query($ids: [ID!]!) { ${Array.from({ length: aliases }, (_, i) => `a${i}: nodes(ids: $ids) { id }`).join(' ')} }`, { ids }, gw.tokenFor('owner')));
    const one = await ask([...madeUp(1), real], 1);
    const many = await ask([...madeUp(99), real], 15);
    expect(many.result.body.errors).toBeUndefined();
    expect(many.result.body.data.a14.filter(Boolean)).toEqual([{ id: real }]);
    expect(many.total).toBe(one.total);
    // and in one walk per request, not per process: a second request walks again
    expect((await ask([...madeUp(1), real], 1)).total).toBe(one.total);
  });

  it('follows each relation of a session’s graph once for all the ids asked of it, found or not', async () => {
    const loaders = new ContextFactory({ db: gw.db, jwtSecret: TEST_JWT_SECRET, requestTimeoutMs: 10_000 }).loaders();
    let follows = 0;
    const counted = new Proxy(loaders, { get: (target, name, receiver) => ((follows += typeof name === 'string' && name in COLLECTIONS ? 1 : 0), Reflect.get(target, name, receiver)) });
    const session = (await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.teamCrew })) as SessionDoc;
    const walks = new SessionGraphWalks(counted, 12);
    expect(await walks.find(session, 'agents', new ObjectId())).toBeNull();
    const oneWalk = follows;
    expect(oneWalk).toBeGreaterThan(5);
    const answers = await Promise.all(Array.from({ length: 50 }, () => walks.find(session, 'agents', new ObjectId())));
    expect(answers.every((answer) => answer === null)).toBe(true);
    expect((await walks.find(session, 'agents', gw.fixtures.agents.researcher))?.name).toBe('Researcher');
    expect(follows).toBe(oneWalk);
  });

  it('a malformed or tampered id is BAD_USER_INPUT', async () => {
    const f = gw.fixtures;
    const good = idText(`Agent:${f.agents.researcher.toHexString()}:${f.sessions.teamCrew.toHexString()}`);
    for (const bad of ['', 'abc', `${good}=`, good.slice(1), idText(`Viewer:${f.accounts.owner.toHexString()}`), idText(`Agent:${f.agents.researcher.toHexString()}`),
      idText(`Session:${f.sessions.teamCrew.toHexString()}:${f.sessions.teamCrew.toHexString()}`), idText(`Agent:${f.agents.researcher.toHexString().toUpperCase()}:${f.sessions.teamCrew.toHexString()}`)]) {
      const { body } = await gw.graphql('query($id: ID!) { node(id: $id) { id } }', { id: bad }, gw.tokenFor('owner'));
      expect(body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(body.data?.node ?? null).toBeNull();
    }
    const many = await gw.graphql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array.from({ length: 101 }, () => good) }, gw.tokenFor('owner'));
    expect(many.body.errors?.[0]).toMatchObject({ message: 'nodes takes at most 100 ids; got 101', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('a selection that reads no id below its session is answered from unmarked documents, the same as one that does', async () => {
    const session = gw.fixtures.sessions.teamCrew.toHexString();
    const graph = (id: string) => `app { ${id} name crew { ${id} name } } tasks { ${id} name agent { ${id} name tools { ${id} name } } } agents { ${id} name model { ${id} name } }`;
    const plain = await gw.graphql(`{ session(_id: "${session}") { ${graph('_id')} } }`, {}, gw.tokenFor('owner'));
    const withIds = await gw.graphql(`{ session(_id: "${session}") { ${graph('_id id')} } }`, {}, gw.tokenFor('owner'));
    expect(plain.body.errors).toBeUndefined();
    expect(withIds.body.errors).toBeUndefined();
    const strip = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (key, v) => (key === 'id' ? undefined : v)));
    expect(strip(withIds.body.data)).toEqual(plain.body.data);
    expect(withIds.body.data.session.tasks[0].agent.tools[0].id).toEqual(expect.any(String));
    // an app's sharing config reads the session its app was reached through, with no id selected anywhere
    const sharing = await gw.graphql(`{ session(_id: "${session}") { app { sharingConfig { mode } } } }`, {}, gw.tokenFor('owner'));
    const sharingWithIds = await gw.graphql(`{ session(_id: "${session}") { app { id sharingConfig { mode } } } }`, {}, gw.tokenFor('owner'));
    expect(sharing.body.data.session.app.sharingConfig).toEqual(sharingWithIds.body.data.session.app.sharingConfig);
    expect(sharing.body.data.session.app.sharingConfig).not.toBeNull();
  });

  it('the same document reached through two sessions has two ids, and one _id', async () => {
    const { body } = await gw.graphql(`{ a: session(_id: "${gw.fixtures.sessions.teamCrew.toHexString()}") { agents { id _id } } b: session(_id: "${gw.fixtures.sessions.restricted.toHexString()}") { agents { id _id } } }`, {}, gw.tokenFor('owner'));
    expect(body.data.a.agents[0]._id).toBe(body.data.b.agents[0]._id);
    expect(body.data.a.agents[0].id).not.toBe(body.data.b.agents[0].id);
  });
});

describe('a document reached by id, far from its session', () => {
  const idText = (text: string) => Buffer.from(text).toString('base64url');

  it('is looked for as far as fields reach (GRAPHQL_MAX_DEPTH relations), however long a chain of task contexts is stored', async () => {
    const db = gw.db;
    const session = (await db.collection('sessions').findOne({ _id: gw.fixtures.sessions.teamCrew }))!;
    const app = (await db.collection('apps').findOne({ _id: session.appId }))!;
    const crew = (await db.collection('crews').findOne({ _id: app.crewId }))!;
    const task = (await db.collection('tasks').findOne({ _id: crew.tasks[0] }))!;
    // a crew whose one task starts a chain of 40 contexts: task k is 3 + k relations from the session
    const chain = Array.from({ length: 40 }, () => new ObjectId());
    const ids = { session: new ObjectId(), app: new ObjectId(), crew: new ObjectId() };
    await db.collection('tasks').insertMany(chain.map((_id, k) => ({ ...task, _id, name: `link ${k}`, context: k + 1 < chain.length ? [chain[k + 1]] : [] })));
    await db.collection('crews').insertOne({ ...crew, _id: ids.crew, tasks: [chain[0]] });
    await db.collection('apps').insertOne({ ...app, _id: ids.app, crewId: ids.crew });
    await db.collection('sessions').insertOne({ ...session, _id: ids.session, appId: ids.app });
    try {
      const node = (k: number) => gw.countCommands(() => gw.graphql('query($id: ID!) { node(id: $id) { ... on Task { name } } }', { id: idText(`Task:${chain[k].toHexString()}:${ids.session.toHexString()}`) }, gw.tokenFor('owner')));
      // found up to 12 relations away (fields 12 deep reach 10: session, app, crew, tasks, 7 contexts and a
      // leaf), not beyond; and the walk's reads end there, wherever the chain does
      expect((await node(9)).result.body.data.node).toEqual({ name: 'link 9' });
      const near = await node(10);
      const far = await node(39);
      expect([near.result.body, far.result.body]).toEqual([{ data: { node: null } }, { data: { node: null } }]);
      expect(far.total).toBe(near.total);
      expect(far.total).toBeLessThan(40);
    } finally {
      await db.collection('sessions').deleteOne({ _id: ids.session });
      await db.collection('apps').deleteOne({ _id: ids.app });
      await db.collection('crews').deleteOne({ _id: ids.crew });
      await db.collection('tasks').deleteMany({ _id: { $in: chain } });
    }
  });
});
