/**
 * The live engine between a replay (a resume, or a burst caught up page by page) and the ticks that run
 * meanwhile, with a consumer that reads slowly, so that the replay outlasts the look-back: the engine
 * itself on a real database, its times made short (a tick every 200 ms, a look-back of 1–2 s, 20 events
 * waiting at most), and the stream read as graphql-ws reads it.
 */
import { runInThisContext } from 'node:vm';
import { ObjectId, type Collection, type Db, type Document } from 'mongodb';
import { ContextFactory } from '../src/context/request-context';
import type { MessageDoc } from '../src/data-model/documents';
import { DEFAULT_LIVE_OPTIONS, type LiveCaller, type LiveEvent, type LiveOptions } from '../src/live/live-options';
import { LiveEngine } from '../src/live/live-engine';
import type { LiveStream } from '../src/live/live-stream';
import { messageSeen } from '../src/live/watch';
import { verifyCredentials } from '../src/auth/identity';
import { chatMessage } from './support/chat';
import { faultOnReadsOf, lateAnswersOf } from './support/faults';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from './support/gateway';
import { sleep, waitFor } from './support/wait';

let gw: TestGateway;
let chat: Collection<Document>;
beforeAll(async () => {
  gw = await startTestGateway({ scale: 0 });
  chat = gw.db.collection('chat');
});
afterAll(() => gw?.stop());

/** A public session of its own for each test (anonymous callers read it), its messages removed after. */
let engine: LiveEngine;
let session: ObjectId;
beforeEach(async () => {
  const template = (await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.publicChat }))!;
  session = new ObjectId();
  await gw.db.collection('sessions').insertOne({ ...template, _id: session });
});
afterEach(async () => {
  await engine?.stop();
  await chat.deleteMany({ sessionId: session });
  await gw.db.collection('sessions').deleteOne({ _id: session });
});

/** An engine of its own on the test database, and a subscriber to the test's session (anonymous: it is public). */
function startEngine(options: Partial<LiveOptions>, db: Db = gw.db) {
  const contexts = new ContextFactory({ db, jwtSecret: TEST_JWT_SECRET, requestTimeoutMs: 10_000, maxDocuments: 20_000 });
  const failures: string[] = [];
  engine = new LiveEngine(contexts, { ...DEFAULT_LIVE_OPTIONS, intervalMs: 200, maxQueuedEvents: 20, ...options }, { tickFailed: () => failures.push('tick'), replayFailed: () => failures.push('replay') });
  let callers = 0;
  const caller = (): LiveCaller => ({ id: `c${callers++}`, credentials: null, overflow: () => failures.push('overflow'), retryLater: () => failures.push('retryLater') });
  const subscribe = async (after?: ObjectId) => engine.watchMessages(await contexts.forRequest({ requestId: 'test', authorization: undefined }), caller(), session, after);
  return { failures, subscribe };
}

const message = (text: string, shape: { streaming?: string[]; id?: ObjectId } = {}): Document => chatMessage(gw.fixtures, session, text, shape);

/** The events of a stream as `_id` hex and the version sent, read one every `pauseMs`, from when `from` resolves. */
function read(stream: AsyncIterableIterator<LiveEvent<MessageDoc>>, pauseMs: number, from?: Promise<void>): Array<[string, string]> {
  const events: Array<[string, string]> = [];
  void (async () => {
    await from;
    for await (const event of stream) {
      events.push([event.payload._id.toHexString(), messageSeen(event.payload)]);
      if (pauseMs > 0) await sleep(pauseMs);
    }
  })();
  return events;
}

/** Versions sent twice in a row for one message (what the client held already). */
function repeats(events: Array<[string, string]>): string[] {
  const held = new Map<string, string>();
  return events.filter(([id, seen]) => {
    const again = held.get(id) === seen;
    held.set(id, seen);
    return again;
  }).map(([id, seen]) => `${id} ${seen}`);
}

it('a reply that ends while a long replay runs reaches the client in its final version', async () => {
  const { failures, subscribe } = startEngine({ lateWriteMarginS: 1 });
  const before = message('before');
  const reply = message('', { streaming: ['a'] });
  await chat.insertMany([before, reply, ...Array.from({ length: 60 }, (_, i) => message(`old ${i}`))]);
  await sleep(2_100); // all of them older than the look-back
  const events = read(await subscribe(before._id), 150);
  await sleep(1_000);
  // the webapp's end of a streamed reply, while the replay is still far from done
  await chat.updateOne({ _id: reply._id }, { $set: { 'message.message.text': 'final', 'message.message.overwrite': true, completed: true }, $unset: { chunks: '' } });
  await waitFor(() => events.some(([id, seen]) => id === reply._id.toHexString() && seen === 'c:final'), 30_000, 'the reply’s final version');
  expect(events.filter(([id]) => id === reply._id.toHexString())).toEqual([[reply._id.toHexString(), 's:a'], [reply._id.toHexString(), 'c:final']]);
  expect(repeats(events)).toEqual([]);
  expect(failures).toEqual([]);
}, 60_000);

it('a resume handed over while a tick’s read is on its way is not sent that read’s older versions', async () => {
  // the tick's read of what changed is the one `chat` read without a limit (a replay's pages have one)
  const late = lateAnswersOf('chat', 1_000, (_filter, options) => options?.limit === undefined);
  const { failures, subscribe } = startEngine({ lateWriteMarginS: 1 }, late.wrap(gw.db));
  const first = message('first');
  const fillers = Array.from({ length: 30 }, (_, i) => message(`m${i}`));
  const reply = message('', { streaming: ['a'] });
  await chat.insertMany([first, ...fillers, reply]);
  // a subscriber that follows the reply (the ticks read it), and a resume whose client reads nothing
  // yet: its replay waits for room after its first page
  read(await subscribe(), 0);
  let startReading!: () => void;
  const events = read(await subscribe(first._id), 0, new Promise<void>((resolve) => (startReading = resolve)));
  await sleep(500);
  // a tick reads the reply as it is, and its answer is on its way while the reply ends and the client
  // reads: the replay reads the final version and hands over before the tick's answer arrives
  late.failing = true;
  await waitFor(() => late.reads > 0, 5_000, 'a tick’s read under way');
  await chat.updateOne({ _id: reply._id }, { $set: { 'message.message.text': 'final', 'message.message.overwrite': true, completed: true }, $unset: { chunks: '' } });
  startReading();
  await waitFor(() => events.some(([id]) => id === reply._id.toHexString()), 5_000, 'the replay’s last page');
  await sleep(3_000); // that tick's answer, and the next ticks'
  late.failing = false;
  expect(events.filter(([id]) => id === reply._id.toHexString())).toEqual([[reply._id.toHexString(), 'c:final']]);
  expect(events.map(([id]) => id)).toEqual([first, ...fillers, reply].map((doc) => doc._id.toHexString()));
  expect(failures).toEqual([]);
}, 60_000);

it('a message whose _id lags within the look-back, written below a catch-up under way, is sent', async () => {
  const { failures, subscribe } = startEngine({ lateWriteMarginS: 2 });
  const events = read(await subscribe(), 200);
  await sleep(600);
  // more than may wait for the subscriber, in one tick: caught up page by page from the first of them
  const burst = Array.from({ length: 30 }, (_, i) => message(`n${i}`));
  await chat.insertMany(burst);
  await sleep(700);
  // a second writer whose clock lags by a second (within the 2 s look-back): an _id below the whole burst
  const lagging = message('lagging', { id: ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 1) });
  await chat.insertOne(lagging);
  await waitFor(() => events.length >= burst.length + 1, 30_000, 'the burst and the lagging message');
  await sleep(1_000);
  expect(events.map(([id]) => id).sort()).toEqual([...burst, lagging].map((doc) => doc._id.toHexString()).sort());
  expect(repeats(events)).toEqual([]);
  expect(failures).toEqual([]);
}, 60_000);

it('a burst caught up page by page sends nothing the subscriber holds again, though an older reply it follows changed with it', async () => {
  const { failures, subscribe } = startEngine({ lateWriteMarginS: 1 });
  const events = read(await subscribe(), 0);
  await sleep(600);
  const reply = message('', { streaming: ['a'] });
  await chat.insertOne(reply);
  await sleep(600);
  const held = Array.from({ length: 5 }, (_, i) => message(`m${i}`));
  for (const doc of held) {
    await chat.insertOne(doc);
    await sleep(50);
  }
  await sleep(3_500); // past the look-back: the completed ones are no longer read
  expect(events.length).toBe(6);
  // in one tick: the old reply grows, and more new messages than may wait for the subscriber
  await chat.updateOne({ _id: reply._id }, { $set: { chunks: [{ ts: 1, chunk: 'a', tokens: 1 }, { ts: 2, chunk: 'b', tokens: 1 }] } });
  const burst = Array.from({ length: 25 }, (_, i) => message(`n${i}`));
  await chat.insertMany(burst);
  await waitFor(() => events.length >= 6 + 25 + 1, 20_000, 'the burst and the reply’s new version');
  await sleep(1_000);
  expect(repeats(events)).toEqual([]);
  expect(events.slice(6).map(([id]) => id).sort()).toEqual([reply, ...burst].map((doc) => doc._id.toHexString()).sort());
  expect(events.find(([id, seen]) => id === reply._id.toHexString() && seen === 's:ab')).toBeDefined();
  expect(failures).toEqual([]);
}, 60_000);

it('new versions of many recent messages in one tick, with little room left, are caught up, not pushed past the bound', async () => {
  const { failures, subscribe } = startEngine({ lateWriteMarginS: 5 });
  const stream = await subscribe();
  // the client reads nothing until the gate opens
  let open: () => void = () => undefined;
  const events = read(stream, 0, new Promise<void>((resolve) => (open = resolve)));
  await sleep(600);
  const replies = Array.from({ length: 15 }, (_, i) => message('', { streaming: [`part ${i}`] }));
  await chat.insertMany(replies);
  await sleep(1_000); // 15 events waiting, of the 20 that may
  // every reply ends in one tick: 15 new versions, room for 5
  await chat.updateMany({ _id: { $in: replies.map((doc) => doc._id) } }, { $set: { completed: true } });
  await sleep(1_000);
  open();
  await waitFor(() => replies.every((doc) => events.some(([id, seen]) => id === doc._id.toHexString() && seen.startsWith('c:'))), 20_000, 'every reply’s final version');
  expect(failures).toEqual([]);
  expect(repeats(events)).toEqual([]);
}, 60_000);

it('replies that end while a replay runs, more than may wait for the subscriber, are handed over as it reads, not pushed past the bound', async () => {
  // every reply followed (20 by default: the oldest past that are left to the client's next resume)
  const { failures, subscribe } = startEngine({ lateWriteMarginS: 1, maxFollowedPerSession: 40 });
  const replies = Array.from({ length: 30 }, (_, i) => message('', { streaming: [`part ${i}`] }));
  await chat.insertMany([...replies, ...Array.from({ length: 40 }, (_, i) => message(`old ${i}`))]);
  await sleep(1_100); // all of them older than the look-back
  const events = read(await subscribe(new ObjectId('000000000000000000000000')), 100);
  await waitFor(() => events.length >= replies.length, 20_000, 'the replies as they were');
  // every reply ends while the replay has 40 messages still to send: 30 final versions for the hand-over
  await chat.updateMany({ _id: { $in: replies.map((doc) => doc._id) } }, { $set: { completed: true } });
  await waitFor(() => replies.every((doc) => events.some(([id, seen]) => id === doc._id.toHexString() && seen.startsWith('c:'))), 30_000, 'every reply’s final version');
  expect(failures).toEqual([]);
  expect(repeats(events)).toEqual([]);
  expect(events).toHaveLength(30 + 40 + 30);
}, 60_000);

it('a subscriber that loses access gets none of the events still waiting for it, however many there are', async () => {
  const { failures, subscribe } = startEngine({});
  const before = message('before');
  await chat.insertMany([before, ...Array.from({ length: 60 }, (_, i) => message(`m ${i}`))]);
  // a resume whose consumer takes nothing: the replay fills what may wait for it
  const stream = (await subscribe(before._id)) as LiveStream<LiveEvent<MessageDoc>>;
  await waitFor(() => stream.queued >= 10, 10_000, 'the replay waiting for its consumer');
  // the session is no longer public: the anonymous subscriber may not read it
  await gw.db.collection('sessions').updateOne({ _id: session }, { $set: { 'sharingConfig.mode': 'team' } });
  await waitFor(() => stream.done, 10_000, 'the subscription ended');
  expect(stream.queued).toBe(0);
  expect(await stream.next()).toEqual({ value: undefined, done: true });
  expect(failures).toEqual([]);
});

it('a followed reply deleted from the session is not sent to a later resume as news', async () => {
  const { failures, subscribe } = startEngine({});
  const hello = message('hello');
  await chat.insertOne(hello);
  const watching = read(await subscribe(), 0); // keeps the session watched
  const reply = message('', { streaming: ['R'] });
  await chat.insertOne(reply);
  await waitFor(() => watching.some(([id]) => id === reply._id.toHexString()), 10_000, 'the reply, live');
  await chat.deleteOne({ _id: reply._id });
  await sleep(600); // ticks ask for it and do not find it
  const resumed = read(await subscribe(new ObjectId('000000000000000000000000')), 0);
  await waitFor(() => resumed.some(([id]) => id === hello._id.toHexString()), 10_000, 'the resume');
  await sleep(600); // past the replay's hand-over
  expect(resumed.map(([id]) => id)).toEqual([hello._id.toHexString()]);
  expect(failures).toEqual([]);
});

it('a followed reply unreadable for a moment is followed again when it comes back, and a version held is not sent twice', async () => {
  const { failures, subscribe } = startEngine({ lateWriteMarginS: 1 });
  const events = read(await subscribe(), 0);
  const reply = message('', { streaming: ['Hel'] });
  await chat.insertOne(reply);
  const id = reply._id.toHexString();
  await waitFor(() => events.some(([key]) => key === id), 10_000, 'the reply, live');
  await sleep(2_100); // older than the look-back: only followed now
  // its team stored as text for a few ticks (unreadable), then back as it was
  await chat.updateOne({ _id: reply._id }, { $set: { teamId: gw.fixtures.teams.acmeMain.toHexString() } });
  await sleep(800);
  await chat.updateOne({ _id: reply._id }, { $set: { teamId: gw.fixtures.teams.acmeMain } });
  await sleep(800);
  // then it ends
  await chat.updateOne({ _id: reply._id }, { $set: { 'message.message.text': 'Hello', 'message.message.overwrite': true, completed: true }, $unset: { chunks: '' } });
  await waitFor(() => events.some(([key, seen]) => key === id && seen === 'c:Hello'), 10_000, 'the reply’s final version');
  expect(events.filter(([key]) => key === id)).toEqual([[id, 's:Hel'], [id, 'c:Hello']]);
  expect(failures).toEqual([]);
});

it('a policy read that fails while a long tick is still slicing fails the tick, and only the tick', async () => {
  // the admin check reads `teams`: made to fail once the subscriptions are set up
  const fault = faultOnReadsOf('teams');
  const contexts = new ContextFactory({ db: fault.wrap(gw.db), jwtSecret: TEST_JWT_SECRET, requestTimeoutMs: 10_000 });
  const failures: unknown[] = [];
  engine = new LiveEngine(contexts, { ...DEFAULT_LIVE_OPTIONS, intervalMs: 4_000, maxSubscriptions: 100_000 }, { tickFailed: (error) => failures.push(error) });
  // a rejection no one handles at the end of its turn stops the process (Node's default); Jest gives a
  // test a process object of its own, so the event is taken from the real one
  const realProcess = runInThisContext('process') as NodeJS.Process;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  realProcess.on('unhandledRejection', onUnhandled);
  try {
    let callers = 0;
    const caller = (authorization?: string): LiveCaller => ({
      id: `c${callers++}`, credentials: verifyCredentials(authorization, TEST_JWT_SECRET), overflow: () => undefined, retryLater: () => undefined,
    });
    // first watched: a session only the admin check lets the team admin read (a read at every tick)
    const admin = `Bearer ${gw.tokenFor('teamAdmin')}`;
    await engine.watchSession(await contexts.forRequest({ requestId: 'admin', authorization: admin }), caller(admin), gw.fixtures.sessions.restricted);
    // then enough subscriptions of one session that the tick's pass over them outlasts a slice, and a
    // session after them: the pass yields to the event loop there, with the admin's answer pending
    const anonymous = await contexts.forRequest({ requestId: 'anonymous', authorization: undefined });
    for (let i = 0; i < 60_000; i++) await engine.watchSession(anonymous, caller(), gw.fixtures.sessions.publicChat);
    await engine.watchSession(anonymous, caller(), gw.fixtures.sessions.globexPublic);
    fault.failing = true;
    await waitFor(() => failures.length > 0, 15_000, 'the tick to fail');
    await sleep(100);
    expect(unhandled).toEqual([]);
    expect(String(failures[0])).toContain('a defect injected by the test into the reads of teams');
  } finally {
    fault.failing = false;
    realProcess.off('unhandledRejection', onUnhandled);
  }
}, 60_000);
