/**
 * The benchmark's live target (issue 14): `subscriptions` sessionUpdated subscriptions over
 * `connections` WebSocket connections, spread over the team's sessions; each second 1 % of the watched
 * sessions are written (their `lastUpdatedDate` set to the write's time). Reports the server's CPU per
 * tick (all of the process's CPU over the measured window, divided by its ticks), its database
 * commands per tick, RSS per subscription, and the latency from each write to each client's event.
 * The clients run in this process, not the server's: their CPU is not charged to the gateway.
 */
import { createClient, type Client } from 'graphql-ws';
import { ObjectId, type Db } from 'mongodb';
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
  /** The live JavaScript heap (after a GC) per subscription: what a subscription holds. */
  heapPerSubscriptionKb: number;
  events: number;
  eventP50Ms: number;
  eventP99Ms: number;
  eventMaxMs: number;
}

interface ServerStats { cpuMicros: number; rss: number; heapUsed?: number; dbCommands: number }

export async function measureLive(url: string, db: Db, token: string, sessionIds: string[], settings: LiveSettings, stats: () => Promise<ServerStats>): Promise<LiveResult> {
  const query = 'subscription($id: ObjectId!) { sessionUpdated(_id: $id) { _id name status tokensUsed lastUpdatedDate app { name } } }';
  const latencies: number[] = [];
  const writtenAt = new Map<string, number>();
  let firstEvents = 0;
  const before = await stats();
  const subscribeStarted = Date.now();
  const clients: Client[] = Array.from({ length: settings.connections }, () => createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
  }));
  const perConnection = Math.ceil(settings.subscriptions / settings.connections);
  let failures = 0;
  for (let i = 0; i < settings.subscriptions; i++) {
    const id = sessionIds[i % sessionIds.length];
    const seen = { first: false };
    clients[Math.floor(i / perConnection)].subscribe({ query, variables: { id } }, {
      next: (result) => {
        if (!seen.first) {
          seen.first = true;
          firstEvents += 1;
          return;
        }
        const at = writtenAt.get(id);
        const stamp = (result.data as { sessionUpdated?: { lastUpdatedDate?: string } } | undefined)?.sessionUpdated?.lastUpdatedDate;
        if (at !== undefined && stamp && new Date(stamp).getTime() === at) latencies.push(Date.now() - at);
      },
      error: () => (failures += 1),
      complete: () => undefined,
    });
  }
  while (firstEvents + failures < settings.subscriptions) await new Promise((resolve) => setTimeout(resolve, 100));
  if (failures > 0) throw new Error(`${failures} of ${settings.subscriptions} subscriptions failed`);
  const subscribeSeconds = (Date.now() - subscribeStarted) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 3 * settings.intervalMs)); // settled: ticks without the subscribes
  const subscribed = await stats();

  const watched = [...new Set(sessionIds.slice(0, settings.subscriptions))];
  const perSecond = Math.max(1, Math.round(watched.length / 100));
  const start = await stats();
  const started = Date.now();
  for (let second = 0; second < settings.seconds; second++) {
    const next = started + (second + 1) * 1000;
    // spread over the second, as writes arrive
    for (let w = 0; w < perSecond; w++) {
      const id = watched[(second * perSecond + w) % watched.length];
      const at = Date.now();
      writtenAt.set(id, at);
      await db.collection('sessions').updateOne({ _id: new ObjectId(id) }, { $set: { lastUpdatedDate: new Date(at) }, $inc: { tokensUsed: 1 } });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, (next - Date.now()) / (perSecond - w + 1))));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
  }
  await new Promise((resolve) => setTimeout(resolve, settings.intervalMs + 500)); // the last writes' events
  const end = await stats();
  const elapsedMs = Date.now() - started;
  await Promise.all(clients.map((client) => client.dispose()));

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
    heapPerSubscriptionKb: round(((subscribed.heapUsed ?? 0) - (before.heapUsed ?? 0)) / 1024 / settings.subscriptions, 2),
    events: sorted.length,
    eventP50Ms: at(0.5),
    eventP99Ms: at(0.99),
    eventMaxMs: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
