/**
 * A malformed document fails only itself (CONTRACT §3.5): each value a field cannot show is null with
 * one INVALID_STORED_DATA error at its path, the rest is answered, and the error names the kind of the
 * stored value, never the value, in the answer and in the log.
 */
import { Writable } from 'node:stream';
import { ObjectId } from 'mongodb';
import { startTestGateway, type TestGateway } from './support/gateway';

const logLines: Array<Record<string, any>> = [];
const capture = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n')) if (line.startsWith('{')) logLines.push(JSON.parse(line));
    done();
  },
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ logStream: capture, logLevel: 'info' });
});
afterAll(() => gw.stop());

const MARK = 'STORED-not-to-be-shown';
/** A BSON value other than a document (a date): shown as its text, as before. */
const WHEN = new Date('2026-01-02T03:04:05Z');

function expectNothingShown(text: string): void {
  expect(text).not.toContain(MARK);
  expect(JSON.stringify(logLines)).not.toContain(MARK);
}

const errorsAt = (errors: Array<{ path?: string[]; extensions?: Record<string, any> }> | undefined) =>
  Object.fromEntries((errors ?? []).map((error) => [error.path!.join('.'), error.extensions!.code]));

describe('a session whose stored values its fields cannot show', () => {
  const sessionId = new ObjectId();
  const appId = new ObjectId();
  beforeAll(async () => {
    const session = await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.publicChat });
    const app = await gw.db.collection('apps').findOne({ _id: session!.appId });
    await gw.db.collection('apps').insertOne({
      ...app, _id: appId, name: 'Malformed app', tags: ['first', null], type: { kind: MARK }, chatAppConfig: { conversationStarters: MARK, maxMessages: MARK },
    });
    await gw.db.collection('sessions').insertOne({
      ...session, _id: sessionId, appId, name: { nested: MARK }, status: MARK, variables: { text: 'plain', count: 5, flag: true, nested: { secret: MARK }, when: WHEN },
    });
  });
  afterAll(async () => {
    await gw.db.collection('sessions').deleteMany({ _id: sessionId });
    await gw.db.collection('apps').deleteMany({ _id: appId });
  });

  it('answers every other field, each unshowable value null with INVALID_STORED_DATA at its path, naming its kind only', async () => {
    logLines.length = 0;
    const { status, body, text } = await gw.graphql(
      `query($id: ObjectId!) { session(_id: $id) {
        _id name status variables { name value }
        app { name tags type chatAppConfig { conversationStarters maxMessages } }
      } }`,
      { id: sessionId.toHexString() }, gw.tokenFor('member'));
    expect(status).toBe(200);
    expect(body.data.session).toEqual({
      _id: sessionId.toHexString(), name: null, status: null,
      variables: [{ name: 'text', value: 'plain' }, { name: 'count', value: '5' }, { name: 'flag', value: 'true' }, { name: 'nested', value: null }, { name: 'when', value: String(WHEN) }],
      app: { name: 'Malformed app', tags: null, type: null, chatAppConfig: { conversationStarters: null, maxMessages: null } },
    });
    expect(errorsAt(body.errors)).toEqual({
      'session.name': 'INVALID_STORED_DATA',
      'session.status': 'INVALID_STORED_DATA',
      'session.variables.3.value': 'INVALID_STORED_DATA',
      'session.app.tags': 'INVALID_STORED_DATA',
      'session.app.type': 'INVALID_STORED_DATA',
      'session.app.chatAppConfig.conversationStarters': 'INVALID_STORED_DATA',
      'session.app.chatAppConfig.maxMessages': 'INVALID_STORED_DATA',
    });
    const messages = Object.fromEntries(body.errors!.map((error) => [error.path!.join('.'), error.message]));
    expect(messages['session.name']).toBe('Stored value not shown: String cannot represent a stored object');
    expect(messages['session.status']).toBe('Stored value not shown: SessionStatus cannot represent a stored string');
    expect(messages['session.app.tags']).toBe('Stored value not shown: [String!] cannot represent a stored list with an empty item');
    expect(messages['session.app.chatAppConfig.conversationStarters']).toBe('Stored value not shown: [String!] cannot represent a stored string');
    expectNothingShown(text);
    expect(logLines.filter((line) => line.level >= 50)).toEqual([]);
    // logged once, as the data's fault, with what the answer says
    expect(logLines.filter((line) => line.level === 40)).toEqual([
      expect.objectContaining({ msg: 'stored values that their fields cannot show', count: 7, err: expect.objectContaining({ message: expect.stringMatching(/^Stored value not shown: /) }) }),
    ]);
  });
});

describe('a message time out of a date’s range', () => {
  const messageId = new ObjectId();
  beforeAll(async () => {
    const template = await gw.db.collection('chat').findOne({ sessionId: gw.fixtures.sessions.publicChat });
    await gw.db.collection('chat').insertOne({ ...template, _id: messageId, ts: 1e20 });
  });
  afterAll(() => gw.db.collection('chat').deleteMany({ _id: messageId }));

  it('is INVALID_STORED_DATA naming the number it is, not a date', async () => {
    const { body } = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { messages(first: 100) { nodes { _id ts } } } }', { id: gw.fixtures.sessions.publicChat.toHexString() }, gw.tokenFor('owner'));
    const index = body.data.session.messages.nodes.findIndex((node: { _id: string }) => node._id === messageId.toHexString());
    expect(body.data.session.messages.nodes[index].ts).toBeNull();
    expect(body.errors).toEqual([expect.objectContaining({ path: ['session', 'messages', 'nodes', index, 'ts'], message: 'Stored value not shown: DateTime cannot represent a stored number', extensions: { code: 'INVALID_STORED_DATA' } })]);
  });
});

describe('sharing permissions stored as a list', () => {
  const sessionId = new ObjectId();
  beforeAll(async () => {
    const session = await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.teamCrew });
    await gw.db.collection('sessions').insertOne({ ...session, _id: sessionId, sharingConfig: { mode: 'restricted', permissions: ['x', gw.fixtures.accounts.outsider.toHexString()] } });
  });
  afterAll(() => gw.db.collection('sessions').deleteMany({ _id: sessionId }));

  it('are INVALID_STORED_DATA, not grantees named by the list’s positions; the rest of the session is answered', async () => {
    const { status, body } = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { name sharingConfig { mode permissions { granteeId value } } } }', { id: sessionId.toHexString() }, gw.tokenFor('owner'));
    expect(status).toBe(200);
    expect(body.data.session).toEqual({ name: 'Team crew run', sharingConfig: null });
    expect(errorsAt(body.errors)).toEqual({ 'session.sharingConfig.permissions': 'INVALID_STORED_DATA' });
    // and they grant nothing
    const outsider = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { name } }', { id: sessionId.toHexString() }, gw.tokenFor('outsider'));
    expect(outsider.body.data.session).toBeNull();
  });
});

describe('an account whose memberships hold entries that are not documents', () => {
  const accountId = new ObjectId();
  beforeAll(async () => {
    const member = await gw.db.collection('accounts').findOne({ _id: gw.fixtures.accounts.member });
    const orgs = member!.orgs as Array<Record<string, unknown>>;
    await gw.db.collection('accounts').insertOne({
      ...member, _id: accountId, email: 'malformed@example.com',
      orgs: [null, MARK, ...orgs.map((org) => ({ ...org, teams: [null, 7, ...(org.teams as unknown[])] }))],
    });
  });
  afterAll(() => gw.db.collection('accounts').deleteMany({ _id: accountId }));

  it('is still its caller, with the memberships that are well formed: viewer and a team session read', async () => {
    const token = gw.tokenForId(accountId);
    const viewer = await gw.graphql('{ viewer { email orgs { _id teams { _id } } } }', {}, token);
    expect(viewer.status).toBe(200);
    expect(viewer.body.errors).toBeUndefined();
    const asMember = await gw.graphql('{ viewer { orgs { _id teams { _id } } } }', {}, gw.tokenFor('member'));
    expect(viewer.body.data.viewer).toEqual({ email: 'malformed@example.com', orgs: asMember.body.data.viewer.orgs });

    const session = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { name } }', { id: gw.fixtures.sessions.teamCrew.toHexString() }, token);
    expect(session.body).toEqual({ data: { session: { name: 'Team crew run' } } });
    expectNothingShown(viewer.text + session.text);
  });
});

describe('ids and references stored in another type', () => {
  const f = () => gw.fixtures;
  const token = (account: 'member' | 'appCreator' | 'owner') => gw.tokenFor(account);
  const list = async (account: 'member' | 'appCreator' | 'owner', teamId = f().teams.acmeMain) => {
    const { body } = await gw.graphql(`{ sessions(teamId: "${teamId.toHexString()}", first: 100) { nodes { _id } } }`, {}, token(account));
    expect(body.errors).toBeUndefined();
    return body.data.sessions.nodes.map((node: { _id: string }) => node._id) as string[];
  };

  it('a session whose _id is text or a number is left out of its team’s list, which is answered (it was an internal error)', async () => {
    const template = (await gw.db.collection('sessions').findOne({ _id: f().sessions.teamCrew }))!;
    const before = await list('member');
    await gw.db.collection('sessions').insertMany([{ ...template, _id: 'legacy-session' }, { ...template, _id: 42 }] as never[]);
    try {
      expect(await list('member')).toEqual(before);
      expect(await list('owner')).toEqual(expect.arrayContaining(before));
      const rest = await gw.get(`/${f().teams.acmeMain.toHexString()}/sessions.json`, { authorization: `Bearer ${token('member')}` });
      expect(rest.status).toBe(200);
      expect(rest.text).not.toContain('legacy-session');
    } finally {
      await gw.db.collection('sessions').deleteMany({ _id: { $in: ['legacy-session', 42] } } as never);
    }
  });

  it('an owner-mode session whose appId is the app’s hex is listed for its creator as it is read by id (lowercase and capitals)', async () => {
    const template = (await gw.db.collection('sessions').findOne({ _id: f().sessions.ownerMode }))!;
    const hex = f().apps.crewApp.toHexString();
    const [lower, upper, mixed] = [new ObjectId(), new ObjectId(), new ObjectId()];
    await gw.db.collection('sessions').insertMany([
      { ...template, _id: lower, appId: hex },
      { ...template, _id: upper, appId: hex.toUpperCase() },
      { ...template, _id: mixed, appId: `${hex.slice(0, 12)}${hex.slice(12).toUpperCase()}` },
    ]);
    try {
      const listed = await list('appCreator');
      for (const id of [lower, upper, mixed]) {
        const { body } = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { _id } }', { id: id.toHexString() }, token('appCreator'));
        // one rule in the query and in code: read by id exactly when listed
        expect({ id: id.toHexString(), byId: body.data.session !== null, listed: listed.includes(id.toHexString()) }).toEqual({ id: id.toHexString(), byId: id !== mixed, listed: id !== mixed });
      }
      // a member who did not create the app sees none of them, listed or by id
      const listedForMember = await list('member');
      for (const id of [lower, upper, mixed]) {
        expect(listedForMember).not.toContain(id.toHexString());
        const { body } = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { _id } }', { id: id.toHexString() }, token('member'));
        expect(body).toEqual({ data: { session: null } });
      }
    } finally {
      await gw.db.collection('sessions').deleteMany({ _id: { $in: [lower, upper, mixed] } });
    }
  });

  it('a team whose orgId is stored as its hex: its members are still answered (the admin check was an internal error)', async () => {
    const main = f().teams.acmeMain;
    const team = (await gw.db.collection('teams').findOne({ _id: main }))!;
    await gw.db.collection('teams').updateOne({ _id: main }, { $set: { orgId: (team.orgId as ObjectId).toHexString() } });
    try {
      const { body } = await gw.graphql(`{ sessions(teamId: "${main.toHexString()}", first: 5) { nodes { _id } } }`, {}, gw.tokenFor('member'));
      expect(body.errors).toBeUndefined();
      expect(body.data.sessions.nodes.length).toBeGreaterThan(0);
      const rest = await gw.get(`/${main.toHexString()}/sessions.json`, { authorization: `Bearer ${gw.tokenFor('member')}` });
      expect(rest.status).toBe(200);
    } finally {
      await gw.db.collection('teams').updateOne({ _id: main }, { $set: { orgId: team.orgId } });
    }
  });

  it('an account’s membership entries without an id, or with one of another type, name nothing: viewer is answered without them (it was null)', async () => {
    const accountId = new ObjectId();
    const member = (await gw.db.collection('accounts').findOne({ _id: f().accounts.member }))!;
    const orgs = member.orgs as Array<Record<string, unknown>>;
    await gw.db.collection('accounts').insertOne({
      ...member, _id: accountId, email: 'no-ids@example.com',
      orgs: [{ name: 'no id' }, { id: null, teams: [] }, { id: 'legacy', teams: [] }, ...orgs.map((org) => ({ ...org, teams: [{ name: 'ghost' }, { id: null }, ...['', 0, false, {}, 42, 'legacy'].map((id) => ({ id })), ...(org.teams as unknown[])] }))],
    });
    try {
      const { body } = await gw.graphql('{ viewer { orgs { _id teams { _id } } } }', {}, gw.tokenForId(accountId));
      const asMember = await gw.graphql('{ viewer { orgs { _id teams { _id } } } }', {}, gw.tokenFor('member'));
      expect(body).toEqual(asMember.body);
    } finally {
      await gw.db.collection('accounts').deleteOne({ _id: accountId });
    }
  });
});

describe('a sharing config or mode stored as something else', () => {
  const ids = { text: new ObjectId(), list: new ObjectId(), date: new ObjectId(), modeDocument: new ObjectId(), modeNumber: new ObjectId() };
  beforeAll(async () => {
    const session = await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.teamCrew });
    await gw.db.collection('sessions').insertMany([
      { ...session, _id: ids.text, sharingConfig: 'public' },
      { ...session, _id: ids.list, sharingConfig: [{ mode: 'public' }] },
      { ...session, _id: ids.date, sharingConfig: WHEN },
      { ...session, _id: ids.modeDocument, sharingConfig: { mode: { eq: MARK }, permissions: {} } },
      { ...session, _id: ids.modeNumber, sharingConfig: { mode: 7, permissions: {} } },
    ]);
  });
  afterAll(() => gw.db.collection('sessions').deleteMany({ _id: { $in: Object.values(ids) } }));

  const read = (id: ObjectId) => gw.graphql('query($id: ObjectId!) { session(_id: $id) { name sharingConfig { mode storedMode permissions { granteeId } } } }', { id: id.toHexString() }, gw.tokenFor('owner'));

  it('a config that is no document is INVALID_STORED_DATA (it was shown as an empty TEAM config); the session is answered', async () => {
    for (const [id, kind] of [[ids.text, 'string'], [ids.list, 'list'], [ids.date, 'Date']] as const) {
      const { body, text } = await read(id);
      expect(body.data.session).toEqual({ name: 'Team crew run', sharingConfig: null });
      expect(errorsAt(body.errors)).toEqual({ 'session.sharingConfig': 'INVALID_STORED_DATA' });
      expect(body.errors?.[0].message).toBe(`Stored value not shown: the sharing config is stored as a ${kind}, not a document`);
      expectNothingShown(text);
    }
  });

  it('a mode that is a document is INVALID_STORED_DATA in storedMode (it was null with no error), a number its text; the policy applies TEAM', async () => {
    const document = await read(ids.modeDocument);
    expect(document.body.data.session).toEqual({ name: 'Team crew run', sharingConfig: { mode: 'TEAM', storedMode: null, permissions: [] } });
    expect(errorsAt(document.body.errors)).toEqual({ 'session.sharingConfig.storedMode': 'INVALID_STORED_DATA' });
    expectNothingShown(document.text);
    const number = await read(ids.modeNumber);
    expect(number.body).toEqual({ data: { session: { name: 'Team crew run', sharingConfig: { mode: 'TEAM', storedMode: '7', permissions: [] } } } });
  });
});
