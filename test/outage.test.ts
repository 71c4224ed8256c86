/**
 * Database outages and deadlines (issue 6; CONTRACT §4 "database unreachable", §6 probes), against the
 * real gateway and a real (embedded) database server that the test stops and restarts on the same port:
 *
 * - started with the database down: it starts, /readyz says 503, reads get 503 + Retry-After (REST) or
 *   SERVICE_UNAVAILABLE (GraphQL) quickly, and it recovers by itself once the database is up;
 * - the database killed in the middle of a load: no crash, every request answered within the deadline
 *   plus the server-selection timeout, only 200s and well-formed 503s, recovery once it is back;
 * - a database that takes commands and never answers (a frozen host, through a TCP proxy): the
 *   request's deadline still answers 503 in time;
 * - every read carries the request's remaining budget as maxTimeMS;
 * - `npm start` (the built dist/src/main.js) with MONGODB_URI at a closed port.
 */
import 'reflect-metadata';
import WebSocket from 'ws';
import { MongoClient, MongoNetworkError, MongoOperationTimeoutError, MongoServerError, type CommandStartedEvent } from 'mongodb';
import { connectDatabase, type Database } from '../src/db/connect';
import { requestReader } from '../src/loaders/request-reader';
import { answerAllowanceMs } from '../src/context/request-context';
import { startTestDatabase, type DatabaseServer } from './support/database';
import { databaseNameFromUri } from '../src/db/database-name';
import { deadlineExceeded, toGatewayError } from '../src/errors/classify';
import { createLogger } from '../src/observability/logger';
import { generateDemoData } from '../src/seed/generate';
import { loadDemoData } from '../src/seed/load';
import { signLoginToken } from '../src/auth/tokens';
import { startGatewayApp, TEST_JWT_SECRET } from './support/gateway';
import { SESSION_WITH_GRAPH } from './support/queries';
import { ensureBuilt, freePort, killChildren, mainEnv, runLoad, startMain, TcpProxy, type LoadRequest, type LoadResult } from './support/resilience';
import { sleep, waitFor, withTimeout } from './support/wait';

/** Short settings, so that the test is quick; the defaults (10 s, 5 s) are exercised by bad-input.test.ts. */
const REQUEST_TIMEOUT_MS = 3000;
const SELECTION_TIMEOUT_MS = 1500;
/** "No hung requests": every answer within the deadline plus the server-selection timeout. */
const ANSWER_BOUND_MS = REQUEST_TIMEOUT_MS + SELECTION_TIMEOUT_MS;
/**
 * The bounds below are multiples of these settings, wide enough for a busy machine (the test files run
 * two at a time on two cores). What ended a request (the selection timeout or the deadline) is told by
 * its message, not by its time.
 */
const DEADLINE_MESSAGE = /did not answer within the time limit/;
/** The longest pause between the gateway's attempts to connect while the database is down (src/db/connect.ts). */
const LONGEST_RETRY_PAUSE_MS = 2000;
/** A server monitor stuck past two connect timeouts (here the selection timeout) plus a second is reconnected (src/db/connect.ts). */
const WATCHDOG_MS = 2 * SELECTION_TIMEOUT_MS + 1000;

const data = generateDemoData();
const { fixtures } = data;
const token = signLoginToken(fixtures.accounts.owner, TEST_JWT_SECRET);
const teamId = fixtures.teams.acmeMain.toHexString();
const sessionId = fixtures.sessions.teamCrew.toHexString();
/** What the gateway logs as unexpected (an error the classification missed), shown when a test fails. */
const unexpectedLog: string[] = [];
/** Its warn lines: an outage met by a request is one `database unreachable` line under its id. */
const warnLines: Array<Record<string, unknown>> = [];
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', {
  write: (line: string) => {
    if (process.env.TEST_LOG_LEVEL) process.stdout.write(line);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if ((parsed.level as number) >= 50) unexpectedLog.push(line.slice(0, 2000));
    else if (parsed.level === 40) warnLines.push(parsed);
  },
});
const DRIVER_TEXT = /mongo|ECONNREFUSED|ECONNRESET|topology|server selection|127\.0\.0\.1|socket|pool|\s{2,}at |\.[jt]s:\d/i;

const SESSIONS_PAGE = `query($t: ObjectId!) { sessions(teamId: $t, first: 20) {
  edges { cursor node { _id name app { name } tasks { name } agents { name } } } pageInfo { hasNextPage } } }`;

const gql = (kind: string, query: string, variables: Record<string, unknown>, withToken = true): LoadRequest => ({
  kind,
  path: '/graphql',
  init: {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(withToken ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  },
});
const REQUESTS: LoadRequest[] = [
  { kind: 'rest', path: `/${teamId}/session/${sessionId}.json`, init: { headers: { authorization: `Bearer ${token}` } } },
  gql('graphql-one', SESSION_WITH_GRAPH, { id: sessionId }),
  gql('graphql-page', SESSIONS_PAGE, { t: teamId }),
  gql('graphql-anonymous', 'query($id: ObjectId!) { session(_id: $id) { name } }', { id: fixtures.sessions.publicChat.toHexString() }, false),
];

/**
 * What an answer is: `ok` (200 with the data), `outage` (a well-formed 503 / SERVICE_UNAVAILABLE),
 * `empty` (the database is up but not yet filled again: unknown account, no session), or `bad: why`.
 */
function classify(result: LoadResult): string {
  if (result.status === 0) return `bad: no answer (${result.failure})`;
  let body: any;
  try {
    body = JSON.parse(result.text!);
  } catch {
    return `bad: not JSON (${result.status})`;
  }
  if (result.status !== 200 && DRIVER_TEXT.test(result.text!)) return `bad: internals in ${result.text}`;
  const retryAfter = Number(result.headers!.get('retry-after'));
  if (result.kind === 'rest') {
    if (result.status === 200) return body.session?.name ? 'ok' : 'empty';
    if (result.status === 503) return retryAfter > 0 && body.code === 503 ? 'outage' : `bad: 503 without Retry-After ${result.text}`;
    if (result.status === 401) return 'empty';
    return `bad: ${result.status} ${result.text}`;
  }
  const codes = new Set<string>((body.errors ?? []).map((e: any) => e.extensions?.code));
  if (codes.size === 0 && result.status === 200) {
    const d = body.data ?? {};
    return d.session?.name || d.sessions?.edges?.length ? 'ok' : 'empty';
  }
  if (codes.size === 1 && codes.has('SERVICE_UNAVAILABLE')) {
    if (result.status === 503) return retryAfter > 0 ? 'outage' : 'bad: 503 without Retry-After';
    return result.status === 200 ? 'outage' : `bad: SERVICE_UNAVAILABLE with HTTP ${result.status}`;
  }
  if (codes.size === 1 && codes.has('UNAUTHENTICATED')) return 'empty';
  return `bad: ${result.status} ${result.text}`;
}

async function send(url: string, request: LoadRequest): Promise<LoadResult & { ms: number }> {
  const [result] = await runLoad({ baseUrl: url, concurrency: 1, next: () => request, until: once(), abandonAfterMs: ANSWER_BOUND_MS + 5000 });
  return { ...result, ms: result.endedAt - result.startedAt };
}
function once(): () => boolean {
  let sent = false;
  return () => {
    const done = sent;
    sent = true;
    return done;
  };
}

async function seed(uri: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await loadDemoData(client.db(databaseNameFromUri(uri)), data);
  } finally {
    await client.close();
  }
}

interface InProcessGateway {
  url: string;
  database: Database;
  stop(): Promise<void>;
}

async function startGateway(uri: string): Promise<InProcessGateway> {
  const database = await connectDatabase(uri, { serverSelectionTimeoutMS: SELECTION_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, logger, monitorCommands: true });
  const served = await startGatewayApp({ db: database.db, logger, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  return {
    url: served.url,
    database,
    async stop() {
      await served.stop();
      await database.close();
    },
  };
}

async function restartMongo(port: number): Promise<DatabaseServer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startTestDatabase({ port });
    } catch (error) {
      if (attempt >= 20) throw error;
      await sleep(100); // the port may still be held for a moment
    }
  }
}

/** Outcomes per 500 ms, to see what happened when a run fails. */
function timeline(results: LoadResult[], marks: Record<string, number>): string {
  const start = Math.min(...results.map((r) => r.startedAt));
  const buckets = new Map<number, Record<string, number>>();
  for (const r of results) {
    const b = Math.floor((r.startedAt - start) / 500);
    const row = buckets.get(b) ?? {};
    const outcome = classify(r).slice(0, 60);
    row[outcome] = (row[outcome] ?? 0) + 1;
    buckets.set(b, row);
  }
  const lines = [...buckets.entries()].sort(([a], [b]) => a - b).map(([b, row]) => `${b * 500} ms: ${JSON.stringify(row)}`);
  return `marks ${JSON.stringify(Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, v - start])))}\n${lines.join('\n')}`;
}

const measured: Record<string, number> = {};
afterAll(() => {
  killChildren();
  // The numbers behind the assertions, for the report.
  console.log(`outage.test numbers: ${JSON.stringify(measured)}`);
});

describe('a database outage', () => {
  let port: number;
  let uri: string;
  let mongo: DatabaseServer | undefined;
  let gw: InProcessGateway;

  beforeAll(async () => {
    port = await freePort(); // closed: nothing listens there yet
    uri = `mongodb://127.0.0.1:${port}/agentcloud`;
    const t0 = Date.now();
    gw = await startGateway(uri);
    measured.startWithDatabaseDownMs = Date.now() - t0;
  }, 20_000);

  afterAll(async () => {
    await gw?.stop();
    await mongo?.stop();
  });

  describe('starting with the database down', () => {
    it('starts within the selection timeout (plus set-up) and /healthz answers 200', async () => {
      expect(measured.startWithDatabaseDownMs).toBeLessThan(4 * SELECTION_TIMEOUT_MS);
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    });

    it('/readyz answers 503 with Retry-After, quickly', async () => {
      const started = Date.now();
      const response = await fetch(`${gw.url}/readyz`);
      measured.readyzWhileDownMs = Date.now() - started;
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ status: 'unavailable' });
      expect(text).not.toMatch(DRIVER_TEXT);
      // its ping fails at the selection timeout at most (or at the probe's own 2 s): not held like a request
      expect(measured.readyzWhileDownMs).toBeLessThan(3 * SELECTION_TIMEOUT_MS);
    });

    it('every kind of read answers 503 + Retry-After (REST) or SERVICE_UNAVAILABLE (GraphQL), within the selection timeout', async () => {
      const latencies: number[] = [];
      for (const request of REQUESTS) {
        const result = await send(gw.url, request);
        expect({ kind: request.kind, outcome: classify(result) }).toEqual({ kind: request.kind, outcome: 'outage' });
        // said once in the log, under the request's id, whichever step met it (the token's account, a read)
        const requestId = result.headers!.get('x-request-id');
        await waitFor(() => warnLines.some((line) => line.requestId === requestId), 5000, 'its log line');
        expect({ kind: request.kind, lines: warnLines.filter((line) => line.requestId === requestId).map((line) => line.msg) }).toEqual({ kind: request.kind, lines: ['database unreachable'] });
        // with what failed, not its stack (the same frames on every request an outage meets)
        const line = warnLines.find((l) => l.requestId === requestId)!;
        expect({ kind: request.kind, failure: line.failure, stack: JSON.stringify(line).includes('"stack"') }).toEqual({ kind: request.kind, failure: { type: expect.stringMatching(/^Mongo/), message: expect.any(String) }, stack: false });
        // ended by the selection timeout (the database is unreachable), not by the request's deadline
        expect({ kind: request.kind, deadline: DEADLINE_MESSAGE.test(result.text!) }).toEqual({ kind: request.kind, deadline: false });
        latencies.push(result.ms);
      }
      // a credentialed GraphQL request fails before execution: HTTP 503 with Retry-After
      const graphql = await send(gw.url, REQUESTS[1]);
      expect(graphql.status).toBe(503);
      expect(graphql.headers!.get('retry-after')).toBe('5');
      measured.readWhileDownMaxMs = Math.max(...latencies, graphql.ms);
      expect(measured.readWhileDownMaxMs).toBeLessThan(3 * SELECTION_TIMEOUT_MS);
    });

    it('a request waits for the database once: after an outage, its later reads fail at once (graphql-js\'s second run of an answer with errors among them)', async () => {
      const reads = { count: 0 };
      const reader = requestReader(reads);
      const sessions = gw.database.db.collection('sessions');
      const first = Date.now();
      const failure = await reader.find(sessions, {}).catch((error: unknown) => error);
      const firstMs = Date.now() - first;
      expect({ failure: String(failure), code: toGatewayError(failure).code, firstMs }).toEqual({ failure: expect.any(String), code: 'SERVICE_UNAVAILABLE', firstMs: expect.any(Number) });
      const second = Date.now();
      await expect(reader.find(sessions, { name: 'another' })).rejects.toBe(failure);
      await expect(reader.each(sessions, {}, {}, () => undefined)).rejects.toBe(failure);
      // the first waited for the selection timeout; the others did not wait at all, nor were they sent
      expect(Date.now() - second).toBeLessThan(SELECTION_TIMEOUT_MS / 2);
      expect(reads.count).toBe(1);
    });

    it('a WebSocket connection with a token is closed with 1013 (try again later, which graphql-ws clients retry), and the refusals are logged once with a count', async () => {
      const closes = await Promise.all([1, 2, 3].map(() => new Promise<string>((resolve, reject) => {
        const socket = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
        socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } })));
        socket.once('close', (code, reason) => resolve(`${code} ${reason}`));
        socket.once('error', reject);
      })));
      expect(closes).toEqual(Array(3).fill('1013 The database is unreachable; retry shortly'));
      const refused = warnLines.filter((line) => line.msg === 'subscriptions refused' && String(line.cause).startsWith('connection: '));
      expect(refused).toEqual([expect.objectContaining({ count: 1 })]);
    });

    it('a subscribe the database cannot set up closes its connection with 1013 (reconnect and resume), not an answer without data that would end it', async () => {
      // anonymous: the handshake reads nothing; the subscribe's set-up reads the session
      const frames: Array<{ type: string }> = [];
      const closed = await new Promise<string>((resolve, reject) => {
        const socket = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
        socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
        socket.on('message', (raw) => {
          const frame = JSON.parse(String(raw));
          frames.push(frame);
          if (frame.type === 'connection_ack') {
            const query = 'subscription($id: ObjectId!, $after: ObjectId) { messageAdded(sessionId: $id, after: $after) { _id text } }';
            socket.send(JSON.stringify({ id: 'resume', type: 'subscribe', payload: { query, variables: { id: fixtures.sessions.publicChat.toHexString(), after: '000000000000000000000000' } } }));
          }
        });
        socket.once('close', (code, reason) => resolve(`${code} ${reason}`));
        socket.once('error', reject);
      });
      expect(closed).toBe('1013 The database did not answer; reconnect and resume');
      expect(frames.map((frame) => frame.type)).toEqual(['connection_ack']);
      await waitFor(() => warnLines.some((line) => line.msg === 'subscriptions refused' && line.cause === 'subscribe: The database is unreachable; retry shortly'), 5000, 'the refusal logged');
    });

    it('bad input is still a 400, not an outage', async () => {
      // (without a token: authenticating a token needs the database, and comes first)
      const result = await send(gw.url, gql('bad', 'query($id: ObjectId!) { session(_id: $id) { name } }', { id: { $ne: null } }, false));
      expect(result.status).toBe(400);
      expect(result.text).toMatch(/BAD_USER_INPUT/);
    });

    it('recovers by itself, with no restart, once the database is up', async () => {
      // its next attempt to connect: after the longest pause, lasting up to the selection timeout;
      // twice that, from the moment the data is back (filling the database is the test's own work)
      const RECOVERY_BOUND_MS = 2 * (LONGEST_RETRY_PAUSE_MS + SELECTION_TIMEOUT_MS);
      mongo = await startTestDatabase({ port });
      const up = Date.now();
      await seed(uri);
      const seeded = Date.now();
      await waitFor(async () => (await fetch(`${gw.url}/readyz`)).status === 200, 2 * RECOVERY_BOUND_MS, 'ready again');
      measured.readyAfterDatabaseUpMs = Date.now() - up;
      await waitFor(async () => classify(await send(gw.url, REQUESTS[0])) === 'ok', 2 * RECOVERY_BOUND_MS, 'REST answers');
      measured.servingAfterDatabaseUpMs = Date.now() - up;
      measured.servingAfterSeededMs = Date.now() - seeded;
      for (const request of REQUESTS) expect({ kind: request.kind, outcome: classify(await send(gw.url, request)) }).toEqual({ kind: request.kind, outcome: 'ok' });
      expect(measured.servingAfterSeededMs).toBeLessThan(RECOVERY_BOUND_MS);
    }, 40_000);
  });

  it('killed in the middle of a load: no crash, no hung request, only 200s and 503s, and recovery once it is back', async () => {
    const t: Record<string, number> = {};
    const sdam: string[] = [];
    if (process.env.OUTAGE_TIMELINE) {
      const c = gw.database.client;
      c.on('serverDescriptionChanged', (e) => sdam.push(`${Date.now()} sdc ${e.previousDescription.type} -> ${e.newDescription.type} ${e.newDescription.error?.message ?? ''}`));
      c.on('serverHeartbeatFailed', (e) => sdam.push(`${Date.now()} hbfail ${e.failure?.name} ${e.failure?.message} ${e.awaited}`));
      c.on('serverHeartbeatSucceeded', (e) => sdam.push(`${Date.now()} hbok ${e.awaited}`));
      c.on('serverHeartbeatStarted', (e) => sdam.push(`${Date.now()} hbstart ${e.awaited}`));
      c.on('connectionPoolCleared', (e) => sdam.push(`${Date.now()} poolCleared ${e.interruptInUseConnections}`));
      c.on('connectionPoolReady', () => sdam.push(`${Date.now()} poolReady`));
      c.on('topologyClosed', () => sdam.push(`${Date.now()} topologyClosed`));
    }
    let stop = false;
    let recoveredAt: number | undefined;
    const load = runLoad({
      baseUrl: gw.url,
      concurrency: 8,
      next: (i) => REQUESTS[i % REQUESTS.length],
      until: () => stop,
      abandonAfterMs: ANSWER_BOUND_MS + 3000,
      onResult: (r) => {
        if (recoveredAt === undefined && t.seeded !== undefined && r.startedAt >= t.seeded && classify(r) === 'ok') recoveredAt = r.endedAt;
      },
    });
    try {
      await sleep(1500);
      t.kill = Date.now();
      await mongo!.stop();
      await sleep(2500);
      t.restart = Date.now();
      mongo = await restartMongo(port);
      await seed(uri);
      t.seeded = Date.now();
      await waitFor(() => recoveredAt, 3 * WATCHDOG_MS, 'recovery under load').catch((error) => (t.failed = Date.now(), error));
      await sleep(1500);
    } finally {
      stop = true;
    }
    const results = await load;
    if (t.failed || process.env.OUTAGE_TIMELINE) console.log(`${timeline(results, t)}\n${sdam.join('\n')}`);
    const outcomes = results.map((r) => ({ r, outcome: classify(r) }));
    const count = (test: (o: { r: LoadResult; outcome: string }) => boolean) => outcomes.filter(test).length;

    measured.loadRequests = results.length;
    measured.loadOutageAnswers = count((o) => o.outcome === 'outage');
    measured.loadMaxLatencyMs = Math.max(...results.map((r) => r.endedAt - r.startedAt));
    measured.recoveryUnderLoadMs = recoveredAt! - t.restart;
    measured.recoveryAfterReseedMs = recoveredAt! - t.seeded;

    // every request got an HTTP answer, a well-formed one, in time (and nothing was logged as unexpected)
    const bad = outcomes.filter((o) => o.outcome.startsWith('bad')).map((o) => `${o.r.kind}: ${o.outcome}`).slice(0, 5);
    expect(bad.length > 0 ? [...bad, ...unexpectedLog.slice(0, 2)] : []).toEqual([]);
    expect(measured.loadMaxLatencyMs).toBeLessThan(ANSWER_BOUND_MS);
    // all was well before the kill, the kill was felt, and all is well again after recovery
    expect(count((o) => o.r.endedAt < t.kill && o.outcome !== 'ok')).toBe(0);
    expect(count((o) => o.r.endedAt < t.kill)).toBeGreaterThan(20);
    expect(measured.loadOutageAnswers).toBeGreaterThan(0);
    expect(count((o) => o.outcome === 'empty' && o.r.endedAt < t.restart)).toBe(0); // "empty" only once restarted, while refilling
    const after = outcomes.filter((o) => o.r.startedAt > recoveredAt!);
    expect(after.length).toBeGreaterThan(20);
    expect(after.filter((o) => o.outcome !== 'ok').map((o) => o.outcome)).toEqual([]);
    // at once when the driver's monitor sees the database back; at the watchdog's bound when it is stuck
    expect(measured.recoveryAfterReseedMs).toBeLessThan(2 * WATCHDOG_MS);
    // the process is alive and ready
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
  }, 40_000);

  describe('a database that takes commands and never answers (a frozen host)', () => {
    let proxy: TcpProxy;
    let viaProxy: InProcessGateway;
    beforeAll(async () => {
      proxy = await TcpProxy.start(port);
      viaProxy = await startGateway(`mongodb://127.0.0.1:${proxy.port}/agentcloud`);
    });
    afterAll(async () => {
      proxy?.setMode('pass');
      await viaProxy?.stop();
      await proxy?.close();
    });

    it('answers 503 at the request deadline, then recovers when the database answers again', async () => {
      expect(classify(await send(viaProxy.url, REQUESTS[0]))).toBe('ok');
      proxy.setMode('frozen');
      // a read on an open connection: only the request's deadline ends it
      const first = await send(viaProxy.url, REQUESTS[0]);
      expect(classify(first)).toBe('outage');
      // the deadline ended it (its message says so), and not before it: waited for up to its budget
      expect(first.text).toMatch(DEADLINE_MESSAGE);
      expect(first.ms).toBeGreaterThanOrEqual(0.9 * REQUEST_TIMEOUT_MS);
      expect(first.ms).toBeLessThan(ANSWER_BOUND_MS);
      // more at once: new connections time out in their handshake, or the deadline comes first
      const more = await Promise.all(REQUESTS.map((request) => send(viaProxy.url, request)));
      for (const result of more) {
        expect({ kind: result.kind, outcome: classify(result) }).toEqual({ kind: result.kind, outcome: 'outage' });
        expect(result.ms).toBeLessThan(ANSWER_BOUND_MS);
      }
      proxy.setMode('pass');
      measured.frozenDatabaseAnswerMs = Math.max(first.ms, ...more.map((r) => r.ms));
      await waitFor(async () => classify(await send(viaProxy.url, REQUESTS[1])) === 'ok', 10_000, 'answers again');
    }, 20_000);

    it('a slow database: reads that would end past the deadline are not waited for', async () => {
      proxy.setMode('slow', 700); // each answer 0.7 s late: the full graph's ~10 reads need ~7 s
      const result = await send(viaProxy.url, REQUESTS[1]);
      proxy.setMode('pass');
      expect(classify(result)).toBe('outage');
      expect(result.text).toMatch(DEADLINE_MESSAGE);
      expect(result.ms).toBeLessThan(ANSWER_BOUND_MS); // well short of the ~7 s the reads would take
      // logged as what it is: a slow database, not an unreachable one
      const requestId = result.headers!.get('x-request-id');
      await waitFor(() => warnLines.some((line) => line.requestId === requestId), 5000, 'its log line');
      expect(warnLines.filter((line) => line.requestId === requestId).map((line) => line.msg)).toEqual(['database too slow: the request deadline ran out']);
      const line = warnLines.find((l) => l.requestId === requestId)!;
      expect(line.failure).toMatchObject({ type: expect.any(String), message: expect.stringMatching(/\S/) });
      expect(JSON.stringify(line)).not.toContain('"stack"');
    }, 15_000);
  });

  describe('deadlines', () => {
    it('every read carries what is left of the request budget as maxTimeMS', async () => {
      const finds: CommandStartedEvent[] = [];
      const listener = (event: CommandStartedEvent) => event.commandName === 'find' && finds.push(event);
      gw.database.client.on('commandStarted', listener);
      try {
        expect(classify(await send(gw.url, REQUESTS[1]))).toBe('ok');
        expect(classify(await send(gw.url, REQUESTS[0]))).toBe('ok');
      } finally {
        gw.database.client.off('commandStarted', listener);
      }
      expect(finds.length).toBeGreaterThanOrEqual(10);
      // less what answering takes: the answer leaves within the budget, counted from the request's arrival
      for (const event of finds) {
        expect(event.command.maxTimeMS).toBeGreaterThan(0);
        expect(event.command.maxTimeMS).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS - answerAllowanceMs(REQUEST_TIMEOUT_MS));
      }
    });

    it('a deadline exceeded in the database or the driver is SERVICE_UNAVAILABLE (503 with Retry-After), not a 500', () => {
      const maxTime = new MongoServerError({ code: 50, codeName: 'MaxTimeMSExpired', errmsg: 'operation exceeded time limit' });
      const driver = new MongoOperationTimeoutError('Timed out during socket read');
      for (const error of [maxTime, driver, deadlineExceeded()]) {
        const safe = toGatewayError(error);
        expect(safe.code).toBe('SERVICE_UNAVAILABLE');
        expect(safe.message).toMatch(/did not answer within the time limit/);
      }
      expect(toGatewayError(new MongoNetworkError('connection reset')).code).toBe('SERVICE_UNAVAILABLE');
      const poolCleared = new MongoNetworkError('x');
      Object.defineProperty(poolCleared, 'name', { value: 'PoolClearedOnNetworkError' });
      expect(toGatewayError(poolCleared).code).toBe('SERVICE_UNAVAILABLE');
      expect(toGatewayError(new MongoServerError({ code: 11600, errmsg: 'interrupted at shutdown' })).code).toBe('SERVICE_UNAVAILABLE');
      // a long read's getMore reaching a server that restarted between its batches
      expect(toGatewayError(new MongoServerError({ code: 43, codeName: 'CursorNotFound', errmsg: 'cursor id 42 not found' })).code).toBe('SERVICE_UNAVAILABLE');
      // FerretDB's answer to the reads in flight when it shuts down: the server's failure, so an outage
      expect(toGatewayError(new MongoServerError({ code: 1, codeName: 'InternalError', errmsg: 'context canceled after delay' })).code).toBe('SERVICE_UNAVAILABLE');
      expect(toGatewayError(new MongoServerError({ code: 2, errmsg: 'BadValue' })).code).toBe('INTERNAL_SERVER_ERROR');
      expect(toGatewayError(new TypeError('x')).code).toBe('INTERNAL_SERVER_ERROR');
    });
  });
});

describe('npm start with MONGODB_URI at a closed port', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('starts, says 503 until the database is up, then serves without a restart; exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const uri = `mongodb://127.0.0.1:${port}/agentcloud`;
    const MAIN_SELECTION_TIMEOUT_MS = 1000; // and REQUEST_TIMEOUT_MS its default, 10 s
    const started = startMain(mainEnv({ MONGODB_URI: uri, JWT_SECRET: TEST_JWT_SECRET, DB_SERVER_SELECTION_TIMEOUT_MS: String(MAIN_SELECTION_TIMEOUT_MS) }));
    const url = await started.listening(15_000);
    expect(started.logs()).toContainEqual(expect.objectContaining({ msg: 'database unreachable at start; retrying in the background' }));
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    const rest = await send(url, REQUESTS[0]);
    expect(classify(rest)).toBe('outage');
    expect(rest.text).not.toMatch(DEADLINE_MESSAGE);
    expect(rest.ms).toBeLessThan(3 * MAIN_SELECTION_TIMEOUT_MS);

    const mongo = await startTestDatabase({ port });
    try {
      const up = Date.now();
      await seed(uri);
      await waitFor(async () => classify(await send(url, REQUESTS[0])) === 'ok', 10_000, 'serving');
      measured.mainServingAfterDatabaseUpMs = Date.now() - up;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect(started.logs()).toContainEqual(expect.objectContaining({ msg: 'database connected' }));
      started.child.kill('SIGTERM');
      const { code, signal } = await withTimeout(started.exited, 10_000, 'exit after SIGTERM');
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    } finally {
      await mongo.stop();
    }
  }, 40_000);
});
