/**
 * The data layer (CONTRACT §3.4, §3.5, §5): a query reads only the collections its selection reaches,
 * one `find` per collection however many sessions; lists are filtered by the database; and one
 * malformed document fails only itself.
 */
import { ObjectId, type Document } from 'mongodb';
import { startTestGateway, type TestGateway } from './support/gateway';
import { FULL_GRAPH } from './support/queries';
import { createDeclaredIndexes } from '../src/db/indexes';
import { connectDatabase } from '../src/db/connect';

const FULL = {
  'find accounts': 1, 'find sessions': 1, 'find apps': 1, 'find crews': 1, 'find tasks': 1, 'find agents': 1,
  'find tools': 1, 'find variables': 1, 'find datasources': 1, 'find models': 1,
};
/** A member's list query also reads teams and orgs (the admin check) and the apps they created (owner mode). */
const MEMBER_LIST_POLICY = { 'find teams': 1, 'find orgs': 1, 'find apps': 1 };
const plus = (...counts: Array<Record<string, number>>) => {
  const total: Record<string, number> = {};
  for (const count of counts) for (const [name, n] of Object.entries(count)) total[name] = (total[name] ?? 0) + n;
  return total;
};

describe('commands per query follow the selection', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // pages of 100 full graphs cost more than the default limit (20,000 documents): raised here
    gw = await startTestGateway({ scale: 20, limits: { maxCost: 100_000 } });
    // 60 more runs of the blog-writer crew app, so that pages of 50 and 100 exist
    const template = await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.teamCrew });
    await gw.db.collection('sessions').insertMany(Array.from({ length: 60 }, (_, i) => ({ ...template, _id: new ObjectId(), name: `Extra run ${i}` })));
  });
  afterAll(() => gw.stop());

  const session = () => gw.fixtures.sessions.teamCrew.toHexString();
  const team = () => gw.fixtures.teams.acmeMain.toHexString();
  const base = { 'find accounts': 1, 'find sessions': 1 };

  const table: Array<[string, () => string, Record<string, number>]> = [
    ['session { name }', () => `{ session(_id: "${session()}") { name } }`, base],
    ['session { name app { name } }', () => `{ session(_id: "${session()}") { name app { name } } }`, plus(base, { 'find apps': 1 })],
    ['session { app { crew } }', () => `{ session(_id: "${session()}") { app { crew { name } } } }`, plus(base, { 'find apps': 1, 'find crews': 1 })],
    ['session { tasks }', () => `{ session(_id: "${session()}") { tasks { name } } }`, plus(base, { 'find apps': 1, 'find crews': 1, 'find tasks': 1 })],
    ['session { agents }', () => `{ session(_id: "${session()}") { agents { name } } }`, plus(base, { 'find apps': 1, 'find crews': 1, 'find agents': 1 })],
    ['session { agents { model } }', () => `{ session(_id: "${session()}") { agents { model { name } functionModel { name } } } }`,
      plus(base, { 'find apps': 1, 'find crews': 1, 'find agents': 1, 'find models': 1 })],
    ['session { tools }', () => `{ session(_id: "${session()}") { tools { name } } }`,
      plus(base, { 'find apps': 1, 'find crews': 1, 'find tasks': 1, 'find agents': 1, 'find tools': 1 })],
    ['session { models }', () => `{ session(_id: "${session()}") { models { name } } }`,
      plus(base, { 'find apps': 1, 'find crews': 1, 'find tasks': 1, 'find agents': 1, 'find tools': 1, 'find datasources': 1, 'find models': 1 })],
    ['a fragment with kick-off variables', () => `fragment A on Session { app { name kickOffVariables { name } } }
      query { session(_id: "${session()}") { ...A } }`, plus(base, { 'find apps': 1, 'find variables': 1 })],
    ['two aliased sessions, one with its app', () => `{ a: session(_id: "${session()}") { name }
      b: session(_id: "${gw.fixtures.sessions.publicChat.toHexString()}") { app { name } } }`, plus(base, { 'find apps': 1 })],
    ['the full graph of one session', () => `{ session(_id: "${session()}") { ${FULL_GRAPH} } }`, FULL],
    ['the full graph twice, through fragments and aliases', () => `fragment F on Session { ${FULL_GRAPH} }
      query { x: session(_id: "${session()}") { ...F } y: session(_id: "${session()}") { ... on Session { ...F } } }`, FULL],
    ['the list view of 50 sessions', () => `{ sessions(teamId: "${team()}", first: 50) { edges { node { name app { name } } } } }`,
      plus(base, MEMBER_LIST_POLICY, { 'find apps': 1 })],
    ['a page of names only', () => `{ sessions(teamId: "${team()}", first: 20) { nodes { _id name status } pageInfo { hasNextPage } } }`,
      plus(base, MEMBER_LIST_POLICY)],
    ['the full graph of 50 sessions of one app', () => `{ sessions(teamId: "${team()}", first: 50, appId: "${gw.fixtures.apps.crewApp.toHexString()}") { nodes { ${FULL_GRAPH} } } }`,
      plus(FULL, MEMBER_LIST_POLICY)],
    ['a stage field left out by @include reads nothing below the session', () => `{ session(_id: "${session()}") { name tools @include(if: false) { name } } }`, base],
    ['a page whose stage field is skipped reads nothing below its sessions', () => `{ sessions(teamId: "${team()}", first: 20) { nodes { name tools @skip(if: true) { name } } } }`,
      plus(base, MEMBER_LIST_POLICY)],
    ['a page asked for as nodes and as edges, each with its own fields, reads each collection once', () => `{ sessions(teamId: "${team()}", first: 20) {
      nodes { app { name } } edges { node { tools { name } } } } }`,
      plus(base, MEMBER_LIST_POLICY, { 'find apps': 1, 'find crews': 1, 'find tasks': 1, 'find agents': 1, 'find tools': 1 })],
    ['viewer', () => '{ viewer { name orgs { name } } }', { 'find accounts': 1 }],
  ];

  it.each(table)('%s', async (_name, query, expected) => {
    const { result, byName } = await gw.countCommands(() => gw.graphql(query(), {}, gw.tokenFor('member')));
    expect(result.body.errors).toBeUndefined();
    expect(byName).toEqual(expected);
  });

  it('the full graph of 100 sessions of every kind stays at one read per collection plus the policy’s', async () => {
    const query = `{ sessions(teamId: "${team()}", first: 100) { nodes { ${FULL_GRAPH} } } }`;
    // the owner of the team is its admin: the policy reads the team only, and no filter applies
    const { result, byName } = await gw.countCommands(() => gw.graphql(query, {}, gw.tokenFor('owner')));
    expect(result.body.data.sessions.nodes).toHaveLength(100);
    expect(byName).toEqual({ ...FULL, 'find teams': 1 });
    for (const error of result.body.errors ?? []) expect(error.extensions?.code).toBe('INVALID_STORED_DATA');
  });

  it('is the same on every run (batching does not depend on timing)', async () => {
    const query = `{ sessions(teamId: "${team()}", first: 50) { nodes { ${FULL_GRAPH} } } }`;
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push((await gw.countCommands(() => gw.graphql(query, {}, gw.tokenFor('member')))).byName);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('REST reads one find per collection, as before', async () => {
    const { result, total } = await gw.countCommands(() => gw.get(`/${team()}/session/${session()}.json`, { authorization: `Bearer ${gw.tokenFor('member')}` }));
    expect(result.status).toBe(200);
    expect(total).toBe(10);
  });
});

describe('lists are filtered by the database', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.stop());

  const pageQuery = (first: number, team: ObjectId) => `{ sessions(teamId: "${team.toHexString()}", first: ${first}) { nodes { _id } pageInfo { hasNextPage endCursor } } }`;

  it('a page costs the same commands with 5,000 unreadable sessions in the team as with none', async () => {
    const f = gw.fixtures;
    const token = gw.tokenFor('member');
    const before = { one: await gw.countCommands(() => gw.graphql(pageQuery(1, f.teams.acmeMain), {}, token)), twenty: await gw.countCommands(() => gw.graphql(pageQuery(20, f.teams.acmeMain), {}, token)) };
    const readableBefore = before.twenty.result.body.data.sessions.nodes.map((n: { _id: string }) => n._id);
    const hidden: Document[] = Array.from({ length: 5000 }, (_, i) => ({
      _id: new ObjectId(), orgId: f.orgs.acme, teamId: f.teams.acmeMain, name: `Hidden ${i}`, status: 'running',
      appId: f.apps.crewApp,
      // restricted to somebody else, or owner mode on an app the member did not create
      sharingConfig: i % 2 ? { mode: 'restricted', permissions: { [f.accounts.sharedWith.toHexString()]: 'view' } } : { mode: 'owner', permissions: {} },
    }));
    await gw.db.collection('sessions').insertMany(hidden);
    try {
      const after = { one: await gw.countCommands(() => gw.graphql(pageQuery(1, f.teams.acmeMain), {}, token)), twenty: await gw.countCommands(() => gw.graphql(pageQuery(20, f.teams.acmeMain), {}, token)) };
      expect(after.one.byName).toEqual(before.one.byName);
      expect(after.twenty.byName).toEqual(before.twenty.byName);
      expect(after.twenty.byName).toEqual({ 'find accounts': 1, 'find sessions': 1, ...MEMBER_LIST_POLICY });
      // the newest sessions are hidden ones, and none of them is listed
      expect(after.twenty.result.body.data.sessions.nodes.map((n: { _id: string }) => n._id)).toEqual(readableBefore);
    } finally {
      await gw.db.collection('sessions').deleteMany({ _id: { $in: hidden.map((doc) => doc._id) } });
    }
  });

  it('paging through 1,000 readable sessions among unreadable ones returns each exactly once, newest first', async () => {
    const f = gw.fixtures;
    const docs: Document[] = Array.from({ length: 1300 }, (_, i) => ({
      _id: new ObjectId(), orgId: f.orgs.acme, teamId: f.teams.acmeLabs, name: `Labs ${i}`, status: 'started', appId: f.apps.crewApp,
      sharingConfig: i % 13 === 0 || i % 13 === 5 || i % 13 === 9 ? { mode: 'restricted', permissions: {} } : { mode: i % 2 ? 'team' : 'public', permissions: {} },
    }));
    const readable = docs.filter((doc) => doc.sharingConfig.mode !== 'restricted').map((doc) => doc._id.toHexString());
    expect(readable).toHaveLength(1000);
    await gw.db.collection('sessions').insertMany(docs);
    try {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 20; page++) {
        const { body } = await gw.graphql(`query($team: ObjectId!, $after: String) { sessions(teamId: $team, first: 97, after: $after) { nodes { _id } pageInfo { hasNextPage endCursor } } }`,
          { team: f.teams.acmeLabs.toHexString(), after }, gw.tokenFor('labsMember'));
        expect(body.errors).toBeUndefined();
        seen.push(...body.data.sessions.nodes.map((n: { _id: string }) => n._id));
        if (!body.data.sessions.pageInfo.hasNextPage) break;
        after = body.data.sessions.pageInfo.endCursor;
      }
      expect(seen).toEqual([...readable].sort().reverse());
    } finally {
      await gw.db.collection('sessions').deleteMany({ teamId: f.teams.acmeLabs });
    }
  });

  it('first: 0 answers whether sessions follow, and its cursors stay where the page was asked', async () => {
    const team = gw.fixtures.teams.acmeMain.toHexString();
    const token = gw.tokenFor('member');
    const top = await gw.graphql(`{ sessions(teamId: "${team}", first: 0) { nodes { _id } pageInfo { hasNextPage startCursor endCursor } } }`, {}, token);
    expect(top.body.data.sessions).toEqual({ nodes: [], pageInfo: { hasNextPage: true, startCursor: null, endCursor: null } });
    const first = await gw.graphql(`{ sessions(teamId: "${team}", first: 1) { pageInfo { endCursor } } }`, {}, token);
    const cursor = first.body.data.sessions.pageInfo.endCursor;
    const zero = await gw.graphql(`query($c: String) { sessions(teamId: "${team}", first: 0, after: $c) { nodes { _id } pageInfo { hasNextPage endCursor } } }`, { c: cursor }, token);
    expect(zero.body.data.sessions).toEqual({ nodes: [], pageInfo: { hasNextPage: true, endCursor: cursor } });
  });
});

describe('one malformed document fails only itself', () => {
  let gw: TestGateway;
  const ids = {
    badStatus: new ObjectId(), badTokens: new ObjectId(), noTeam: new ObjectId(), stringSharing: new ObjectId(),
    badKickOff: new ObjectId(), badCrewList: new ObjectId(), weirdApp: new ObjectId(), badToolIds: new ObjectId(),
  };
  const apps = { badKickOff: new ObjectId(), badCrewList: new ObjectId(), weird: new ObjectId() };
  const crews = { badList: new ObjectId() };
  const agents = { badToolIds: new ObjectId() };

  beforeAll(async () => {
    gw = await startTestGateway({ limits: { maxCost: 100_000 } });
    const f = gw.fixtures;
    const tenant = { orgId: f.orgs.acme, teamId: f.teams.acmeMain };
    const template = (await gw.db.collection('sessions').findOne({ _id: f.sessions.teamCrew }))!;
    const session = (id: ObjectId, fields: Document) => ({ ...template, _id: id, name: `Malformed ${id}`, ...fields });
    await gw.db.collection('agents').insertMany([{ _id: agents.badToolIds, ...tenant, name: 'Odd agent', toolIds: { not: 'a list' }, modelId: 5, variableIds: 'x' }]);
    await gw.db.collection('crews').insertMany([{ _id: crews.badList, ...tenant, name: 'Odd crew', tasks: 'not-a-list', agents: [agents.badToolIds], managerModelId: 'nope' }]);
    await gw.db.collection('apps').insertMany([
      { _id: apps.badKickOff, ...tenant, name: 'Kick-off five', type: 'chat', chatAppConfig: { agentId: f.agents.chatAgent }, kickOffVariablesIds: 5 },
      { _id: apps.badCrewList, ...tenant, name: 'Odd crew app', type: 'crew', crewId: crews.badList },
      { _id: apps.weird, ...tenant, name: 'Weird app', type: 'weird', chatAppConfig: 'a string' },
    ]);
    await gw.db.collection('sessions').insertMany([
      session(ids.badStatus, { status: 'bogus', orgId: 42 }),
      session(ids.badTokens, { tokensUsed: 'lots' }),
      session(ids.noTeam, { teamId: undefined }),
      session(ids.stringSharing, { sharingConfig: 'public' }),
      session(ids.badKickOff, { appId: apps.badKickOff }),
      session(ids.badCrewList, { appId: apps.badCrewList }),
      session(ids.weirdApp, { appId: apps.weird }),
      session(ids.badToolIds, { appId: apps.badCrewList, startDate: 'yesterday' }),
    ]);
  });
  afterAll(() => gw.stop());

  it('a page with every kind of malformed document returns every other document intact, with no INTERNAL_SERVER_ERROR', async () => {
    const team = gw.fixtures.teams.acmeMain.toHexString();
    const page = await gw.graphql(`{ sessions(teamId: "${team}", first: 100) { nodes { ${FULL_GRAPH} orgId } } }`, {}, gw.tokenFor('owner'));
    const nodes: Array<Record<string, any>> = page.body.data.sessions.nodes;
    const byId = new Map(nodes.map((node) => [node._id, node]));
    // the session without a team is nobody's; every other one is listed
    expect(byId.has(ids.noTeam.toHexString())).toBe(false);
    for (const [key, id] of Object.entries(ids)) if (key !== 'noTeam') expect(byId.has(id.toHexString())).toBe(true);
    const codes = new Set((page.body.errors ?? []).map((error) => error.extensions?.code));
    expect([...codes]).toEqual(['INVALID_STORED_DATA']);
    const errorPaths = (page.body.errors ?? []).map((error) => JSON.stringify([byId.size, nodes[Number(error.path![2])]._id, ...error.path!.slice(3)]));
    const at = (id: ObjectId, ...path: string[]) => JSON.stringify([byId.size, id.toHexString(), ...path]);
    expect(errorPaths).toEqual(expect.arrayContaining([at(ids.badStatus, 'status'), at(ids.badStatus, 'orgId'), at(ids.badTokens, 'tokensUsed'), at(ids.weirdApp, 'app', 'type'), at(ids.badToolIds, 'startDate'), at(ids.stringSharing, 'sharingConfig')]));
    // the bad fields are null and the rest of those documents is there
    expect(byId.get(ids.badStatus.toHexString())).toMatchObject({ status: null, orgId: null, name: expect.stringMatching(/^Malformed/), app: { name: 'Blog writer' } });
    expect(byId.get(ids.badTokens.toHexString())).toMatchObject({ tokensUsed: null, tasks: [{ name: 'Research' }, { name: 'Draft' }, { name: 'Review' }] });
    expect(byId.get(ids.badKickOff.toHexString())).toMatchObject({ app: { name: 'Kick-off five', kickOffVariables: [], agent: { name: 'Support Bot' } } });
    expect(byId.get(ids.badCrewList.toHexString())).toMatchObject({ app: { crew: { name: 'Odd crew', tasks: [], managerModel: null } }, tasks: [], agents: [{ name: 'Odd agent', model: null, tools: [], variables: [] }] });
    expect(byId.get(ids.weirdApp.toHexString())).toMatchObject({ app: { name: 'Weird app', type: null, crew: null, agent: null }, agents: [] });
    // a sharing config stored as text is not shown (the policy reads it as none: the team's)
    expect(byId.get(ids.stringSharing.toHexString())).toMatchObject({ sharingConfig: null, name: expect.any(String) });
    // every good session came through whole: each is the same as when read on its own
    const good = nodes.filter((node) => !Object.values(ids).some((id) => id.toHexString() === node._id));
    expect(good.length).toBeGreaterThan(5);
    for (const node of good.slice(0, 6)) {
      const alone = await gw.graphql(`{ session(_id: "${node._id}") { ${FULL_GRAPH} orgId } }`, {}, gw.tokenFor('owner'));
      expect(alone.body.data.session).toEqual(node);
    }
  });

  it('a session without a team is unreadable, not an error', async () => {
    const result = await gw.graphql(`{ session(_id: "${ids.noTeam.toHexString()}") { name } }`, {}, gw.tokenFor('owner'));
    expect(result.body).toEqual({ data: { session: null } });
  });

  it('REST answers each malformed session with its stored document, and no 500', async () => {
    const team = gw.fixtures.teams.acmeMain.toHexString();
    const token = gw.tokenFor('owner');
    for (const [key, id] of Object.entries(ids)) {
      const result = await gw.get(`/${team}/session/${id.toHexString()}.json`, { authorization: `Bearer ${token}` });
      expect(result.status).toBe(200);
      const body = JSON.parse(result.text);
      if (key === 'noTeam') expect(body.session).toBeNull();
      else expect(body.session._id).toBe(id.toHexString());
    }
    const crewList = JSON.parse((await gw.get(`/${team}/session/${ids.badCrewList.toHexString()}.json`, { authorization: `Bearer ${token}` })).text);
    expect(crewList.app.crew.name).toBe('Odd crew');
    expect(crewList.agents.map((agent: { name: string }) => agent.name)).toEqual(['Odd agent']);
    expect(crewList.tasks).toEqual([]);
  });
});

describe('npm run indexes', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.stop());

  it('creates the declared indexes, and can run again', async () => {

    const first = await createDeclaredIndexes(gw.db);
    expect(first).toEqual(['sessions.teamId_1__id_-1', 'sessions.teamId_1_appId_1__id_-1', 'sessions.teamId_1_status_1__id_-1', 'apps.teamId_1_createdBy_1', 'chat.sessionId_1__id_1']);
    expect(await createDeclaredIndexes(gw.db)).toEqual(first);
    const names = (await gw.db.collection('sessions').listIndexes().toArray()).map((index) => index.name);
    expect(names).toEqual(expect.arrayContaining(['teamId_1__id_-1', 'teamId_1_status_1__id_-1']));
  });
});

describe('the database connection', () => {
  it('takes the longest REQUEST_TIMEOUT_MS the settings allow with no socket timer longer than Node takes (it cuts one to 1 ms, warning on stderr)', async () => {
    const gw = await startTestGateway({ scale: 0 });
    const database = await connectDatabase(gw.mongo.uri, { requestTimeoutMs: 2 ** 31 - 1 });
    try {
      expect(database.client.options.socketTimeoutMS).toBe(2 ** 31 - 1);
      expect(await database.db.collection('sessions').countDocuments({})).toBeGreaterThan(0);
    } finally {
      await database.close();
      await gw.stop();
    }
  });
});
