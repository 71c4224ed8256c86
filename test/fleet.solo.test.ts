/**
 * A fleet: three gateway processes (`node dist/src/main.js`) on one database, behind Debian's HAProxy
 * (round robin, health-checked on /readyz), and 100 subscribers over graphql-ws with automatic retry,
 * spread over the copies by the balancer, each following its session's conversation with the
 * graphql-ws recipe (docs/recipes/graphql-ws.ts: resubscribe from the last `_id` held). A writer adds
 * messages and streams replies at a steady rate for about 30 s; one copy is killed with SIGKILL
 * midway, another restarted with SIGTERM (a rolling deploy). At the end every subscriber holds exactly
 * what is stored, and the reconnect times are printed.
 *
 * Alone (`npm run test:solo`): four server processes and 100 sockets on two cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { MongoClient, type Db, type ObjectId } from 'mongodb';
import WebSocket from 'ws';
import { followConversation, type LiveMessage } from '../docs/recipes/graphql-ws';
import { signLoginToken } from '../src/auth/tokens';
import { databaseNameFromUri } from '../src/db/database-name';
import { generateDemoData } from '../src/seed/generate';
import { startSeededDatabase, type DatabaseServer } from './support/database';
import { chatMessage, chunksOf } from './support/chat';
import { ensureBuilt, freePort, killChildren, mainEnv, startMain, type StartedMain } from './support/resilience';
import { sleep, waitFor, withTimeout } from './support/wait';

const SECRET = 'fleet-test-secret-that-is-long-enough';
const INTERVAL_MS = 500;
const SUBSCRIBERS = 100;
const SESSIONS = 10;
const WRITE_SECONDS = 30;

let database: DatabaseServer;
let client: MongoClient;
let db: Db;
let haproxy: ChildProcess | undefined;
const data = generateDemoData({ scale: 4 });

beforeAll(async () => {
  await ensureBuilt();
  database = await startSeededDatabase(data);
  client = new MongoClient(database.uri);
  db = client.db(databaseNameFromUri(database.uri));
}, 120_000);

afterAll(async () => {
  haproxy?.kill('SIGKILL');
  killChildren();
  await client?.close();
  await database?.stop();
});

interface Copy {
  port: number;
  main: StartedMain;
}

async function startCopy(port: number): Promise<Copy> {
  const main = startMain(mainEnv({ MONGODB_URI: database.uri, JWT_SECRET: SECRET, PORT: String(port), LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS), SHUTDOWN_READY_DELAY_MS: '1000', LOG_LEVEL: 'info' }));
  // listening (or its output, if it exited), then ready; generous bounds: the suite has just run on two cores
  await main.listening(60_000);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200, 30_000, `copy on ${port} ready:\n${main.stdout()}\n${main.stderr()}`, 100);
  return { port, main };
}

/** HAProxy in front of the copies: WebSocket upgrades pass through; a copy that fails /readyz is out within a second. */
async function startBalancer(port: number, copies: number[]): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleet-'));
  const config = [
    'global', '  maxconn 4096',
    'defaults', '  mode http', '  timeout connect 1s', '  timeout client 60s', '  timeout server 60s', '  timeout tunnel 1h', '  option redispatch', '  retries 3',
    `frontend api`, `  bind 127.0.0.1:${port}`, '  default_backend gateways',
    'backend gateways', '  balance roundrobin', '  option httpchk GET /readyz', '  default-server inter 300ms fall 1 rise 1',
    ...copies.map((copy, i) => `  server copy${i} 127.0.0.1:${copy} check`),
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'haproxy.cfg'), config);
  haproxy = spawn('haproxy', ['-db', '-f', path.join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status === 200, 10_000, 'haproxy up', 100);
}

type View = Map<string, string>;
const versionOf = (m: { text: string | null; completed: boolean }) => `${m.completed}:${m.text}`;

/** What is stored of a session, as a reader sees it (the text as the gateway's Message shows it). */
async function storedView(session: ObjectId): Promise<View> {
  const docs = await db.collection('chat').find({ sessionId: session, teamId: data.fixtures.teams.acmeMain }).sort({ _id: 1 }).toArray();
  return new Map(docs.map((doc) => {
    const streaming = Array.isArray(doc.chunks) && doc.chunks.length > 0 && doc.message?.message?.overwrite !== true;
    const text = streaming ? [...doc.chunks].sort((a, b) => a.ts - b.ts).map((piece) => piece.chunk).join('') : doc.message.message.text;
    return [doc._id.toHexString(), versionOf({ text, completed: doc.completed === true || doc.message?.completed === true })];
  }));
}

it('100 subscribers over three copies behind HAProxy lose nothing through a SIGKILL and a rolling restart', async () => {
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const [balancerPort, ...copyPorts] = ports;
  const copies = await Promise.all(copyPorts.map(startCopy));
  await startBalancer(balancerPort, copyPorts);

  const sessions = (await db.collection('sessions').find({ teamId: data.fixtures.teams.acmeMain, name: /^Run /, _id: { $ne: data.fixtures.longConversation! } }).limit(SESSIONS).toArray()).map((s) => s._id as ObjectId);
  const token = signLoginToken(data.fixtures.accounts.member, SECRET);
  const starts = new Map<string, string>();
  for (const session of sessions) {
    const last = await db.collection('chat').find({ sessionId: session }).sort({ _id: -1 }).limit(1).toArray();
    starts.set(session.toHexString(), last[0]?._id.toHexString() ?? '000000000000000000000000');
  }

  // subscribers: one socket each, through the balancer; closed → connected again is a reconnect
  const reconnects: number[] = [];
  /** When each reconnected socket had closed, to tell the lost replica's from the deploy's. */
  const closedTimes: number[] = [];
  const subscribers = Array.from({ length: SUBSCRIBERS }, (_, i) => {
    const session = sessions[i % sessions.length];
    let closedAt: number | undefined;
    const socket: Client = createClient({
      url: `ws://127.0.0.1:${balancerPort}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: Infinity,
      shouldRetry: () => true,
      retryWait: async (retries) => sleep(Math.min(100 * 2 ** retries, 2000) * (0.5 + Math.random() / 2)),
      onNonLazyError: () => undefined,
      on: {
        closed: () => (closedAt ??= Date.now()),
        connected: () => {
          if (closedAt !== undefined) {
            reconnects.push(Date.now() - closedAt);
            closedTimes.push(closedAt);
          }
          closedAt = undefined;
        },
      },
    });
    const view: View = new Map();
    const stop = followConversation(socket, session.toHexString(), starts.get(session.toHexString())!, (m: LiveMessage) => view.set(m._id, versionOf(m)));
    return { session, socket, view, stop };
  });
  await sleep(2 * INTERVAL_MS);

  // the writer: about 10 writes a second for WRITE_SECONDS, over the sessions; replies stream, then end
  const streaming = new Map<string, { id: ObjectId; pieces: string[] }>();
  const startedAt = Date.now();
  let killed = false;
  let restarted = false;
  let sigtermAt = Infinity;
  let deployed: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  let replaced: Promise<Copy> | undefined;
  let writes = 0;
  while (Date.now() - startedAt < WRITE_SECONDS * 1000) {
    const session = sessions[writes % sessions.length];
    const key = session.toHexString();
    const open = streaming.get(key);
    if (open && writes % 3 === 0) {
      open.pieces.push(` piece ${writes}`);
      await db.collection('chat').updateOne({ _id: open.id }, { $set: { chunks: chunksOf(open.pieces) } });
    } else if (open && writes % 7 === 0) {
      await db.collection('chat').updateOne({ _id: open.id }, { $set: { 'message.message.text': `final ${writes}`, 'message.message.overwrite': true, completed: true }, $unset: { chunks: '' } });
      streaming.delete(key);
    } else {
      const doc = writes % 5 === 0 ? chatMessage(data.fixtures, session, '', { streaming: [`reply ${writes}`] }) : chatMessage(data.fixtures, session, `message ${writes}`);
      if (writes % 5 === 0) streaming.set(key, { id: doc._id, pieces: [`reply ${writes}`] });
      await db.collection('chat').insertOne(doc);
    }
    writes += 1;
    const elapsed = Date.now() - startedAt;
    if (!killed && elapsed > 10_000) {
      killed = true;
      process.kill(copies[0].main.child.pid!, 'SIGKILL'); // a lost replica
    }
    if (!restarted && elapsed > 18_000) {
      restarted = true;
      const old = copies[1];
      sigtermAt = Date.now();
      old.main.child.kill('SIGTERM'); // a rolling deploy: this copy drains and exits, a new one takes its port
      deployed = old.main.exited;
      replaced = old.main.exited.then(async () => (copies[1] = await startCopy(old.port)));
    }
    await sleep(100);
  }
  // the streamed replies end
  for (const { id } of streaming.values()) await db.collection('chat').updateOne({ _id: id }, { $set: { 'message.message.text': 'ended', 'message.message.overwrite': true, completed: true }, $unset: { chunks: '' } });

  const differences = async () => {
    const stored = new Map(await Promise.all(sessions.map(async (session) => [session.toHexString(), await storedView(session)] as const)));
    return subscribers.flatMap((subscriber, i) => {
      const expected = stored.get(subscriber.session.toHexString())!;
      const start = starts.get(subscriber.session.toHexString())!;
      // every message after where it started, and what a resume sent again of the ones before, as stored
      const wrong = [...new Set([...[...expected.keys()].filter((id) => id > start), ...subscriber.view.keys()])].filter((id) => expected.get(id) !== subscriber.view.get(id));
      return wrong.length > 0 ? [{ subscriber: i, wrong: wrong.slice(0, 3).map((id) => ({ id, held: subscriber.view.get(id), stored: expected.get(id) })), count: wrong.length }] : [];
    });
  };
  const deadline = Date.now() + 30_000;
  let left = await differences();
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(500);
    left = await differences();
  }
  const sorted = [...reconnects].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  console.log(`fleet: ${writes} writes over ${SESSIONS} sessions, ${SUBSCRIBERS} subscribers; ${reconnects.length} reconnects, ms p50 ${at(0.5)}, p90 ${at(0.9)}, max ${sorted[sorted.length - 1]}; every view equal to what is stored: ${left.length === 0}`);
  for (const subscriber of subscribers) {
    subscriber.stop();
    await subscriber.socket.dispose();
  }
  expect(left).toEqual([]);
  // the deployed copy drained and exited cleanly, and its successor served on its port
  expect(await withTimeout(deployed!, 30_000, 'the deployed copy exited')).toMatchObject({ code: 0, signal: null });
  await withTimeout(replaced!, 90_000, 'the successor ready');
  expect((await fetch(`http://127.0.0.1:${copies[1].port}/readyz`)).status).toBe(200);
  // the killed copy's subscribers (a third of them) came back, and the deployed copy's after its SIGTERM
  expect(closedTimes.filter((at) => at < sigtermAt).length).toBeGreaterThanOrEqual(Math.floor(SUBSCRIBERS / 3));
  expect(closedTimes.filter((at) => at >= sigtermAt).length).toBeGreaterThanOrEqual(Math.floor(SUBSCRIBERS / 3));
  expect(writes).toBeGreaterThan(WRITE_SECONDS * 5);
}, 180_000);
