/**
 * The rest of the session resource (CONTRACT §4.1, §5): a session's messages through GraphQL
 * (`Session.messages`, the `Message` type) and the legacy `messages.json` routes, and the legacy
 * `sessions.json` list, on the same loaders and policy as everything else.
 */
import { ObjectId, type Document } from 'mongodb';
import { ContextFactory } from '../src/context/request-context';
import type { SessionDoc } from '../src/data-model/documents';
import { replayPagesWithin } from '../src/loaders/session-messages';
import { generateDemoData } from '../src/seed/generate';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from './support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ scale: 4 });
});
afterAll(() => gw.stop());

const hex = (id: ObjectId) => id.toHexString();
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const team = () => hex(gw.fixtures.teams.acmeMain);
const MESSAGE_FIELDS = '_id id sessionId authorId authorName ts incoming isFeedback chunkId type displayType language tokens completed text';

/** The stored messages of a session, as the driver returns them: the golden body of messages.json. */
async function stored(sessionId: ObjectId, teamId = gw.fixtures.teams.acmeMain): Promise<Document[]> {
  return gw.db.collection('chat').find({ sessionId, teamId }).sort({ _id: 1 }).toArray();
}

describe('Session.messages', () => {
  const read = (session: ObjectId, token: string | null, args = 'first: 20') =>
    gw.graphql(`{ session(_id: "${hex(session)}") { messages(${args}) { edges { cursor node { ${MESSAGE_FIELDS} } } pageInfo { hasNextPage endCursor } } } }`, {}, token);

  it('shows every stored shape as a reader sees it, oldest first', async () => {
    const { body } = await read(gw.fixtures.sessions.teamCrew, gw.tokenFor('member'));
    expect(body.errors).toBeUndefined();
    const nodes = body.data.session.messages.edges.map((edge: { node: Record<string, unknown> }) => edge.node);
    expect(nodes.map((n: { text: string }) => n.text)).toEqual([
      'Write a post about GraphQL for developers.',
      'I found three good sources.',
      'GraphQL lets clients ask for exactly what they need.', // streaming: chunks stored out of order, joined by ts
      'query { session(_id: "…") { name } }',
      'Shall I publish the draft?',
    ]);
    expect(nodes[0]).toMatchObject({ incoming: true, authorName: 'Max Member', authorId: hex(gw.fixtures.accounts.member), type: 'TEXT', displayType: 'BUBBLE', completed: true, ts: gw.fixtures.messages.crewQuestion.getTimestamp().toISOString() });
    expect(nodes[2]).toMatchObject({ incoming: false, authorId: null, completed: false });
    expect(nodes[3]).toMatchObject({ type: 'CODE', displayType: 'INLINE', language: 'graphql' });
    expect(nodes[4]).toMatchObject({ isFeedback: true });
    // the completed streamed reply of the chat session: its overwrite's text, not its pieces
    const chat = await read(gw.fixtures.sessions.publicChat, null);
    expect(chat.body.data.session.messages.edges.map((e: { node: { text: string; completed: boolean } }) => [e.node.text, e.node.completed])).toEqual([
      ['How do I reset my password?', true], ['Open Settings, then Security.', true], ['Anything else I can help with?', true],
    ]);
  });

  it('never shows another team’s message that names the session', async () => {
    const { text } = await read(gw.fixtures.sessions.teamCrew, gw.tokenFor('owner'));
    expect(text).toContain('Shall I publish');
    expect(text).not.toContain('Globex');
  });

  it('pages with first and after, and the same messages in the same order as REST', async () => {
    const session = gw.fixtures.sessions.teamCrew;
    const token = gw.tokenFor('member');
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const { body } = await read(session, token, `first: 2${after ? `, after: "${after}"` : ''}`);
      const connection = body.data.session.messages;
      seen.push(...connection.edges.map((edge: { node: { _id: string } }) => edge.node._id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    const rest = JSON.parse((await gw.get(`/${team()}/session/${hex(session)}/messages.json`, bearer(token))).text) as Array<{ _id: string }>;
    expect(seen).toEqual(rest.map((m) => m._id));
    expect(seen).toHaveLength(5);
    // a session's cursor is no message cursor
    const wrong = await read(session, token, 'first: 2, after: "c2Vzc2lvbjo2NWE0NzViNDAwMDAwMDAwMDAwMDAwMzQ"');
    expect(wrong.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('reads the messages of 50 sessions in one find (one round more for a long conversation among them)', async () => {
    const list = (teamId: ObjectId) => `{ sessions(teamId: "${hex(teamId)}", first: 50) { nodes { _id name messages(first: 3) { nodes { text } } } } }`;
    const { result, byName } = await gw.countCommands(() => gw.graphql(list(gw.fixtures.teams.acmeMain), {}, gw.tokenFor('owner')));
    expect(result.body.data.sessions.nodes.length).toBeGreaterThan(15);
    const crew = result.body.data.sessions.nodes.find((n: { name: string }) => n.name === 'Team crew run');
    expect(crew.messages.nodes).toHaveLength(3);
    // the long conversation fills the first round's limit; the sessions sorted after it get a second
    expect(result.body.data.sessions.nodes.map((n: { _id: string }) => n._id)).toContain(hex(gw.fixtures.longConversation!));
    expect(byName['find chat']).toBe(2);
    for (const node of result.body.data.sessions.nodes) expect(node.messages.nodes.length).toBe(Math.min(3, (await stored(new ObjectId(node._id))).length));
    // without one: a single find
    const labs = await gw.countCommands(() => gw.graphql(list(gw.fixtures.teams.acmeLabs), {}, gw.tokenFor('owner')));
    expect(labs.result.body.data.sessions.nodes.filter((n: { messages: { nodes: unknown[] } }) => n.messages.nodes.length > 0).length).toBeGreaterThan(3);
    expect(labs.byName['find chat']).toBe(1);
  });

  it('many long conversations in one batch cost about two reads beyond what the pages hold, not a read of the batch each (the budget held them to it)', async () => {
    const team = gw.fixtures.teams.acmeMain;
    const template = (await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.teamCrew }))!;
    // eight conversations sorted before every other session, each longer than a batch of first: 0 holds
    const long = Array.from({ length: 8 }, (_, i) => ObjectId.createFromTime(1_000_000 + i));
    const conversations = () => long.flatMap((sessionId) => Array.from({ length: 60 }, (_, i) => ({ _id: new ObjectId(), orgId: gw.fixtures.orgs.acme, teamId: team, sessionId, message: { message: { text: `m${i}` } } })));
    await gw.db.collection('sessions').insertMany(long.map((_id) => ({ ...template, _id })));
    await gw.db.collection('chat').insertMany(conversations());
    try {
      const list = `{ sessions(teamId: "${hex(team)}", first: 100) { nodes { _id messages(first: 0) { pageInfo { hasNextPage } } } } }`;
      const all = await gw.graphql(list, {}, gw.tokenFor('owner'));
      const n = all.body.data.sessions.nodes.length;
      expect(n).toBeGreaterThan(20);
      // each session's page is right
      for (const node of all.body.data.sessions.nodes) expect(node.messages.pageInfo.hasNextPage).toBe((await stored(new ObjectId(node._id))).length > 0);
      // documents: the list (n + 1), the caller and the team, and the pages: about 3n with the bound, 8n without
      const tight = await startTestGateway({ scale: 4, app: { budgets: { maxDocuments: 5 * n + 20 } } });
      try {
        await tight.db.collection('sessions').insertMany(long.map((_id) => ({ ...template, _id })));
        await tight.db.collection('chat').insertMany(conversations());
        const { body } = await tight.graphql(list, {}, tight.tokenFor('owner'));
        expect(body.errors).toBeUndefined();
        expect(body.data.sessions.nodes).toEqual(all.body.data.sessions.nodes);
      } finally {
        await tight.stop();
      }
    } finally {
      await gw.db.collection('sessions').deleteMany({ _id: { $in: long } });
      await gw.db.collection('chat').deleteMany({ sessionId: { $in: long } });
    }
  });

  it('a message naming its session in a list, where a batched read stops, does not end the other sessions\' pages (MongoDB sorts a list by its least element)', async () => {
    const team = gw.fixtures.teams.acmeMain;
    const template = (await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.teamCrew }))!;
    const [x1, x2] = [ObjectId.createFromTime(2_000_000), ObjectId.createFromTime(2_000_001)];
    const doc = (sessionId: unknown, text: string) => ({ _id: new ObjectId(), orgId: gw.fixtures.orgs.acme, teamId: team, sessionId, message: { message: { text } }, completed: true });
    await gw.db.collection('sessions').insertMany([{ ...template, _id: x1 }, { ...template, _id: x2 }]);
    await gw.db.collection('chat').insertMany([doc(x1, 'x1-a'), doc(x1, 'x1-b'), doc(x1, 'x1-c'), doc([x1, x2], 'both'), doc(x2, 'x2-a'), doc(x2, 'x2-b')]);
    try {
      const page = (id: ObjectId) => `session(_id: "${hex(id)}") { messages(first: 1) { nodes { text } pageInfo { hasNextPage } } }`;
      const { body } = await gw.graphql(`{ a: ${page(x1)} b: ${page(x2)} }`, {}, gw.tokenFor('owner'));
      expect(body).toEqual({ data: {
        a: { messages: { nodes: [{ text: 'x1-a' }], pageInfo: { hasNextPage: true } } },
        b: { messages: { nodes: [{ text: 'x2-a' }], pageInfo: { hasNextPage: true } } },
      } });
    } finally {
      await gw.db.collection('sessions').deleteMany({ _id: { $in: [x1, x2] } });
      await gw.db.collection('chat').deleteMany({ 'message.message.text': { $in: ['x1-a', 'x1-b', 'x1-c', 'both', 'x2-a', 'x2-b'] } });
    }
  });

  it('the replays of many long conversations, as many as one batch takes, stay within its document budget (each cost a read of the batch)', async () => {
    const team = gw.fixtures.teams.acmeMain;
    const template = (await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.teamCrew }))!;
    const budget = 400;
    const first = 9;
    const n = replayPagesWithin(budget, first);
    expect(n).toBeGreaterThan(5);
    // n conversations of 30 messages, every one of them in its replay's range (since the start of time)
    const sessions = Array.from({ length: n }, () => ({ ...template, _id: new ObjectId() }) as SessionDoc);
    const messages = sessions.flatMap((session) => Array.from({ length: 30 }, (_, i) => ({ _id: new ObjectId(), orgId: gw.fixtures.orgs.acme, teamId: team, sessionId: session._id, message: { message: { text: `m${i}` } }, completed: true })));
    await gw.db.collection('chat').insertMany(messages);
    try {
      const contexts = new ContextFactory({ db: gw.db, jwtSecret: TEST_JWT_SECRET, requestTimeoutMs: 10_000, maxDocuments: budget });
      const since = new ObjectId('000000000000000000000000');
      const pages = await contexts.loaders().messages.replay(sessions.map((session) => ({ session, since, first })));
      for (const [i, page] of pages.entries()) {
        const stored = messages.filter((m) => m.sessionId.equals(sessions[i]._id)).slice(0, first).map((m) => hex(m._id));
        expect({ i, ids: page.messages.map((m) => hex(m._id)), more: page.more }).toEqual({ i, ids: stored, more: true });
      }
    } finally {
      await gw.db.collection('chat').deleteMany({ sessionId: { $in: sessions.map((s) => s._id) } });
    }
  });

  it('a message is a node, resolved through its session', async () => {
    const { body } = await read(gw.fixtures.sessions.teamCrew, gw.tokenFor('member'));
    const id = body.data.session.messages.edges[2].node.id;
    const node = await gw.graphql('query($id: ID!) { node(id: $id) { ... on Message { text } } }', { id }, gw.tokenFor('member'));
    expect(node.body.data.node).toEqual({ text: 'GraphQL lets clients ask for exactly what they need.' });
    expect((await gw.graphql('query($id: ID!) { node(id: $id) { id } }', { id }, gw.tokenFor('outsider'))).body.data.node).toBeNull();
  });

  describe('stored shapes the seed does not have', () => {
    const f = () => gw.fixtures;
    const written: ObjectId[] = [];
    /** A message of teamCrew as a writer stores it, with `shape` merged over a plain finished one. */
    const write = async (shape: (doc: Document) => Document) => {
      const _id = new ObjectId();
      const doc: Document = {
        _id, orgId: f().orgs.acme, teamId: f().teams.acmeMain, sessionId: f().sessions.teamCrew, authorId: null, authorName: 'Writer', ts: Date.now(), isFeedback: false, chunkId: `c-${hex(_id)}`,
        message: { room: hex(f().sessions.teamCrew), event: 'message', incoming: false, ts: Date.now(), message: { text: `text of ${hex(_id)}`, type: 'text', displayType: 'bubble' } },
      };
      await gw.db.collection('chat').insertOne(shape(doc));
      written.push(_id);
      return hex(_id);
    };
    afterEach(async () => {
      await gw.db.collection('chat').deleteMany({ _id: { $in: written.splice(0) } });
    });
    const readAll = () =>
      gw.graphql('query($id: ObjectId!) { session(_id: $id) { messages(first: 20) { nodes { _id completed text } } } }', { id: hex(f().sessions.teamCrew) }, gw.tokenFor('member'));

    it('completed is the stored flag (`completed` or `message.completed`), false when neither is stored', async () => {
      const none = await write((doc) => doc);
      const top = await write((doc) => ({ ...doc, completed: true }));
      const inner = await write((doc) => ({ ...doc, message: { ...doc.message, completed: true } }));
      const streaming = await write((doc) => ({ ...doc, chunks: [{ ts: 1, chunk: 'still ', tokens: 1 }, { ts: 2, chunk: 'going', tokens: 1 }] }));
      const storedFalse = await write((doc) => ({ ...doc, completed: false }));
      const { body } = await readAll();
      expect(body.errors).toBeUndefined();
      const completed = Object.fromEntries(body.data.session.messages.nodes.map((n: { _id: string; completed: boolean }) => [n._id, n.completed]));
      expect([none, top, inner, streaming, storedFalse].map((id) => completed[id])).toEqual([false, true, true, false, false]);
    });

    it('a text stored as an object or a number, or a piece stored as null, is null with an error at that field, the other messages intact', async () => {
      const object = await write((doc) => ({ ...doc, message: { ...doc.message, message: { ...doc.message.message, text: { toString: 'x' } } } }));
      const number = await write((doc) => ({ ...doc, message: { ...doc.message, message: { ...doc.message.message, text: 42 } } }));
      const emptyPiece = await write((doc) => ({ ...doc, chunks: [{ ts: 1, chunk: 'still ' }, null] }));
      const fine = await write((doc) => doc);
      const { status, body } = await readAll();
      expect(status).toBe(200);
      const nodes: Array<{ _id: string; text: string | null }> = body.data.session.messages.nodes;
      const at = (id: string) => nodes.findIndex((n) => n._id === id);
      expect(nodes[at(object)].text).toBeNull();
      expect(nodes[at(number)].text).toBeNull();
      expect(nodes[at(emptyPiece)].text).toBeNull();
      expect(nodes[at(fine)].text).toBe(`text of ${fine}`);
      expect(nodes.filter((n) => n.text !== null)).toHaveLength(nodes.length - 3);
      expect(body.errors!.map((e) => [e.path, e.extensions?.code])).toEqual([
        [['session', 'messages', 'nodes', at(object), 'text'], 'INVALID_STORED_DATA'],
        [['session', 'messages', 'nodes', at(number), 'text'], 'INVALID_STORED_DATA'],
        [['session', 'messages', 'nodes', at(emptyPiece), 'text'], 'INVALID_STORED_DATA'],
      ]);
    });

    it('a ts, tokens or isFeedback stored as something else is null with one error at that field, its message not repeated', async () => {
      const text = await write((doc) => ({ ...doc, ts: 'notanumber' }));
      const object = await write((doc) => ({ ...doc, ts: { x: 1 } }));
      const tokens = await write((doc) => ({ ...doc, tokens: 'many' }));
      const feedback = await write((doc) => ({ ...doc, isFeedback: 'yes' }));
      const fine = await write((doc) => doc);
      const { status, body } = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { messages(first: 20) { nodes { _id ts tokens isFeedback } } } }', { id: hex(f().sessions.teamCrew) }, gw.tokenFor('member'));
      expect(status).toBe(200);
      const nodes: Array<{ _id: string; ts: string | null; tokens: number | null; isFeedback: boolean | null }> = body.data.session.messages.nodes;
      const at = (id: string) => nodes.findIndex((n) => n._id === id);
      expect([nodes[at(text)].ts, nodes[at(object)].ts, nodes[at(tokens)].tokens, nodes[at(feedback)].isFeedback]).toEqual([null, null, null, null]);
      expect(nodes[at(fine)].ts).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(body.errors!.map((e) => [e.path, e.extensions?.code])).toEqual([
        [['session', 'messages', 'nodes', at(text), 'ts'], 'INVALID_STORED_DATA'],
        [['session', 'messages', 'nodes', at(object), 'ts'], 'INVALID_STORED_DATA'],
        [['session', 'messages', 'nodes', at(tokens), 'tokens'], 'INVALID_STORED_DATA'],
        [['session', 'messages', 'nodes', at(feedback), 'isFeedback'], 'INVALID_STORED_DATA'],
      ]);
      for (const error of body.errors!) expect(error.message).toMatch(/^Stored value not shown: (?!Stored value not shown)/);
    });

    it('messages that are none of the conversation (an _id that is no ObjectId, another team’s naming the session) are skipped in a few reads, in pages of every size', async () => {
      const crew = f().sessions.teamCrew;
      const usableIds = (await stored(crew)).map((doc) => hex(doc._id));
      const [firstId] = await gw.db.collection('chat').find({ sessionId: crew, teamId: f().teams.acmeMain }).sort({ _id: 1 }).limit(1).toArray();
      // another team's messages just after the first, and two whose _id is text (sorted before every ObjectId)
      const globex = [1, 2, 3].map((n) => ({ _id: new ObjectId(`${hex(firstId._id).slice(0, 18)}${'f'.repeat(5)}${n}`), orgId: f().orgs.globex, teamId: f().teams.globexMain, sessionId: crew, message: { message: { text: 'Globex naming it' } } }));
      const texts = ['legacy-1', 'legacy-2'].map((_id) => ({ _id, orgId: f().orgs.acme, teamId: f().teams.acmeMain, sessionId: crew, message: { message: { text: 'an id of text' } } }));
      await gw.db.collection('chat').insertMany([...globex, ...texts] as Document[]);
      try {
        for (const first of [0, 1, 2, 5]) {
          const { result, byName } = await gw.countCommands(() => gw.graphql(`{ session(_id: "${hex(crew)}") { messages(first: ${first}) { nodes { _id } pageInfo { hasNextPage } } } }`, {}, gw.tokenFor('member')));
          expect(result.body.errors).toBeUndefined();
          expect(result.body.data.session.messages).toEqual({ nodes: usableIds.slice(0, first).map((_id) => ({ _id })), pageInfo: { hasNextPage: usableIds.length > first } });
          expect(byName['find chat']).toBeLessThanOrEqual(3);
        }
        // the same beside a session of the other team, in one request (one find for both)
        const both = await gw.countCommands(() => gw.graphql(`{ a: session(_id: "${hex(crew)}") { messages(first: 1) { nodes { _id } } } b: session(_id: "${hex(f().sessions.globexPublic)}") { messages(first: 1) { nodes { _id } } } }`, {}, gw.tokenFor('owner')));
        expect(both.result.body.errors).toBeUndefined();
        expect(both.result.body.data.a.messages.nodes).toEqual([{ _id: usableIds[0] }]);
        expect(both.byName['find chat']).toBeLessThanOrEqual(3);
        // and in messages.json, which reads them all
        const rest = JSON.parse((await gw.get(`/${team()}/session/${hex(crew)}/messages.json`, bearer(gw.tokenFor('member')))).text) as Array<{ _id: string }>;
        expect(rest.map((m) => m._id)).toEqual(usableIds);
      } finally {
        await gw.db.collection('chat').deleteMany({ _id: { $in: [...globex.map((doc) => doc._id), ...texts.map((doc) => doc._id)] } as never });
      }
    });
  });
});

describe('GET /{resourceSlug}/session/{sessionId}/messages.json', () => {
  const path = (session: ObjectId, query = '') => `/${team()}/session/${hex(session)}/messages.json${query}`;

  it('is the bare array of the stored messages, byte for byte, oldest first', async () => {
    const result = await gw.get(path(gw.fixtures.sessions.teamCrew), bearer(gw.tokenFor('member')));
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(result.text).toBe(JSON.stringify(await stored(gw.fixtures.sessions.teamCrew)));
    expect(result.text).not.toContain('Globex');
  });

  it('pages by messageId: after a message, after the last, after an id that is no message of this session', async () => {
    const all = await stored(gw.fixtures.sessions.teamCrew);
    const token = gw.tokenFor('member');
    const after = async (id: string) => JSON.parse((await gw.get(path(gw.fixtures.sessions.teamCrew, `?messageId=${id}`), bearer(token))).text).map((m: { _id: string }) => m._id);
    expect(await after(hex(all[1]._id))).toEqual(all.slice(2).map((m) => hex(m._id)));
    expect(await after(hex(all[all.length - 1]._id))).toEqual([]);
    expect(await after(hex(gw.fixtures.messages.globexOwn))).toEqual([]); // newer than all of them
    expect(await after('000000000000000000000000')).toEqual(all.map((m) => hex(m._id)));
    for (const bad of [hex(all[0]._id).toUpperCase(), 'null', 'abc']) {
      const result = await gw.get(path(gw.fixtures.sessions.teamCrew, `?messageId=${bad}`), bearer(token));
      expect(result.status).toBe(400);
      expect(JSON.parse(result.text)).toEqual({ message: 'Invalid messageId: expected 24 lowercase hex characters', code: 400 });
    }
  });

  it('answers every caller as the session route does', async () => {
    const f = gw.fixtures;
    expect((await gw.get(path(f.sessions.teamCrew))).status).toBe(401);
    expect((await gw.get(path(f.sessions.teamCrew), bearer('bad'))).status).toBe(401);
    const outsider = await gw.get(path(f.sessions.teamCrew), bearer(gw.tokenFor('outsider')));
    expect(outsider.status).toBe(403);
    expect(JSON.parse(outsider.text)).toEqual({ message: 'Invalid permissions on the resourceSlug', code: 403 });
    expect((await gw.get(path(f.sessions.teamCrew), bearer(gw.tokenFor('orgAdmin')))).status).toBe(403); // admin, not a member
    expect((await gw.get(path(f.sessions.ownerMode), bearer(gw.tokenFor('member')))).status).toBe(403); // the sharing mode denies
    // a session of another team, and a missing one: []
    for (const id of [f.sessions.globexSession, new ObjectId()]) {
      const result = await gw.get(path(id), bearer(gw.tokenFor('member')));
      expect({ status: result.status, text: result.text }).toEqual({ status: 200, text: '[]' });
    }
  });

  it('every sharing mode and caller kind: the stored messages byte for byte where session.json answers 200, its error body byte for byte where it does not', async () => {
    const f = gw.fixtures;
    const acmeSessions = (Object.keys(f.sessions) as Array<keyof typeof f.sessions>).filter((key) => !key.startsWith('globex'));
    // one message in each named session that has none, so that every 200 has a body to compare
    const template = (await gw.db.collection('chat').findOne({ _id: f.messages.crewAnswer }))!;
    const added = acmeSessions.filter((key) => key !== 'teamCrew' && key !== 'publicChat')
      .map((key) => ({ ...template, _id: new ObjectId(), sessionId: f.sessions[key], chunkId: `mode-${key}`, authorName: `Agent of ${key}` }));
    await gw.db.collection('chat').insertMany(added);
    try {
      const callers = ['owner', 'teamAdmin', 'orgAdmin', 'member', 'labsMember', 'outsider', 'root', 'appCreator', 'sharedWith'] as const;
      const seen = new Set<number>();
      for (const key of acmeSessions) {
        for (const caller of [...callers, null]) {
          const headers = caller ? bearer(gw.tokenFor(caller)) : {};
          const session = await gw.get(`/${team()}/session/${hex(f.sessions[key])}.json`, headers);
          const messages = await gw.get(path(f.sessions[key]), headers);
          const label = `${key} as ${caller ?? 'anonymous'}`;
          seen.add(session.status);
          expect({ label, status: messages.status }).toEqual({ label, status: session.status });
          expect(messages.headers.get('content-type')).toBe('application/json; charset=utf-8');
          const expected = session.status === 200 ? JSON.stringify(await stored(f.sessions[key])) : session.text;
          expect({ label, body: messages.text }).toEqual({ label, body: expected });
        }
        // the share twins: as the session's share route answers (public sessions, 404 for the rest)
        const sharedSession = await gw.get(`/s/${team()}/session/${hex(f.sessions[key])}.json`);
        const shared = await gw.get(`/s/${team()}/session/${hex(f.sessions[key])}/messages.json`);
        expect({ key, status: shared.status }).toEqual({ key, status: sharedSession.status });
        expect({ key, body: shared.text }).toEqual({ key, body: sharedSession.status === 200 ? JSON.stringify(await stored(f.sessions[key])) : sharedSession.text });
        seen.add(shared.status);
      }
      expect([...seen].sort()).toEqual([200, 401, 403, 404]); // the matrix reaches each answer
    } finally {
      await gw.db.collection('chat').deleteMany({ _id: { $in: added.map((m) => m._id) } });
    }
  });

  it('has the ETag, 304 and HEAD of the session route', async () => {
    const token = gw.tokenFor('member');
    const first = await fetch(`${gw.url}${path(gw.fixtures.sessions.teamCrew)}`, { headers: bearer(token) });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    expect((await fetch(`${gw.url}${path(gw.fixtures.sessions.teamCrew)}`, { headers: { ...bearer(token), 'if-none-match': etag } })).status).toBe(304);
    const head = await fetch(`${gw.url}${path(gw.fixtures.sessions.teamCrew)}`, { method: 'HEAD', headers: bearer(token) });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('a long conversation: read in batches and written as it was read, byte for byte; past the response budget, 400', async () => {
    const f = gw.fixtures;
    const template = (await gw.db.collection('chat').findOne({ _id: f.messages.crewAnswer }))!;
    const session = new ObjectId();
    const sessionTemplate = (await gw.db.collection('sessions').findOne({ _id: f.sessions.teamCrew }))!;
    await gw.db.collection('sessions').insertMany([{ ...sessionTemplate, _id: session, name: 'Long talk' }]);
    const messages = Array.from({ length: 2500 }, (_, i) => ({ ...template, _id: new ObjectId(), sessionId: session, chunkId: `long-${i}` }));
    await gw.db.collection('chat').insertMany(messages);
    try {
      const { result, byName } = await gw.countCommands(() => gw.get(path(session), bearer(gw.tokenFor('member'))));
      expect(result.status).toBe(200);
      expect(result.text).toBe(JSON.stringify(await stored(session)));
      expect(Number(result.headers.get('content-length'))).toBe(Buffer.byteLength(result.text));
      expect(byName['find chat']).toBe(1);
      // batches of 1,000: the find, then getMores (named by their cursor id in the log)
      const getMores = Object.entries(byName).filter(([name]) => name.startsWith('getMore')).reduce((sum, [, n]) => sum + n, 0);
      expect(getMores).toBeGreaterThanOrEqual(2);
      const tight = await startTestGateway({ app: { budgets: { maxResponseBytes: 50_000, maxDocuments: 20_000 } } });
      try {
        await tight.db.collection('sessions').insertMany([{ ...sessionTemplate, _id: session }]);
        await tight.db.collection('chat').insertMany(messages);
        const refused = await tight.get(`/${team()}/session/${hex(session)}/messages.json`, bearer(tight.tokenFor('member')));
        expect(refused.status).toBe(400);
        expect(JSON.parse(refused.text)).toEqual({ message: expect.stringMatching(/MAX_RESPONSE_BYTES/), code: 400 });
      } finally {
        await tight.stop();
      }
    } finally {
      await gw.db.collection('chat').deleteMany({ sessionId: session });
      await gw.db.collection('sessions').deleteMany({ _id: session });
    }
  });

  it('the share route: public sessions only, without credentials; 404 otherwise', async () => {
    const f = gw.fixtures;
    const share = (session: ObjectId) => `/s/${team()}/session/${hex(session)}/messages.json`;
    const result = await gw.get(share(f.sessions.publicChat));
    expect(result.status).toBe(200);
    expect(result.text).toBe(JSON.stringify(await stored(f.sessions.publicChat)));
    for (const id of [f.sessions.teamCrew, new ObjectId()]) {
      const denied = await gw.get(share(id), bearer(gw.tokenFor('owner'))); // a valid token changes nothing
      expect(denied.status).toBe(404);
    }
    expect((await gw.get(share(f.sessions.publicChat), bearer('bad'))).status).toBe(401);
    expect((await gw.get(`/s/${team()}/session/ZZ/messages.json`)).status).toBe(400);
  });
});

describe('the seed generator’s messages', () => {
  it('scale them: two in every generated session, and a long conversation of 30 × scale in the first', async () => {
    expect(generateDemoData().fixtures.longConversation).toBeNull();
    const small = generateDemoData({ scale: 2, conversation: 7 });
    const named = generateDemoData().collections.chat.length;
    const generatedSessions = small.collections.sessions.length - generateDemoData().collections.sessions.length;
    expect(small.collections.chat.length).toBe(named + 2 * generatedSessions + 7);
    const long = small.collections.chat.filter((m) => String(m.sessionId) === String(small.fixtures.longConversation));
    expect(long).toHaveLength(9);
  });

  it('the long conversation reads through GraphQL and REST alike (scale 4: 122 messages)', async () => {
    const session = gw.fixtures.longConversation!;
    const token = gw.tokenFor('owner');
    const page = async (after: string | null) => (await gw.graphql(`query($id: ObjectId!, $after: String) { session(_id: $id) { messages(first: 100, after: $after) { nodes { _id } pageInfo { hasNextPage endCursor } } } }`, { id: hex(session), after }, token)).body.data.session.messages;
    const first = await page(null);
    const second = await page(first.pageInfo.endCursor);
    expect([first.nodes.length, first.pageInfo.hasNextPage, second.nodes.length, second.pageInfo.hasNextPage]).toEqual([100, true, 22, false]);
    const rest = JSON.parse((await gw.get(`/${team()}/session/${hex(session)}/messages.json`, bearer(token))).text).map((m: { _id: string }) => m._id);
    expect(rest).toEqual([...first.nodes, ...second.nodes].map((n: { _id: string }) => n._id));
  });
});

describe('GET /{resourceSlug}/sessions.json', () => {
  const list = (token: string | null, query = '') => gw.get(`/${team()}/sessions.json${query}`, token ? bearer(token) : {});

  it('the 10 newest sessions the caller may read, each followed by its app (and its crew), newest first', async () => {
    const result = await list(gw.tokenFor('member'));
    expect(result.status).toBe(200);
    const body = JSON.parse(result.text);
    expect(Object.keys(body)).toEqual(['csrf', 'sessions']);
    expect(body.csrf).toMatch(/^[0-9A-Za-z]{8}-[A-Za-z0-9_-]{27}$/);
    expect(body.sessions).toHaveLength(10);
    const ids = body.sessions.map((s: { _id: string }) => s._id);
    expect(ids).toEqual([...ids].sort().reverse());
    // stored documents in stored order, `app` appended; a crew app's crew (when it exists) appended to it
    const seen = { apps: 0, crews: 0 };
    for (const session of body.sessions) {
      const storedSession = await gw.db.collection('sessions').findOne({ _id: new ObjectId(session._id) });
      const { app, ...rest } = session;
      expect(JSON.stringify(rest)).toBe(JSON.stringify(storedSession));
      if (app) {
        seen.apps += 1;
        const storedApp = await gw.db.collection('apps').findOne({ _id: new ObjectId(app._id) });
        const { crew, ...appRest } = app;
        expect(JSON.stringify(appRest)).toBe(JSON.stringify(storedApp));
        const storedCrew = storedApp!.type === 'crew' ? await gw.db.collection('crews').findOne({ _id: storedApp!.crewId, teamId: gw.fixtures.teams.acmeMain }) : null;
        expect({ app: app._id, crew: crew === undefined ? null : JSON.stringify(crew) }).toEqual({ app: app._id, crew: storedCrew ? JSON.stringify(storedCrew) : null });
        if (crew !== undefined) seen.crews += 1;
      } else {
        expect(await gw.db.collection('apps').countDocuments({ _id: storedSession!.appId, teamId: gw.fixtures.teams.acmeMain })).toBe(0);
      }
    }
    // the page shows both: apps, and crews appended to them
    expect(seen.apps).toBeGreaterThan(0);
    expect(seen.crews).toBeGreaterThan(0);
  });

  it('a stored field named app (or crew) gives way to the app (its crew), appended last, or to no such key when it is missing', async () => {
    const { _id: _template, ...template } = (await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.teamCrew }))!;
    const [withApp, withoutApp, crewless] = [new ObjectId(), new ObjectId(), new ObjectId()];
    // a crew app whose crew is missing, with a stored `crew` of its own
    const { _id: _app, ...app } = (await gw.db.collection('apps').findOne({ _id: template.appId }))!;
    const crewlessApp = new ObjectId();
    await gw.db.collection('apps').insertOne({ _id: crewlessApp, crew: { fake: 'stored crew' }, ...app, crewId: new ObjectId() });
    // the stored `app` first, before the session's own fields
    await gw.db.collection('sessions').insertMany([
      { _id: withApp, app: 'stored', ...template },
      { _id: withoutApp, app: 'stored', ...template, appId: new ObjectId() },
      { _id: crewless, ...template, appId: crewlessApp },
    ]);
    try {
      const sessions: Array<Record<string, unknown>> = JSON.parse((await list(gw.tokenFor('owner'))).text).sessions;
      const [first, second, third] = [withoutApp, withApp, crewless].map((id) => sessions.find((s) => s._id === hex(id))!);
      expect(Object.keys(first)).not.toContain('app');
      expect(Object.keys(second).at(-1)).toBe('app');
      expect((second.app as { _id: string })._id).toBe(hex(template.appId));
      expect(Object.keys(third.app as object)).not.toContain('crew');
      const body = JSON.parse((await gw.get(`/${team()}/session/${hex(crewless)}.json`, bearer(gw.tokenFor('owner')))).text);
      expect(Object.keys(body.app)).not.toContain('crew');
    } finally {
      await gw.db.collection('sessions').deleteMany({ _id: { $in: [withApp, withoutApp, crewless] } });
      await gw.db.collection('apps').deleteOne({ _id: crewlessApp });
    }
  });

  it('never lists a session the caller may not read', async () => {
    const pages: string[] = [];
    let before = 'null';
    for (let page = 0; page < 10; page++) {
      const body = JSON.parse((await list(gw.tokenFor('member'), `?before=${before}`)).text);
      pages.push(...body.sessions.map((s: { _id: string }) => s._id));
      if (body.sessions.length < 10) break;
      before = body.sessions[body.sessions.length - 1]._id;
    }
    const named = gw.fixtures.sessions;
    // owner mode of another creator or with no app, whitelists the member is not on, restricted to somebody else
    for (const key of ['ownerMode', 'ownerNoApp', 'whitelistOrg', 'whitelistTeam', 'restricted'] as const) expect(pages).not.toContain(hex(named[key]));
    for (const key of ['missingCrew', 'brokenCrew', 'deletedApp', 'unknownMode', 'noMode', 'teamCrew', 'publicChat'] as const) expect(pages).toContain(hex(named[key]));
    // the same sessions, in the same order, as GraphQL lists for the member
    const listed = await gw.graphql(`{ sessions(teamId: "${team()}", first: 100) { nodes { _id } pageInfo { hasNextPage } } }`, {}, gw.tokenFor('member'));
    expect(listed.body.data.sessions.pageInfo.hasNextPage).toBe(false);
    expect(pages).toEqual(listed.body.data.sessions.nodes.map((node: { _id: string }) => node._id));
    const sam = JSON.parse((await gw.get(`/${team()}/sessions.json`, bearer(gw.tokenFor('sharedWith')))).text);
    expect(sam.message).toBe('Invalid permissions on the resourceSlug'); // not a member of Acme Main
  });

  it('pages with before: the last page, an id that is no session, null, and refuses anything else', async () => {
    const token = gw.tokenFor('owner');
    const first = JSON.parse((await list(token)).text).sessions;
    const second = JSON.parse((await list(token, `?before=${first[9]._id}`)).text).sessions;
    expect(second[0]._id < first[9]._id).toBe(true);
    const oldest = JSON.parse((await list(token, '?before=000000000000000000000001')).text).sessions;
    expect(oldest).toEqual([]);
    for (const bad of [first[0]._id.toUpperCase(), 'abc', '']) expect((await list(token, `?before=${bad}`)).status).toBe(400);
  });

  it('costs the same commands with 5,000 unreadable sessions in the team as with none', async () => {
    const f = gw.fixtures;
    const token = gw.tokenFor('member');
    const before = await gw.countCommands(() => list(token));
    const hidden = Array.from({ length: 5000 }, (_, i) => ({
      _id: new ObjectId(), orgId: f.orgs.acme, teamId: f.teams.acmeMain, name: `Hidden ${i}`, appId: f.apps.crewApp,
      sharingConfig: { mode: 'restricted', permissions: {} },
    }));
    await gw.db.collection('sessions').insertMany(hidden);
    try {
      const after = await gw.countCommands(() => list(token));
      expect(after.byName).toEqual(before.byName);
      expect(JSON.parse(after.result.text).sessions.map((s: { name: string }) => s.name)).toEqual(JSON.parse(before.result.text).sessions.map((s: { name: string }) => s.name));
    } finally {
      await gw.db.collection('sessions').deleteMany({ _id: { $in: hidden.map((doc) => doc._id) } });
    }
  });

  it('answers 401 without credentials and 403 to non-members, admins included', async () => {
    expect((await list(null)).status).toBe(401);
    expect((await list(gw.tokenFor('outsider'))).status).toBe(403);
    expect((await list(gw.tokenFor('orgAdmin'))).status).toBe(403);
  });
});
