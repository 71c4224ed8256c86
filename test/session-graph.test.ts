/**
 * The session graph through GraphQL: content and order (CONTRACT §4.5, §5), tenant isolation, built-in
 * tools, batching (a fixed number of database commands however many sessions), and no secrets.
 */
import { startTestGateway, type TestGateway } from './support/gateway';
import { FULL_GRAPH } from './support/queries';

let gw: TestGateway;
beforeAll(async () => {
  // pages of 100 full graphs cost more than the default limit (20,000 documents): raised here
  gw = await startTestGateway({ scale: 20, limits: { maxCost: 100_000 } });
});
afterAll(() => gw.stop());

const names = (list: Array<{ name: string }>) => list.map((doc) => doc.name);

describe('one session with its full graph', () => {
  it('returns a crew session’s documents in the contract’s order', async () => {
    const { body } = await gw.graphql(`query($id: ObjectId!) { session(_id: $id) { ${FULL_GRAPH} } }`,
      { id: gw.fixtures.sessions.teamCrew.toHexString() }, gw.tokenFor('member'));
    expect(body.errors).toBeUndefined();
    const s = body.data.session;
    expect(s).toMatchObject({ name: 'Team crew run', status: 'RUNNING', startDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    expect(s.variables).toEqual([{ name: 'topic', value: 'GraphQL' }]);
    expect(s.app).toMatchObject({
      name: 'Blog writer', type: 'CREW', createdBy: gw.fixtures.accounts.appCreator.toHexString(), agent: null,
      crew: { name: 'Content crew', process: 'HIERARCHICAL', managerModel: { name: 'Claude' } },
      kickOffVariables: [{ name: 'topic' }],
    });
    expect(names(s.tasks)).toEqual(['Research', 'Draft', 'Review']);
    expect(s.tasks[1]).toMatchObject({ agent: { name: 'Writer' }, context: [{ name: 'Research' }], variables: [{ name: 'audience' }, { name: 'topic' }] });
    expect(names(s.tasks[1].tools)).toEqual(['Publish post', 'Search Wikipedia']);
    expect(s.tasks[2]).toMatchObject({ agent: null, context: [{ name: 'Research' }, { name: 'Draft' }], tools: [] });
    expect(names(s.agents)).toEqual(['Researcher', 'Writer']);
    expect(s.agents[1]).toMatchObject({ icon: null, model: { name: 'Claude' }, functionModel: { name: 'GPT-4o' } });
    // tools: the agents' (researcher: rag, builtin; writer: code) then the tasks', each once
    expect(names(s.tools)).toEqual(['Docs search', 'Search Wikipedia', 'Publish post']);
    expect(s.tools[0].datasource).toEqual({ name: 'Product docs', model: { name: 'Embedder' } });
    // models: agent by agent (model, function model), the manager model, then the datasources'
    expect(names(s.models)).toEqual(['GPT-4o', 'Claude', 'Embedder']);
    expect(s.datasources).toEqual([{ name: 'Product docs', model: { name: 'Embedder' } }]);
  });

  it('returns a chat session’s single agent and its tools', async () => {
    const { body } = await gw.graphql(`query($id: ObjectId!) { session(_id: $id) { ${FULL_GRAPH} } }`,
      { id: gw.fixtures.sessions.publicChat.toHexString() }, null);
    expect(body.errors).toBeUndefined();
    const s = body.data.session;
    expect(s.app).toMatchObject({ type: 'CHAT', crew: null, agent: { name: 'Support Bot' } });
    expect(s.tasks).toEqual([]);
    expect(names(s.agents)).toEqual(['Support Bot']);
    expect(s.agents[0].icon).toEqual({ filename: 'support.png' });
    expect(names(s.tools)).toEqual(['Search Wikipedia', 'Docs search']);
    expect(names(s.models)).toEqual(['GPT-4o', 'Claude', 'Embedder']);
  });

  it('gives a session whose app was deleted a null app and empty lists', async () => {
    const { body } = await gw.graphql(`query($id: ObjectId!) { session(_id: $id) { ${FULL_GRAPH} } }`,
      { id: gw.fixtures.sessions.deletedApp.toHexString() }, gw.tokenFor('member'));
    expect(body.errors).toBeUndefined();
    expect(body.data.session).toMatchObject({ name: 'App deleted', app: null, tasks: [], agents: [], tools: [], models: [], datasources: [] });
  });

  it('gives a crew app whose crew is missing no tasks or agents', async () => {
    const { body } = await gw.graphql(`query($id: ObjectId!) { session(_id: $id) { app { name crew { name } } tasks { name } agents { name } } }`,
      { id: gw.fixtures.sessions.missingCrew.toHexString() }, gw.tokenFor('member'));
    expect(body.data.session).toEqual({ app: { name: 'Missing crew app', crew: null }, tasks: [], agents: [] });
  });
});

describe('tenant isolation', () => {
  it('never resolves another team’s task or agent, through any field', async () => {
    const { body } = await gw.graphql(`query($id: ObjectId!) { session(_id: $id) {
        app { crew { tasks { name } agents { name } } }
        tasks { name context { name } } agents { name tools { name } } tools { name } models { name }
      } }`, { id: gw.fixtures.sessions.brokenCrew.toHexString() }, gw.tokenFor('owner'));
    expect(body.errors).toBeUndefined();
    const s = body.data.session;
    expect(names(s.app.crew.tasks)).toEqual(['Research']);
    expect(names(s.app.crew.agents)).toEqual(['Writer']);
    expect(names(s.tasks)).toEqual(['Research']);
    expect(names(s.agents)).toEqual(['Writer']);
    expect(JSON.stringify(body)).not.toMatch(/Globex/);
  });

  it('drops a cross-team reference stored on an agent, and keeps the global built-in tool', async () => {
    const f = gw.fixtures;
    const agents = gw.db.collection('agents');
    const original = await agents.findOne({ _id: f.agents.writer });
    await agents.updateOne({ _id: f.agents.writer }, { $set: { toolIds: [f.tools.globexTool, f.tools.builtinSearch], modelId: f.models.globexModel } });
    try {
      const { body } = await gw.graphql(`query($id: ObjectId!) { session(_id: $id) { agents { name model { name } tools { name } } tools { name } models { name } } }`,
        { id: f.sessions.teamCrew.toHexString() }, gw.tokenFor('member'));
      const writer = body.data.session.agents.find((a: { name: string }) => a.name === 'Writer');
      expect(writer).toEqual({ name: 'Writer', model: null, tools: [{ name: 'Search Wikipedia' }] });
      expect(JSON.stringify(body)).not.toMatch(/Globex/);
    } finally {
      await agents.updateOne({ _id: f.agents.writer }, { $set: { toolIds: original!.toolIds, modelId: original!.modelId } });
    }
  });
});

describe('batching', () => {
  const pageQuery = `query($team: ObjectId!, $first: Int!, $app: ObjectId) { sessions(teamId: $team, first: $first, appId: $app) {
    edges { node { ${FULL_GRAPH} } } } }`;
  const ONE_READ_PER_COLLECTION = {
    'find accounts': 1, 'find sessions': 1, 'find apps': 1, 'find crews': 1, 'find tasks': 1, 'find agents': 1,
    'find tools': 1, 'find variables': 1, 'find datasources': 1, 'find models': 1,
  };

  beforeAll(async () => {
    // 60 more runs of the blog-writer crew app, so that a page of 50 sessions of one app exists
    const f = gw.fixtures;
    const template = await gw.db.collection('sessions').findOne({ _id: f.sessions.teamCrew });
    const { ObjectId } = await import('mongodb');
    await gw.db.collection('sessions').insertMany(Array.from({ length: 60 }, (_, i) => ({ ...template, _id: new ObjectId(), name: `Extra run ${i}` })));
  });

  it('reads each collection once for one session with its full graph', async () => {
    const { result, byName } = await gw.countCommands(() => gw.graphql(`query($id: ObjectId!) { session(_id: $id) { ${FULL_GRAPH} } }`,
      { id: gw.fixtures.sessions.teamCrew.toHexString() }, gw.tokenFor('member')));
    expect(result.body.data.session.tasks).toHaveLength(3);
    expect(byName).toEqual(ONE_READ_PER_COLLECTION);
  });

  it('costs the same commands for 50 sessions with their full graphs as for one', async () => {
    const vars = { team: gw.fixtures.teams.acmeMain.toHexString(), app: gw.fixtures.apps.crewApp.toHexString() };
    const token = gw.tokenFor('member');
    const one = await gw.countCommands(() => gw.graphql(pageQuery, { ...vars, first: 1 }, token));
    const fifty = await gw.countCommands(() => gw.graphql(pageQuery, { ...vars, first: 50 }, token));
    expect(one.result.body.errors).toBeUndefined();
    expect(fifty.result.body.errors).toBeUndefined();
    expect(fifty.result.body.data.sessions.edges).toHaveLength(50);
    expect(fifty.result.body.data.sessions.edges[49].node.tasks).toHaveLength(3);
    // a member's page also reads the policy's teams and orgs (admin check) and apps (owner mode) once
    const withPolicy = { ...ONE_READ_PER_COLLECTION, 'find teams': 1, 'find orgs': 1, 'find apps': 2 };
    expect(one.byName).toEqual(withPolicy);
    expect(fifty.byName).toEqual(withPolicy);
  });

  it('stays bounded for 100 sessions of every kind of app and sharing mode', async () => {
    const team = gw.fixtures.teams.acmeMain.toHexString();
    const twenty = await gw.countCommands(() => gw.graphql(pageQuery, { team, first: 20 }, gw.tokenFor('owner')));
    const hundred = await gw.countCommands(() => gw.graphql(pageQuery, { team, first: 100 }, gw.tokenFor('owner')));
    expect(hundred.result.body.data.sessions.edges).toHaveLength(100);
    // errors can only be the seeded session whose sharing mode is outside the enum (null + error)
    for (const error of hundred.result.body.errors ?? []) expect(error.path!.slice(-2)).toEqual(['sharingConfig', 'mode']);
    // Besides the graph's rounds, the policy may read teams and orgs (admin checks) and apps (owner
    // mode) once, and tasks' agents or context outside their crew cost one more round each.
    for (const result of [twenty, hundred]) {
      expect(Object.keys(result.byName).every((name) => name.startsWith('find '))).toBe(true);
      expect(Math.max(...Object.values(result.byName))).toBeLessThanOrEqual(2);
      expect(result.total).toBeLessThanOrEqual(15);
    }
  });
});

describe('secrets', () => {
  it('appear in no response, whatever is asked', async () => {
    const texts: string[] = [];
    for (const session of Object.values(gw.fixtures.sessions)) {
      const result = await gw.graphql(`query($id: ObjectId!) { viewer { _id name email orgs { name teams { name } } }
        session(_id: $id) { ${FULL_GRAPH} tools { data { name description builtin runtime code requirements parameters } retriever_config } datasources { recordCount { total success failure } } } }`,
        { id: session.toHexString() }, gw.tokenFor('owner'));
      texts.push(result.text);
    }
    const all = texts.join('\n');
    expect(all).toContain('Team crew run'); // the queries did return data
    expect(gw.fixtures.secrets.length).toBeGreaterThan(10);
    for (const secret of gw.fixtures.secrets) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/SECRET-/);
  });

  it('have no field in the schema', async () => {
    const { body } = await gw.graphql('{ __schema { types { name fields { name } } } }');
    const fields = body.data.__schema.types.flatMap((t: { fields: { name: string }[] | null }) => (t.fields ?? []).map((f) => f.name));
    for (const secret of ['config', 'connectionSettings', 'environmentVariables', 'passwordHash', 'token', 'apiJwt', 'oauth']) {
      expect(fields).not.toContain(secret);
    }
  });
});
