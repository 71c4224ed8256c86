/**
 * The benchmark's live target: `subscriptions` over `connections` WebSocket connections (half
 * `sessionUpdated`, half `messageAdded`), spread over the team's sessions. Each second 1 % of the
 * watched sessions are written and 1 % get a new message. Reports the server's CPU per tick (all of
 * the process's CPU over the measured window, divided by its ticks), its database commands per tick,
 * RSS and heap per subscription, and the latency from each write to each client's event.
 *
 * Then the reconnect storm: every connection dropped at once, one new message written into every
 * watched session meanwhile, and every connection back at once with each `messageAdded` resumed from
 * the last `_id` it held. Reports how long until every subscription has caught up (its session's
 * state, or the message it missed), the subscriptions that failed (a refusal, a deadline), and the
 * slowest `/healthz` answer seen throughout by a prober in a process of its own.
 *
 * The clients run in this process, not the server's: their CPU is not charged to the gateway.
 */
import { spawn } from 'node:child_process';
import { createClient, type Client } from 'graphql-ws';
import { ObjectId, type Db, type Document } from 'mongodb';
import WebSocket from 'ws';

export interface LiveSettings {
  subscriptions: number;
  connections: number;
  /** Seconds measured, after the subscriptions are up. */
  seconds: number;
  intervalMs: number;
}

export interface LiveResult {
  subscriptions: number;
  connections: number;
  watchedSessions: number;
  writesPerSecond: number;
  subscribeSeconds: number;
  ticks: number;
  cpuMsPerTick: number;
  /** Of the whole window: the server's CPU share of one core. */
  cpuPercent: number;
  dbCommandsPerTick: number;
  rssPerSubscriptionKb: number;
  /** RSS per subscription at the end of the measured window: settled, serving events, no forced GC. */
  rssSteadyPerSubscriptionKb: number;
  /** The live JavaScript heap (after a GC) per subscription: what a subscription holds. */
  heapPerSubscriptionKb: number;
  /** The heap V8 keeps committed (after a GC) per subscription: the live heap and the room it grew into. */
  heapCommittedPerSubscriptionKb: number;
  /** Memory outside the heap (buffers, sockets' native state) per subscription. */
  externalPerSubscriptionKb: number;
  events: number;
  eventP50Ms: number;
  eventP99Ms: number;
  eventMaxMs: number;
  /** All connections back at once, resuming: until every subscription caught up. */
  stormSeconds: number;
  stormFailures: number;
  /** The slowest `/healthz` answer seen by the prober, during the subscribes, the measured window and the storm. */
  healthzMaxMs: number;
  healthzProbes: number;
  /** The slowest `/healthz` answer in each phase, and the server's own event-loop delay (max, p99) in each. */
  healthzByPhase: Record<string, number>;
  loopDelayByPhase: Record<string, { maxMs: number; p99Ms: number }>;
  /** The node flags its server process was started with, and its peak RSS (given by ./run.ts). */
  nodeFlags?: string[];
  peakRssMb?: number;
}

interface ServerStats { cpuMicros: number; rss: number; heapUsed?: number; heapTotal?: number; external?: number; dbCommands: number }

const SESSION_UPDATED = 'subscription($id: ObjectId!) { sessionUpdated(_id: $id) { _id name status tokensUsed lastUpdatedDate app { name } } }';
const MESSAGE_ADDED = 'subscription($id: ObjectId!, $after: ObjectId) { messageAdded(sessionId: $id, after: $after) { id _id authorName text completed } }';
/** The cursor of a client that holds no message yet: everything is after it. */
const NO_MESSAGE = '000000000000000000000000';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One subscription as the bench's clients hold it. */
interface Held {
  kind: 'session' | 'messages';
  id: string;
  /** The greatest message `_id` received (messageAdded): where a resume starts. */
  last: string | null;
  /** Since the last (re)subscribe: caught up. */
  ready: boolean;
  /** The message it must receive to count as caught up after the storm. */
  awaiting?: string;
}

export async function measureLive(url: string, db: Db, token: string, sessionIds: string[], settings: LiveSettings, stats: (collect: boolean) => Promise<ServerStats>): Promise<LiveResult> {
  const latencies: number[] = [];
  const writtenAt = new Map<string, number>();
  const prober = probeHealth(url);
  const before = await stats(true);
  const subscribeStarted = Date.now();
  const perConnection = Math.ceil(settings.subscriptions / settings.connections);
  // a client loads the conversation before it follows it: its last message is where it resumes from
  const newest = new Map<string, string>();
  for (const doc of await db.collection('chat').find({ sessionId: { $in: sessionIds.map((id) => new ObjectId(id)) } }).project({ _id: 1, sessionId: 1 }).toArray()) {
    const key = String(doc.sessionId);
    if (!newest.has(key) || doc._id.toHexString() > newest.get(key)!) newest.set(key, doc._id.toHexString());
  }
  const held: Held[] = Array.from({ length: settings.subscriptions }, (_, i) => {
    const id = sessionIds[Math.floor(i / 2) % sessionIds.length];
    return { kind: i % 2 === 0 ? 'session' : 'messages', id, last: newest.get(id) ?? null, ready: false };
  });
  let failures = 0;
  let measuring = false;

  const open = (): Client[] => Array.from({ length: settings.connections }, (_, c) => {
    const client = createClient({ url: `${url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false, onNonLazyError: () => undefined });
    for (const subscription of held.slice(c * perConnection, (c + 1) * perConnection)) {
      subscription.ready = false;
      const variables = subscription.kind === 'session' ? { id: subscription.id } : { id: subscription.id, after: subscription.last ?? NO_MESSAGE };
      client.subscribe({ query: subscription.kind === 'session' ? SESSION_UPDATED : MESSAGE_ADDED, variables }, {
        next: (result) => {
          if (result.errors) failures += 1;
          const data = result.data as { sessionUpdated?: { lastUpdatedDate?: string }; messageAdded?: { _id: string } } | undefined;
          if (subscription.kind === 'session') {
            subscription.ready = true;
            const at = writtenAt.get(subscription.id);
            const stamp = data?.sessionUpdated?.lastUpdatedDate;
            if (measuring && at !== undefined && stamp && new Date(stamp).getTime() === at) latencies.push(Date.now() - at);
            return;
          }
          const id = data?.messageAdded?._id;
          if (!id) return;
          if (subscription.last === null || id > subscription.last) subscription.last = id;
          if (subscription.awaiting === undefined || id === subscription.awaiting) subscription.ready = true;
        },
        error: () => (failures += 1),
        complete: () => undefined,
      });
    }
    return client;
  });

  // messageAdded has nothing to send at first: it counts as up once subscribed, i.e. once the connection's sessionUpdated answered
  // Phases of the probes and of the server's event-loop delay. The bench's own stats force a full GC in
  // the server (for the heap per subscription): a stall of its making, kept out of every phase.
  const loops: Record<string, { maxMs: number; p99Ms: number }> = {};
  let phase = 'start';
  const enter = async (name: string) => {
    const seen = await loopDelay(url);
    const before = loops[phase];
    loops[phase] = before ? { maxMs: Math.max(before.maxMs, seen.maxMs), p99Ms: Math.max(before.p99Ms, seen.p99Ms) } : seen;
    phase = name;
    prober.phase(name);
  };
  const quietStats = async () => {
    const current = phase;
    await enter('forced GC');
    const result = await stats(true);
    await sleep(500); // the stall's probes and delay samples land in this phase
    await enter(current);
    return result;
  };
  await enter('subscribe');
  let clients = open();
  while (held.filter((s) => s.kind === 'session' && !s.ready).length + failures > 0 && failures === 0) await sleep(100);
  if (failures > 0) throw new Error(`${failures} of ${settings.subscriptions} subscriptions failed`);
  const subscribeSeconds = (Date.now() - subscribeStarted) / 1000;
  process.stderr.write(`live: ${settings.subscriptions} subscribed in ${subscribeSeconds} s\n`);
  await sleep(3 * settings.intervalMs); // settled: ticks without the subscribes
  const subscribed = await quietStats();

  const watched = [...new Set(held.map((s) => s.id))];
  const perSecond = Math.max(1, Math.round(watched.length / 100));
  await enter('measure');
  // CPU and commands only: no forced collection in the measured window (its stall, its CPU)
  const start = await stats(false);
  const started = Date.now();
  measuring = true;
  for (let second = 0; second < settings.seconds; second++) {
    const next = started + (second + 1) * 1000;
    // spread over the second, as writes arrive: a session written, and another one's new message
    for (let w = 0; w < perSecond; w++) {
      const id = watched[(second * perSecond + w) % watched.length];
      const at = Date.now();
      writtenAt.set(id, at);
      await db.collection('sessions').updateOne({ _id: new ObjectId(id) }, { $set: { lastUpdatedDate: new Date(at) }, $inc: { tokensUsed: 1 } });
      await writeMessage(db, watched[(second * perSecond + w + 37) % watched.length], `bench message ${second}.${w}`);
      await sleep(Math.max(0, (next - Date.now()) / (perSecond - w + 1)));
    }
    await sleep(Math.max(0, next - Date.now()));
  }
  await sleep(settings.intervalMs + 500); // the last writes' events
  const end = await stats(false);
  const elapsedMs = Date.now() - started;
  measuring = false;

  process.stderr.write(`live: measured ${elapsedMs} ms\n`);
  // the storm: every connection gone at once (its phase: the server ends 50,000 subscriptions), a message
  // missed in every watched session, all back at once
  await enter('storm');
  await Promise.all(clients.map((client) => client.dispose()));
  const missed = new Map<string, string>();
  const away = await Promise.all(watched.map((id) => messageFor(db, id, 'missed while away')));
  await db.collection('chat').insertMany(away); // one write (jongodb's writes cost the square of the collection's size)
  away.forEach((doc, i) => missed.set(watched[i], doc._id.toHexString()));
  for (const subscription of held) subscription.awaiting = subscription.kind === 'messages' ? missed.get(subscription.id) : undefined;
  const failuresBefore = failures;
  const stormStarted = Date.now();
  clients = open();
  while (held.some((s) => !s.ready) && Date.now() - stormStarted < 120_000) await sleep(100);
  const stormSeconds = (Date.now() - stormStarted) / 1000;
  const behind = held.filter((s) => !s.ready);
  if (behind.length > 0) process.stderr.write(`live: not caught up after the storm: ${behind.length}, e.g. ${JSON.stringify(behind.slice(0, 5))}\n`);
  const stormFailures = failures - failuresBefore + held.filter((s) => !s.ready).length;
  await Promise.all(clients.map((client) => client.dispose()));
  await enter('end');
  const health = await prober.stop();
  for (const name of ['start', 'forced GC', 'end']) {
    delete loops[name];
    delete health.phases[name];
  }
  health.maxMs = Math.max(0, ...Object.values(health.phases));
  process.stderr.write(`live: the server's event-loop delay by phase (ms): ${JSON.stringify(loops)}\n`);
  process.stderr.write(`live: slowest /healthz by phase (ms): ${JSON.stringify(health.phases)}\n`);

  const ticks = elapsedMs / settings.intervalMs;
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  const cpuMs = (end.cpuMicros - start.cpuMicros) / 1000;
  return {
    subscriptions: settings.subscriptions,
    connections: settings.connections,
    watchedSessions: watched.length,
    writesPerSecond: perSecond,
    subscribeSeconds: round(subscribeSeconds, 1),
    ticks: Math.round(ticks),
    cpuMsPerTick: round(cpuMs / ticks, 1),
    cpuPercent: round((cpuMs / elapsedMs) * 100, 1),
    dbCommandsPerTick: round((end.dbCommands - start.dbCommands) / ticks, 1),
    rssPerSubscriptionKb: round((subscribed.rss - before.rss) / 1024 / settings.subscriptions, 2),
    rssSteadyPerSubscriptionKb: round((end.rss - before.rss) / 1024 / settings.subscriptions, 2),
    heapPerSubscriptionKb: round(((subscribed.heapUsed ?? 0) - (before.heapUsed ?? 0)) / 1024 / settings.subscriptions, 2),
    heapCommittedPerSubscriptionKb: round(((subscribed.heapTotal ?? 0) - (before.heapTotal ?? 0)) / 1024 / settings.subscriptions, 2),
    externalPerSubscriptionKb: round(((subscribed.external ?? 0) - (before.external ?? 0)) / 1024 / settings.subscriptions, 2),
    events: sorted.length,
    eventP50Ms: at(0.5),
    eventP99Ms: at(0.99),
    eventMaxMs: sorted.length ? sorted[sorted.length - 1] : NaN,
    stormSeconds: round(stormSeconds, 1),
    stormFailures,
    healthzMaxMs: health.maxMs,
    healthzProbes: health.probes,
    healthzByPhase: health.phases,
    loopDelayByPhase: loops,
  };
}

/** A message as the webapp stores it, whole and completed. */
async function messageFor(db: Db, sessionId: string, text: string): Promise<Document & { _id: ObjectId }> {
  const session = await db.collection('sessions').findOne({ _id: new ObjectId(sessionId) });
  const _id = new ObjectId();
  return {
    _id, orgId: session!.orgId, teamId: session!.teamId, sessionId: session!._id, authorId: null, authorName: 'Bench', ts: Date.now(), isFeedback: false, chunkId: `b-${_id.toHexString()}`,
    message: { room: sessionId, event: 'message', incoming: false, message: { text, type: 'text', displayType: 'bubble', overwrite: false } }, completed: true,
  };
}

async function writeMessage(db: Db, sessionId: string, text: string): Promise<void> {
  await db.collection('chat').insertOne(await messageFor(db, sessionId, text));
}

/** Probes `/healthz` every 50 ms from a process of its own (this one is busy with the clients). */
/** The server's own event-loop delay since the last call (max and p99, ms). */
async function loopDelay(url: string): Promise<{ maxMs: number; p99Ms: number }> {
  return (await fetch(`${url}/__bench/loop`)).json() as Promise<{ maxMs: number; p99Ms: number }>;
}

function probeHealth(url: string): { phase(name: string): void; stop(): Promise<{ maxMs: number; probes: number; phases: Record<string, number> }> } {
  const script = `
    let max = 0, probes = 0, stopping = false, phase = 'start';
    const phases = {};
    process.on('message', (m) => { if (m === 'stop') stopping = true; else phase = m; });
    (async () => {
      while (!stopping) {
        const started = performance.now();
        const startPhase = phase;
        try { await (await fetch(${JSON.stringify(`${url}/healthz`)})).text(); } catch {}
        const took = performance.now() - started;
        const at = startPhase === 'forced GC' ? startPhase : phase;
        max = Math.max(max, took); probes += 1; phases[at] = Math.max(phases[at] || 0, Math.round(took));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      process.send({ maxMs: Math.round(max), probes, phases }, () => process.exit(0));
    })();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    phase: (name) => child.send(name),
    stop: () => new Promise((resolve) => {
      child.once('message', (result) => resolve(result as { maxMs: number; probes: number; phases: Record<string, number> }));
      child.send('stop');
    }),
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
