/**
 * The contract's bound on live events (CONTRACT §7): an event reaches the client within one
 * LIVE_POLL_INTERVAL_MS (the default, 1000) plus 500 ms of the write. Run alone (`npm run test:solo`):
 * beside the other test files on two cores, this would time them, not the gateway.
 */
import { ObjectId } from 'mongodb';
import { startTestGateway, type TestGateway } from './support/gateway';
import { liveClient, type LiveClient } from './support/live-client';
import { sleep } from './support/wait';

const BOUND_MS = 1000 + 500;
let gw: TestGateway;
let client: LiveClient;
beforeAll(async () => {
  gw = await startTestGateway({ scale: 4 });
  client = liveClient(gw.url, gw.tokenFor('member'));
});
afterAll(async () => {
  await client?.dispose();
  await gw?.stop();
});

it('every status change and every new message reaches its subscriber within one interval + 500 ms', async () => {
  const f = gw.fixtures;
  const session = f.sessions.teamCrew;
  const sessions = client.subscribe(`subscription($id: ObjectId!) { sessionUpdated(_id: $id) { tokensUsed } }`, { id: session.toHexString() });
  const messages = client.subscribe(`subscription($id: ObjectId!) { messageAdded(sessionId: $id) { _id text } }`, { id: session.toHexString() });
  await sessions.next(1);
  const template = (await gw.db.collection('chat').findOne({ _id: f.messages.crewAnswer }))!;
  const stored = (await gw.db.collection('sessions').findOne({ _id: session }))!;
  const latencies: number[] = [];
  const added: ObjectId[] = [];
  try {
    for (let i = 1; i <= 8; i++) {
      // writes at varied points of the tick
      await sleep(137 * i);
      const written = Date.now();
      const message = { ...template, _id: new ObjectId(), chunkId: `latency-${i}`, message: { ...template.message, message: { ...template.message.message, text: `Latency ${i}` } } };
      added.push(message._id);
      await Promise.all([
        gw.db.collection('sessions').updateOne({ _id: session }, { $inc: { tokensUsed: 1 } }),
        gw.db.collection('chat').insertMany([message]),
      ]);
      // each stream's event timed on its own
      const [sessionAt, messageAt] = await Promise.all([sessions.next(i + 1, 5000).then(() => Date.now()), messages.next(i, 5000).then(() => Date.now())]);
      latencies.push(sessionAt - written, messageAt - written);
    }
  } finally {
    await gw.db.collection('chat').deleteMany({ _id: { $in: added } });
    await gw.db.collection('sessions').updateOne({ _id: session }, { $set: { tokensUsed: stored.tokensUsed } });
  }
  console.log(`live latency (write to each event: session, message), ms: ${latencies.join(', ')}`);
  // both live all along, each write once: the session's state at start, then every count it went through
  expect({ sessions: sessions.completed, messages: messages.completed }).toEqual({ sessions: false, messages: false });
  expect(sessions.events.map((e) => e.data.sessionUpdated.tokensUsed)).toEqual(Array.from({ length: 9 }, (_, i) => stored.tokensUsed + i));
  expect(messages.events.map((e) => e.data.messageAdded.text)).toEqual(Array.from({ length: 8 }, (_, i) => `Latency ${i + 1}`));
  expect(Math.max(...latencies)).toBeLessThan(BOUND_MS);
}, 60_000);
