/**
 * Resumable message streams: `messageAdded(sessionId, after)` replays what the client missed (the
 * messages at or before `after` that are not completed, then every message after it, oldest first),
 * then goes on live with no gap and no repeat. Real sockets, a real gateway and database; the writes
 * made with the driver, as the webapp makes them.
 */
import { ObjectId, type Document } from 'mongodb';
import { chatMessage, chunksOf } from './support/chat';
import { startTestGateway, type TestGateway } from './support/gateway';
import type { Recorded } from './support/live-client';
import { liveSuite } from './support/live-suite';
import { faultOnReadsOf } from './support/faults';
import { sleep } from './support/wait';

const INTERVAL_MS = 300;
const suite = liveSuite(INTERVAL_MS, { scale: 8 });
let gw: TestGateway;
beforeAll(() => {
  gw = suite.gw;
});

const hex = (id: ObjectId) => id.toHexString();
const chat = () => gw.db.collection('chat');
const RESUME = 'subscription($id: ObjectId!, $after: ObjectId) { messageAdded(sessionId: $id, after: $after) { _id text completed } }';

/** A client of the file's gateway, as a member by default. */
const open = (token: string | null = gw.tokenFor('member')) => suite.open(token);

/** A generated Acme session of its own for each test, so that the tests do not see each other's messages. */
let nextSession = 0;
async function freshSession(): Promise<ObjectId> {
  const sessions = await gw.db.collection('sessions').find({ teamId: gw.fixtures.teams.acmeMain, name: /^Run / }).sort({ _id: 1 }).toArray();
  return sessions[nextSession++]._id;
}

/** A message as the webapp stores it: whole and completed, or streaming (pieces, not completed). */
function message(sessionId: ObjectId, text: string, shape: { streaming?: string[]; completed?: boolean; id?: ObjectId } = {}): Document {
  return chatMessage(gw.fixtures, sessionId, text, shape);
}

/** Streams one more piece into a reply (set whole: the test database has no $push). */
async function streamInto(id: ObjectId, pieces: string[]): Promise<void> {
  await chat().updateOne({ _id: id }, { $set: { chunks: chunksOf(pieces) } });
}

/** Ends a streamed reply as the webapp does: the overwrite, completed, the pieces gone. */
async function complete(id: ObjectId, text: string): Promise<void> {
  await chat().updateOne({ _id: id }, { $set: { 'message.message.text': text, 'message.message.overwrite': true, completed: true }, $unset: { chunks: '' } });
}

type View = Map<string, { text: string | null; completed: boolean }>;

/** What a client holds after its events: each message by `_id`, the last version wins. */
function viewOf(...subscriptions: Recorded[]): View {
  const view: View = new Map();
  for (const sub of subscriptions) for (const event of sub.events) view.set(event.data.messageAdded._id, { text: event.data.messageAdded.text, completed: event.data.messageAdded.completed });
  return view;
}

/** What is stored, as the gateway shows it (every page of `Session.messages`). */
async function storedView(session: ObjectId): Promise<View> {
  const view: View = new Map();
  let cursor: string | null = null;
  for (;;) {
    const { body } = await gw.graphql('query($id: ObjectId!, $after: String) { session(_id: $id) { messages(first: 100, after: $after) { nodes { _id text completed } pageInfo { hasNextPage endCursor } } } }', { id: hex(session), after: cursor }, gw.tokenFor('member'));
    const page = body.data.session.messages;
    for (const node of page.nodes) view.set(node._id, { text: node.text, completed: node.completed });
    if (!page.pageInfo.hasNextPage) return view;
    cursor = page.pageInfo.endCursor;
  }
}

/** No event repeats the version the client already holds of a message. */
function expectNoRepeats(sub: Recorded): void {
  const held = new Map<string, string>();
  const repeats: string[] = [];
  for (const event of sub.events) {
    const m = event.data.messageAdded;
    const version = `${m.completed}:${m.text}`;
    if (held.get(m._id) === version) repeats.push(`${m._id} ${version}`);
    held.set(m._id, version);
  }
  expect(repeats).toEqual([]);
}


/** Waits until the client's view equals what is stored after `after`; says how they differ if it never does. */
async function expectSameView(session: ObjectId, sub: Recorded, after?: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await storedView(session);
    const view = viewOf(sub);
    // every message after `after`, and the unfinished ones at or before it that the replay sent
    const differences = [...new Set([...[...stored.keys()].filter((id) => after === undefined || id > after), ...view.keys()])].filter((id) => JSON.stringify(view.get(id)) !== JSON.stringify(stored.get(id)));
    if (differences.length === 0) return;
    if (Date.now() > deadline) {
      expect(differences.map((id) => ({ id, client: view.get(id), stored: stored.get(id) }))).toEqual([]);
    }
    await sleep(100);
  }
}

describe('messageAdded(sessionId, after)', () => {
  it('replays what was written while the client was away, oldest first and once each, then goes on live', async () => {
    const session = await freshSession();
    const written: ObjectId[] = [];
    const write = async (...docs: Document[]) => {
      await chat().insertMany(docs);
      written.push(...docs.map((doc) => doc._id));
      return docs.map((doc) => doc._id as ObjectId);
    };
    // before: a reply still streaming, then two whole messages; the client holds them all
    const [streaming] = await write(message(session, '', { streaming: ['Once '] }));
    const held = await write(message(session, 'first'), message(session, 'second'));
    const last = hex(held[1]);
    // while it is away: the reply grows, five messages arrive, one of them streaming
    await streamInto(streaming, ['Once ', 'upon ']);
    const newer = await write(message(session, 'a'), message(session, 'b'), message(session, '', { streaming: ['c1'] }), message(session, 'd'), message(session, 'e'));
    const sub = open().subscribe(RESUME, { id: hex(session), after: last });
    await sub.next(8);
    // first what the client may hold in an older version (at or before `after`: not completed, or written
    // within the resume window), with its text now; then each newer one; each part in _id order
    expect(sub.events.map((e) => e.data.messageAdded._id)).toEqual([hex(streaming), ...held.map(hex), ...newer.map(hex)]);
    expect(sub.events[0].data.messageAdded).toEqual({ _id: hex(streaming), text: 'Once upon ', completed: false });
    expect(sub.events.map((e) => e.data.messageAdded.text)).toEqual(['Once upon ', 'first', 'second', 'a', 'b', 'c1', 'd', 'e']);
    // then live: the replayed replies go on, and new messages come
    await complete(streaming, 'Once upon a time.');
    await streamInto(newer[2], ['c1', 'c2']);
    const [fresh] = await write(message(session, 'f'));
    await expectSameView(session, sub, last);
    expectNoRepeats(sub);
    expect(viewOf(sub).get(hex(streaming))).toEqual({ text: 'Once upon a time.', completed: true });
    expect(viewOf(sub).get(hex(fresh))).toEqual({ text: 'f', completed: true });
    await chat().deleteMany({ _id: { $in: written } });
  });

  it('has no gap and no repeat at the seam, whatever moment of the tick the subscribe falls in', async () => {
    const session = await freshSession();
    const written: ObjectId[] = [];
    let writing = true;
    let streamingReply: ObjectId | undefined;
    let pieces: string[] = [];
    // a writer: a message every 25 ms, and a reply streaming a piece every 60 ms, for about 3 s
    const writer = (async () => {
      for (let i = 0; writing && i < 120; i++) {
        const doc = i % 10 === 3 ? message(session, '', { streaming: (pieces = [`p${i}`]) }) : message(session, `m${i}`);
        if (i % 10 === 3) streamingReply = doc._id;
        await chat().insertOne(doc);
        written.push(doc._id);
        if (streamingReply && i % 2 === 0) await streamInto(streamingReply, (pieces = [...pieces, `+${i}`]));
        if (streamingReply && i % 10 === 9) await complete(streamingReply, `done ${i}`);
        await sleep(25);
      }
    })();
    // subscribers resume at several points of the ticks, each from the last message written then
    const subs: Array<{ sub: Recorded; after: string }> = [];
    for (let k = 0; k < 6; k++) {
      await sleep(170 + 37 * k);
      const after = hex(written[written.length - 1]);
      subs.push({ sub: open().subscribe(RESUME, { id: hex(session), after }), after });
    }
    await writer;
    writing = false;
    for (const { sub, after } of subs) {
      await expectSameView(session, sub, after);
      expectNoRepeats(sub);
      // new messages first appear in _id order
      const firsts: string[] = [];
      for (const event of sub.events) if (!firsts.includes(event.data.messageAdded._id)) firsts.push(event.data.messageAdded._id);
      expect(firsts.filter((id) => id > after)).toEqual([...firsts.filter((id) => id > after)].sort());
    }
    await chat().deleteMany({ _id: { $in: written } });
  }, 30_000);

  it('a reply that ended while the client was away arrives final; outside the resume window only what is not completed is sent again', async () => {
    const session = await freshSession();
    const old = ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 3600);
    const oldStreaming = ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 3599);
    const reply = new ObjectId();
    const docs = [message(session, 'an hour ago', { id: old }), message(session, '', { id: oldStreaming, streaming: ['still going'] }), message(session, '', { id: reply, streaming: ['half'] }), message(session, 'the last one the client got')];
    await chat().insertMany(docs);
    try {
      // the client held the reply half done and the last message; the reply ends while it is away
      await complete(reply, 'the whole reply');
      const sub = open().subscribe(RESUME, { id: hex(session), after: hex(docs[3]._id) });
      await sub.next(3);
      await sleep(3 * INTERVAL_MS);
      expect(sub.events.map((e) => e.data.messageAdded)).toEqual([
        { _id: hex(oldStreaming), text: 'still going', completed: false },
        { _id: hex(reply), text: 'the whole reply', completed: true },
        { _id: hex(docs[3]._id), text: 'the last one the client got', completed: true },
      ]);
    } finally {
      await chat().deleteMany({ _id: { $in: docs.map((doc) => doc._id) } });
    }
  });

  it('a reply older than the resume window that ended while the client was away arrives final too (changed since the window began)', async () => {
    const session = await freshSession();
    const now = Math.floor(Date.now() / 1000);
    const [byPieces, byOverwrite, untouched] = [now - 400, now - 399, now - 398].map((s) => ObjectId.createFromTime(s));
    const last = ObjectId.createFromTime(now - 30);
    const startedAt = (now - 400) * 1000;
    const docs = [
      { ...message(session, '', { id: byPieces, streaming: ['part1 '] }), chunks: [{ ts: startedAt, chunk: 'part1 ', tokens: 1 }] },
      { ...message(session, '', { id: byOverwrite, streaming: ['draft'] }), chunks: [{ ts: startedAt, chunk: 'draft', tokens: 1 }] },
      message(session, 'long done', { id: untouched }),
      message(session, 'the last one the client got', { id: last }),
    ];
    docs[1].message.ts = startedAt;
    await chat().insertMany(docs);
    try {
      // while the client is away: one reply ends with a last piece and its flag, the other with the
      // webapp's overwrite (the payload written again with its ts, the pieces gone)
      await chat().updateOne({ _id: byPieces }, { $set: { chunks: [{ ts: startedAt, chunk: 'part1 ', tokens: 1 }, { ts: Date.now(), chunk: 'END', tokens: 1 }], completed: true } });
      await chat().updateOne({ _id: byOverwrite }, { $set: { 'message.ts': Date.now(), 'message.message.text': 'the final answer', 'message.message.overwrite': true, completed: true }, $unset: { chunks: '' } });
      const sub = open().subscribe(RESUME, { id: hex(session), after: hex(last) });
      await sub.next(3);
      await sleep(3 * INTERVAL_MS);
      expect(sub.events.map((e) => e.data.messageAdded)).toEqual([
        { _id: hex(byPieces), text: 'part1 END', completed: true },
        { _id: hex(byOverwrite), text: 'the final answer', completed: true },
        { _id: hex(last), text: 'the last one the client got', completed: true },
      ]);
    } finally {
      await chat().deleteMany({ _id: { $in: docs.map((doc) => doc._id) } });
    }
  });

  it('a message whose _id lags its write by more than the look-back is missed live, and reaches the client when it resumes', async () => {
    const session = await freshSession();
    const client = open();
    const live = client.subscribe(RESUME, { id: hex(session), after: null });
    await sleep(2 * INTERVAL_MS);
    const recent = message(session, 'a message of now');
    await chat().insertOne(recent);
    await live.next(1);
    // a writer whose clock is a minute behind: its id is older than the live window's look-back (5 s)
    const lagging = message(session, 'from a lagging clock', { id: ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 60) });
    await chat().insertOne(lagging);
    try {
      await sleep(4 * INTERVAL_MS);
      expect(live.events.map((e) => e.data.messageAdded._id)).toEqual([hex(recent._id)]);
      live.stop();
      // resumed from the last _id it holds: the lagging message is within the resume window before it
      const resumed = client.subscribe(RESUME, { id: hex(session), after: hex(recent._id) });
      await resumed.next(2);
      expect(resumed.events.map((e) => e.data.messageAdded._id)).toContain(hex(lagging._id));
    } finally {
      await chat().deleteMany({ _id: { $in: [recent._id, lagging._id] } });
    }
  });

  // Two writers' ids of one second are ordered by their process bytes, not by time; a writer's clock may run ahead.
  describe('messages written after the subscribe with an _id below the newest one', () => {
    const nowS = () => Math.floor(Date.now() / 1000);
    const randomHex = (length: number) => Array.from({ length }, () => Math.floor(Math.random() * 16).toString(16)).join('');
    /** An id of the second of `time` whose bytes after the time sort above (`high`) or below any other's of that second. */
    const idOfSecond = (time: ObjectId | number, high: boolean) =>
      new ObjectId((typeof time === 'number' ? time : Math.floor(time.getTimestamp().getTime() / 1000)).toString(16).padStart(8, '0') + (high ? 'ffffffffff' : '0000000000') + randomHex(6));
    const inSync = () => idOfSecond(nowS(), false);

    const sameSecond = [() => idOfSecond(nowS(), true), (newest: ObjectId) => idOfSecond(newest, false)] as const;
    const clockAhead = [() => ObjectId.createFromTime(nowS() + 30), inSync] as const;
    it.each([
      // the other writer's ids of that second sort above the in-sync writer's (its later writes too)
      ['without after, the newest of the same second', null, false, ...sameSecond],
      ['without after, the newest of the same second, on a session a tick already reads', null, true, ...sameSecond],
      ['resuming from the newest, of the same second', 'newest', false, ...sameSecond],
      ['resuming from the newest, of the same second, on a session a tick already reads', 'newest', true, ...sameSecond],
      ['without after, the newest from a clock 30 s ahead', null, false, ...clockAhead],
      ['without after, the newest from a clock 30 s ahead, on a session a tick already reads', null, true, ...clockAhead],
      ['resuming from the newest, from a clock 30 s ahead', 'newest', false, ...clockAhead],
    ] as const)('%s: each reaches the client once', async (_case, after, watched, newestId, belowId) => {
      const session = await freshSession();
      // another subscriber: the session's watch is read by ticks before the subscribe under test
      if (watched) await open().subscribe(RESUME, { id: hex(session), after: null }).next(0);
      const newest = message(session, 'the newest, by its _id', { id: newestId() });
      await chat().insertOne(newest);
      const written: ObjectId[] = [newest._id];
      try {
        await sleep(2 * INTERVAL_MS);
        const sub = open().subscribe(RESUME, { id: hex(session), after: after === 'newest' ? hex(newest._id) : null });
        // resuming from the newest: its replay sends it again first
        if (after === 'newest') await sub.next(1);
        await sleep(2 * INTERVAL_MS);
        // before the writes: the newest again when resuming from it (it is not completed), nothing without after
        expect(sub.events.map((e) => e.data.messageAdded.text)).toEqual(after === 'newest' ? ['the newest, by its _id'] : []);
        const already = sub.events.length;
        // written now by an in-sync writer: below the newest _id, stored after the subscribe
        for (const text of ['below one', 'below two']) {
          const doc = message(session, text, { id: belowId(newest._id as ObjectId) });
          await chat().insertOne(doc);
          written.push(doc._id);
        }
        await sub.next(already + 2);
        await sleep(3 * INTERVAL_MS);
        // (in _id order: theirs are random below the newest's)
        const later = sub.events.slice(already).map((e) => e.data.messageAdded.text);
        expect([...later].sort()).toEqual(['below one', 'below two']);
      } finally {
        await chat().deleteMany({ _id: { $in: written } });
      }
    });
  });

  it('a client away for 10,000 messages gets them all, read page by page as it takes them', async () => {
    const session = await freshSession();
    const docs = Array.from({ length: 10_000 }, (_, i) => message(session, `message ${i}`, { id: ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 20_000 + i) }));
    await chat().insertMany(docs);
    try {
      const after = hex(ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 30_000));
      const { result: sub, byName } = await gw.countCommands(async () => {
        const recorded = open().subscribe(RESUME, { id: hex(session), after });
        // FerretDB's test server takes seconds a page: a bound far past what its 25 pages take there
        await recorded.next(10_000, 240_000);
        await sleep(1000);
        return recorded;
      });
      const ids = sub.events.map((e) => e.data.messageAdded._id);
      // the 10,000, then the session's own two, which the seed wrote now
      const own = (await chat().find({ sessionId: session, _id: { $gt: docs[docs.length - 1]._id } }).sort({ _id: 1 }).toArray()).map((doc) => hex(doc._id));
      expect(ids.slice(0, 3)).toEqual(docs.slice(0, 3).map((doc) => hex(doc._id)));
      expect(ids.slice(-3)).toEqual([...docs.slice(-3).map((doc) => hex(doc._id)), ...own].slice(-3));
      expect(ids).toEqual([...docs.map((doc) => hex(doc._id)), ...own]);
      expect(new Set(ids).size).toBe(10_000);
      // pages of 400, batched with nobody else here: at least 25 reads of the conversation
      expect(byName['find chat']).toBeGreaterThanOrEqual(25);
    } finally {
      await chat().deleteMany({ _id: { $in: docs.map((doc) => doc._id) } });
    }
  }, 300_000);

  it('a stored message whose _id is no ObjectId is skipped by a replay, which goes on (it failed every resume of the session)', async () => {
    const session = await freshSession();
    const docs = [message(session, 'held'), message(session, 'while away 1'), message(session, 'while away 2')];
    // not completed, so that a replay's range takes it; its _id of text sorts before every ObjectId
    const odd = { ...message(session, '', { streaming: ['odd'] }), _id: `legacy-${hex(session)}` };
    await chat().insertMany([...docs, odd as unknown as Document]);
    try {
      const client = open();
      const sub = client.subscribe(RESUME, { id: hex(session), after: hex(docs[0]._id) });
      await sub.next(3);
      await sleep(3 * INTERVAL_MS);
      expect(sub.events.map((e) => e.data.messageAdded.text)).toEqual(['held', 'while away 1', 'while away 2']);
      expect(sub.errors).toEqual([]);
      // the connection is still open, the subscription live
      const later = message(session, 'live');
      await chat().insertOne(later);
      await sub.next(4);
      expect(sub.events[3].data.messageAdded.text).toBe('live');
      docs.push(later);
    } finally {
      await chat().deleteMany({ _id: { $in: [...docs.map((doc) => doc._id), odd._id] } as never });
    }
  });

  it('a replay that fails for a defect fails its subscription with INTERNAL_SERVER_ERROR, logged in full, instead of asking the client to reconnect for ever', async () => {
    const fault = faultOnReadsOf('chat');
    const lines: Array<Record<string, unknown>> = [];
    const faulty = await startTestGateway({ scale: 1, fault, logLevel: 'info', logStream: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean).map((line) => JSON.parse(line))) }, app: { live: { intervalMs: INTERVAL_MS } } });
    try {
      const client = suite.open(faulty.tokenFor('member'), undefined, faulty);
      fault.failing = true;
      const sub = client.subscribe(RESUME, { id: hex(faulty.fixtures.sessions.teamCrew), after: hex(ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 60)) });
      await sub.ended();
      const [error] = sub.errors[0] as Array<{ message: string; extensions: { code: string; requestId: string } }>;
      expect(error).toEqual({ message: expect.stringMatching(/^Internal server error/), extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) } });
      const logged = lines.filter((line) => line.level === 50);
      expect(logged).toEqual([expect.objectContaining({ msg: 'unexpected error while serving a subscription', requestId: error.extensions.requestId, err: expect.objectContaining({ message: expect.stringContaining('a defect injected') }) })]);
      // the connection stays: no 1013, and the client's other subscriptions go on
      fault.failing = false;
      const other = client.subscribe(RESUME, { id: hex(faulty.fixtures.sessions.teamCrew), after: null });
      await sleep(2 * INTERVAL_MS);
      expect(other.errors).toEqual([]);
      expect(await Promise.race([client.closed.then(() => 'closed'), sleep(100).then(() => 'open')])).toBe('open');
    } finally {
      await suite.disposeClients();
      await faulty.stop();
    }
  });

  it('refuses a malformed after as BAD_USER_INPUT, and completes with no event for a session the caller may not read', async () => {
    const client = open();
    for (const after of ['nope', 'ABCDEFABCDEFABCDEFABCDEF', 12, { $gt: '' }]) {
      const sub = client.subscribe(RESUME, { id: hex(gw.fixtures.sessions.teamCrew), after });
      await sub.ended();
      expect(sub.events).toEqual([]);
      expect((sub.errors[0] as Array<{ extensions: { code: string } }>)[0].extensions.code).toBe('BAD_USER_INPUT');
    }
    for (const id of [gw.fixtures.sessions.globexSession, gw.fixtures.sessions.restricted, new ObjectId()]) {
      const sub = client.subscribe(RESUME, { id: hex(id), after: hex(ObjectId.createFromTime(0)) });
      await sub.ended();
      expect({ id: hex(id), events: sub.events, errors: sub.errors }).toEqual({ id: hex(id), events: [], errors: [] });
    }
  });

  it('the first subscription after a Session.messages query: from its last node, no race', async () => {
    const session = await freshSession();
    const before = await storedView(session);
    const last = [...before.keys()].sort().pop()!;
    const early = message(session, 'written between the query and the subscribe');
    await chat().insertOne(early);
    const sub = open().subscribe(RESUME, { id: hex(session), after: last });
    // what the query gave within the resume window comes again, unchanged; then what it could not give
    const window = [...before.keys()].filter((id) => id <= last && new ObjectId(id).getTimestamp().getTime() / 1000 > new ObjectId(last).getTimestamp().getTime() / 1000 - 300).sort();
    await sub.next(window.length + 1);
    const late = message(session, 'after the subscribe');
    await chat().insertOne(late);
    await sub.next(window.length + 2);
    expect(sub.events.map((e) => e.data.messageAdded._id)).toEqual([...window, hex(early._id), hex(late._id)]);
    for (const event of sub.events.slice(0, window.length)) expect(before.get(event.data.messageAdded._id)).toEqual({ text: event.data.messageAdded.text, completed: event.data.messageAdded.completed });
    expect(sub.events[window.length].data.messageAdded).toEqual({ _id: hex(early._id), text: 'written between the query and the subscribe', completed: true });
    await chat().deleteMany({ _id: { $in: [early._id, late._id] } });
  });
});

describe('a burst of more messages in one tick than a subscriber may have waiting', () => {
  it('is caught up page by page as the client reads, nothing lost or repeated, and the subscription stays live', async () => {
    const small = await startTestGateway({ scale: 4, app: { live: { intervalMs: INTERVAL_MS, maxQueuedEvents: 50 } } });
    try {
      const session = (await small.db.collection('sessions').find({ teamId: small.fixtures.teams.acmeMain, name: /^Run / }).limit(1).toArray())[0]._id;
      const client = suite.open(small.tokenFor('member'), undefined, small);
      const plain = client.subscribe(RESUME, { id: hex(session), after: null });
      await sleep(2 * INTERVAL_MS);
      // a page of a catch-up is read as a replay's is, limited (a tick's read of new messages is not)
      const pageReads: number[] = [];
      const onCommand = (event: { commandName: string; command: Document }) => {
        if (event.commandName === 'find' && event.command.find === 'chat' && event.command.limit > 0) pageReads.push(event.command.limit);
      };
      small.client.on('commandStarted', onCommand);
      // 120 messages in one write: more than twice what may wait for the client
      const burst = Array.from({ length: 120 }, (_, i) => chatMessage(small.fixtures, session, `burst ${i}`));
      await small.db.collection('chat').insertMany(burst);
      await plain.next(120, 20_000);
      small.client.off('commandStarted', onCommand);
      // read in pages as the client made room, none of them more than may wait: never queued all at once
      expect(pageReads.length).toBeGreaterThanOrEqual(3);
      for (const limit of pageReads) expect(limit).toBeLessThanOrEqual(50 + 1);
      const late = chatMessage(small.fixtures, session, 'after the burst');
      await small.db.collection('chat').insertOne(late);
      await plain.next(121, 10_000);
      await sleep(3 * INTERVAL_MS);
      expect(plain.completed).toBe(false);
      expect(plain.events.map((e) => e.data.messageAdded._id)).toEqual([...burst.map((doc) => hex(doc._id)), hex(late._id)]);
      const metrics = await (await fetch(`${small.metricsUrl}/metrics`)).text();
      expect(metrics).toMatch(/^live_slow_consumers_total 0$/m);
    } finally {
      await suite.disposeClients();
      await small.stop();
    }
  }, 40_000);
});

describe('the document budget of an event', () => {
  it('an event whose selection reads past MAX_DOCUMENTS_PER_REQUEST is refused as QUERY_TOO_COMPLEX, with no partial data', async () => {
    const tight = await startTestGateway({ app: { live: { intervalMs: INTERVAL_MS }, budgets: { maxDocuments: 3, maxResponseBytes: 1_000_000 } } });
    try {
      const client = suite.open(tight.tokenFor('member'), undefined, tight);
      const id = tight.fixtures.sessions.teamCrew;
      const sub = client.subscribe('subscription($id: ObjectId!) { sessionUpdated(_id: $id) { name tasks { name agent { name tools { name } } } agents { name } } }', { id: hex(id) });
      await sub.next(1);
      await tight.db.collection('sessions').updateOne({ _id: id }, { $set: { tokensUsed: 12_345 } });
      await sub.next(2, 5000);
      // the events of a tick are read together, under one budget per event that they share; the error
      // alone, as a request's answer would be: no data, not even the fields read within the budget
      expect(sub.events[1]).toEqual({
        errors: [{ message: 'The events of this update read more than 3 documents each (MAX_DOCUMENTS_PER_REQUEST per event); ask for fewer', extensions: { code: 'QUERY_TOO_COMPLEX' } }],
      });
      // a selection within the budget is served at the same tick
      const light = client.subscribe('subscription($id: ObjectId!) { sessionUpdated(_id: $id) { name tokensUsed } }', { id: hex(id) });
      await light.next(1);
      await tight.db.collection('sessions').updateOne({ _id: id }, { $set: { tokensUsed: 54_321 } });
      await light.next(2, 5000);
      expect(light.events[1]).toEqual({ data: { sessionUpdated: { name: 'Team crew run', tokensUsed: 54_321 } } });
    } finally {
      await suite.disposeClients();
      await tight.stop();
    }
  });
});

describe('the byte budget of an event', () => {
  it('an event past MAX_RESPONSE_BYTES is sent as QUERY_TOO_COMPLEX alone, as an HTTP answer would be, and the subscription goes on', async () => {
    const tight = await startTestGateway({ app: { live: { intervalMs: INTERVAL_MS }, budgets: { maxResponseBytes: 4_000 } } });
    try {
      const session = tight.fixtures.sessions.teamCrew;
      const sub = suite.open(tight.tokenFor('member'), undefined, tight).subscribe(RESUME, { id: hex(session), after: null });
      await sleep(2 * INTERVAL_MS);
      const big = chatMessage(tight.fixtures, session, 'x'.repeat(5_000));
      const small = chatMessage(tight.fixtures, session, 'a small one');
      await tight.db.collection('chat').insertOne(big);
      await sub.next(1);
      await tight.db.collection('chat').insertOne(small);
      await sub.next(2);
      expect(sub.events).toEqual([
        { errors: [{ message: 'The response would be larger than 4000 bytes (MAX_RESPONSE_BYTES); ask for less', extensions: { code: 'QUERY_TOO_COMPLEX' } }] },
        { data: { messageAdded: { _id: hex(small._id), text: 'a small one', completed: true } } },
      ]);
      await tight.db.collection('chat').deleteMany({ _id: { $in: [big._id, small._id] } });
    } finally {
      await suite.disposeClients();
      await tight.stop();
    }
  });
});
