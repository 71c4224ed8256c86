/**
 * Live updates (CONTRACT §7): subscriptions over real WebSocket connections to a real gateway and
 * database, the writes made with the driver as the webapp makes them.
 */
import { ObjectId } from 'mongodb';
import { startTestGateway, type TestGateway } from './support/gateway';
import { liveClient, type LiveClient } from './support/live-client';

const INTERVAL_MS = 300;
let gw: TestGateway;
const clients: LiveClient[] = [];
beforeAll(async () => {
  gw = await startTestGateway({ scale: 4, app: { live: { intervalMs: INTERVAL_MS } } });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});
afterAll(() => gw.stop());

const open = (token?: string | null, params?: Record<string, unknown>) => {
  const client = liveClient(gw.url, token, params);
  clients.push(client);
  return client;
};
const hex = (id: ObjectId) => id.toHexString();

describe('sessionUpdated', () => {
  it('sends the session at once, then each change written to it, with its graph resolved', async () => {
    const f = gw.fixtures;
    const client = open(gw.tokenFor('member'));
    const sub = client.subscribe(`subscription($id: ObjectId!) { sessionUpdated(_id: $id) { _id name status app { name } agents { name } } }`, { id: hex(f.sessions.teamCrew) });
    const [first] = await sub.next(1);
    expect(first.errors).toBeUndefined();
    expect(first.data.sessionUpdated).toMatchObject({ _id: hex(f.sessions.teamCrew), app: { name: expect.any(String) } });
    const before = (await gw.db.collection('sessions').findOne({ _id: f.sessions.teamCrew }))!.status;
    const after = before === 'running' ? 'terminated' : 'running';
    const written = Date.now();
    await gw.db.collection('sessions').updateOne({ _id: f.sessions.teamCrew }, { $set: { status: after } });
    const events = await sub.next(2, 3000);
    const latency = Date.now() - written;
    expect(events[1].data.sessionUpdated.status).toBe(after.toUpperCase());
    expect(latency).toBeLessThan(INTERVAL_MS + 500);
    await gw.db.collection('sessions').updateOne({ _id: f.sessions.teamCrew }, { $set: { status: before } });
  });
});
