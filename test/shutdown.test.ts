/**
 * Graceful shutdown (issue 6): on SIGTERM and SIGINT the gateway stops accepting connections, finishes
 * the requests in flight, closes idle keep-alive connections, closes the driver and the embedded
 * database, and exits 0 within SHUTDOWN_TIMEOUT_MS; past it, it force-closes connections and exits 1.
 *
 * First the module (src/server/shutdown.ts) on a plain HTTP server whose requests the test holds open;
 * then the built gateway (`node dist/src/main.js`), with requests made slow deterministically by a TCP
 * proxy that delays the database's answers, and the embedded demo on SIGINT.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { startSeededDatabase, type DatabaseServer } from './support/database';
import { createLogger } from '../src/observability/logger';
import { generateDemoData } from '../src/seed/generate';
import { signLoginToken } from '../src/auth/tokens';
import { listen } from '../src/server/listen';
import { createGracefulShutdown, type ShutdownResource } from '../src/server/shutdown';
import { TEST_JWT_SECRET } from './support/gateway';
import { ensureBuilt, killChildren, mainEnv, portIsOpen, startMain, TcpProxy, tryConnect } from './support/resilience';
import { sleep, withTimeout } from './support/wait';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const measured: Record<string, number> = {};
afterAll(() => {
  killChildren();
  console.log(`shutdown.test numbers: ${JSON.stringify(measured)}`);
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A request on its own connection (no keep-alive pool). Resolves `connected` once the TCP connection
 * is up, and `answer` with the response (or rejects with the connection's error).
 */
function open(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string; agent?: http.Agent }) {
  const { connected, answer, finish } = openHeld(url, options, false);
  finish();
  return { connected, answer };
}

/** A request whose body, when `held`, arrives in two parts: all but its last bytes now, the rest when `finish` is called. */
function openHeld(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string; agent?: http.Agent }, held = true) {
  const body = options.body ?? '';
  let onConnected!: () => void;
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  let req!: http.ClientRequest;
  const answer = new Promise<Answer>((resolve, reject) => {
    const headers = held ? { ...options.headers, 'content-length': String(Buffer.byteLength(body)) } : options.headers;
    req = http.request(new URL(options.path, url), { method: options.method ?? 'GET', headers, agent: options.agent ?? false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text, at: Date.now() }));
      res.on('error', reject);
    });
    req.on('socket', (socket) => (socket.connecting ? socket.once('connect', onConnected) : onConnected()));
    req.on('error', reject);
    if (held) req.write(body.slice(0, -8));
  });
  answer.catch(() => undefined); // observed by the test when it matters
  const finish = () => void (held ? req.end(body.slice(-8)) : req.end(options.body));
  return { connected, answer, finish };
}

describe('the shutdown module', () => {
  /** A server whose `/slow` requests wait until the test opens the gate. */
  async function heldServer() {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let arrived = 0;
    const { server, url } = await listen((req, res) => {
      if (req.url === '/slow') {
        arrived += 1;
        void gate.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"done":true}'));
      } else if (req.url === '/never') {
        arrived += 1; // never answered
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"fast":true}');
      }
    }, 0, '127.0.0.1');
    const port = (server.address() as AddressInfo).port;
    return { server, url, port, openGate: open, arrived: () => arrived };
  }

  function recordingResources(events: string[]): ShutdownResource[] {
    return ['graphql', 'driver', 'embedded'].map((name) => ({
      name,
      close: async () => {
        await sleep(5);
        events.push(`closed ${name}`);
      },
    }));
  }

  it('refuses new connections, closes idle keep-alive ones at once, finishes requests in flight, then closes the resources in order: code 0', async () => {
    const TIMEOUT_MS = 5000;
    const s = await heldServer();
    // an idle keep-alive connection (the server keeps those 65 s): it must not hold the shutdown up
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const warm = await open(s.url, { path: '/fast', agent }).answer;
    expect(warm.status).toBe(200);
    const idleSocket = Object.values(agent.freeSockets).flat()[0]!;
    const idleClosed = new Promise<number>((resolve) => idleSocket.once('close', () => resolve(Date.now())));

    // asked for on keep-alive connections: their answers, sent during the drain, still say `Connection: close`
    const keepAlive = new http.Agent({ keepAlive: true });
    const inFlight = [1, 2, 3].map(() => open(s.url, { path: '/slow', agent: keepAlive }));
    await Promise.all(inFlight.map((r) => r.connected));
    while (s.arrived() < 3) await sleep(5);

    const events: string[] = [];
    const startedAt = Date.now();
    const result = createGracefulShutdown({ server: s.server, timeoutMs: TIMEOUT_MS, logger, resources: recordingResources(events) }).shutdown('test');

    expect(await tryConnect(s.port)).toBe('ECONNREFUSED');
    // closed while the requests are still held (the gate opens below), and long before the bound
    // would force it: not left to the drain
    const idleClosedAt = await withTimeout(idleClosed, TIMEOUT_MS, 'closing the idle keep-alive connection');
    expect(idleClosedAt - startedAt).toBeLessThan(TIMEOUT_MS / 2);
    await sleep(100);
    expect(events).toEqual([]); // nothing closed while requests are in flight

    events.push('requests released');
    s.openGate();
    const answers = await Promise.all(inFlight.map((r) => r.answer));
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 200, body: '{"done":true}' });
      expect(answer.headers.connection).toBe('close');
    }
    expect(await result).toMatchObject({ code: 0, forced: false });
    expect(events).toEqual(['requests released', 'closed graphql', 'closed driver', 'closed embedded']);
    agent.destroy();
    keepAlive.destroy();
  });

  it('lets a large response ended before the shutdown finish leaving its socket, however slowly its client reads', async () => {
    // more than loopback's socket buffers hold, so that most of it still waits in the server's socket
    const BYTES = 32 * 1024 * 1024;
    let ended = 0;
    const { server, url } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BYTES) }).end(Buffer.alloc(BYTES, 120));
      ended += 1;
    }, 0, '127.0.0.1');
    const graceful = createGracefulShutdown({ server, timeoutMs: 10_000, logger });
    const { port } = new URL(url);
    // a client that asks, then reads nothing until the drain is under way
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.pause();
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /big HTTP/1.1\r\nHost: test\r\n\r\n');
    while (ended < 1) await sleep(5);
    const result = graceful.shutdown('test');
    await sleep(300); // the listener's close and several sweeps of idle connections
    socket.resume();
    await withTimeout(closed, 10_000, 'reading the whole response');
    const whole = Buffer.concat(received);
    const bodyStart = whole.indexOf('\r\n\r\n') + 4;
    expect(whole.subarray(0, bodyStart).toString()).toMatch(/^HTTP\/1\.1 200 /);
    expect(whole.length - bodyStart).toBe(BYTES);
    expect(await result).toMatchObject({ code: 0, forced: false });
  });

  it('closes a connection answered before its request body arrived once the rest has come, and never one with a pipelined request still to answer', async () => {
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let slowArrived = false;
    const { server, url } = await listen((req, res) => {
      if (req.url === '/refuse') res.writeHead(503, { 'content-type': 'text/plain' }).end('busy'); // the body left unread, as a shed request's
      else if (req.url === '/slow') {
        slowArrived = true;
        void gate.then(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('slow done'));
      } else res.writeHead(200, { 'content-type': 'text/plain' }).end('fast done');
    }, 0, '127.0.0.1');
    const graceful = createGracefulShutdown({ server, timeoutMs: 5000, logger });
    const port = Number(new URL(url).port);
    const connect = () => {
      const socket = net.connect(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      return { socket, text: () => text, closed };
    };
    // answered while most of its body is still to come; the rest arrives after the answer
    const refused = connect();
    refused.socket.write('POST /refuse HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000));
    while (!refused.text().includes('busy')) await sleep(5);
    refused.socket.write('x'.repeat(99_000));
    // two requests in one write: the first answered at once, the second held
    const pipelined = connect();
    pipelined.socket.write('GET /fast HTTP/1.1\r\nHost: test\r\n\r\nGET /slow HTTP/1.1\r\nHost: test\r\n\r\n');
    while (!slowArrived || !pipelined.text().includes('fast done')) await sleep(5);
    await sleep(50);
    const startedAt = Date.now();
    const result = graceful.shutdown('test');
    await withTimeout(refused.closed, 2000, 'closing the refused connection once its body is in');
    await sleep(300); // several sweeps while the pipelined request is held
    expect(pipelined.socket.destroyed).toBe(false);
    openGate();
    await withTimeout(pipelined.closed, 2000, 'the pipelined answer, then the close');
    expect(pipelined.text()).toContain('slow done');
    expect(await result).toMatchObject({ code: 0, forced: false });
    expect(Date.now() - startedAt).toBeLessThan(2500);
  });

  it('past the bound: destroys the connections still open, still closes the resources, code 1', async () => {
    const s = await heldServer();
    const stuck = open(s.url, { path: '/never' });
    await stuck.connected;
    while (s.arrived() < 1) await sleep(5);
    const events: string[] = [];
    const TIMEOUT_MS = 300;
    const startedAt = Date.now();
    const result = await createGracefulShutdown({ server: s.server, timeoutMs: TIMEOUT_MS, logger, resources: recordingResources(events) }).shutdown('test');
    const took = Date.now() - startedAt;
    expect(result).toMatchObject({ code: 1, forced: true });
    // at the bound (a timer may fire a millisecond early by Date.now()), and soon after it: the request
    // that is never answered would otherwise hold it up for good
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
    expect(took).toBeLessThan(10 * TIMEOUT_MS);
    await expect(stuck.answer).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(events).toEqual(['closed graphql', 'closed driver', 'closed embedded']);
  });

  it('a second signal while draining forces it at once', async () => {
    const s = await heldServer();
    const stuck = open(s.url, { path: '/never' });
    await stuck.connected;
    while (s.arrived() < 1) await sleep(5);
    const TIMEOUT_MS = 10_000;
    const graceful = createGracefulShutdown({ server: s.server, timeoutMs: TIMEOUT_MS, logger });
    const startedAt = Date.now();
    const first = graceful.shutdown('SIGINT');
    await sleep(50);
    const second = graceful.shutdown('SIGINT');
    expect(await first).toMatchObject({ code: 1, forced: true });
    expect(await second).toEqual(await first);
    expect(Date.now() - startedAt).toBeLessThan(TIMEOUT_MS / 2); // forced by the signal, not by the bound
  });
});

describe('the built gateway', () => {
  const data = generateDemoData();
  const { fixtures } = data;
  const token = signLoginToken(fixtures.accounts.owner, TEST_JWT_SECRET);
  const teamId = fixtures.teams.acmeMain.toHexString();
  const sessionId = fixtures.sessions.teamCrew.toHexString();
  const FULL_PAGE = `query($t: ObjectId!) { sessions(teamId: $t, first: 100) { edges { node {
    _id name status app { name crew { name } } tasks { name agent { name } tools { name } }
    agents { name model { name } tools { name } } tools { name } models { name } datasources { name } } } } }`;
  const graphqlRequest = (authorization: string, team: string) => ({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query: FULL_PAGE, variables: { t: team } }),
  });

  let mongo: DatabaseServer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    await ensureBuilt();
    mongo = await startSeededDatabase(data);
    proxy = await TcpProxy.start(mongo.port);
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await mongo?.stop();
  });

  const proxiedEnv = (env: NodeJS.ProcessEnv = {}) =>
    mainEnv({ MONGODB_URI: `mongodb://127.0.0.1:${proxy.port}/agentcloud`, JWT_SECRET: TEST_JWT_SECRET, ...env });

  it('SIGTERM: requests in flight complete with 200, new connections are refused, exit 0 within the bound', async () => {
    const SHUTDOWN_TIMEOUT_MS = 10_000; // the default, stated
    proxy.setMode('pass');
    const started = startMain(proxiedEnv({ SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) }));
    const url = await started.listening();
    const port = Number(new URL(url).port);

    // every database answer 150 ms late: a request (about 10 reads in a row) takes well over a second
    proxy.setMode('slow', 150);
    const requests = [
      ...[1, 2, 3].map(() => open(url, graphqlRequest(`Bearer ${token}`, teamId))),
      ...[1, 2, 3].map(() => open(url, { path: `/${teamId}/session/${sessionId}.json`, headers: { authorization: `Bearer ${token}` } })),
    ];
    await Promise.all(requests.map((r) => r.connected));
    await sleep(300); // received and waiting on the database
    const signalledAt = Date.now();
    started.child.kill('SIGTERM');
    await sleep(150);
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
    const settled = await Promise.allSettled(requests.map((r) => r.answer));
    proxy.setMode('pass');

    const answers = settled.map((s) => (s.status === 'fulfilled' ? s.value : { status: 0, body: String(s.reason), at: 0, headers: {} }));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.at).toBeGreaterThan(signalledAt); // they were in flight when the signal came
    }
    const graph = JSON.parse(answers[0].body) as { data: { sessions: { edges: Array<{ node: { name: string } }> } }; errors?: unknown };
    expect(graph.errors).toBeUndefined();
    expect(graph.data.sessions.edges.length).toBeGreaterThan(0);
    expect((JSON.parse(answers[3].body) as { session: { name: string } }).session.name).toBe('Team crew run');

    const { code, signal, at } = await withTimeout(started.exited, 15_000, 'exit after SIGTERM');
    expect({ code, signal }).toEqual({ code: 0, signal: null }); // 0: the drain ended within the bound, not forced
    measured.sigtermLastAnswerAfterSignalMs = Math.max(...answers.map((a) => a.at)) - signalledAt;
    measured.sigtermExitAfterSignalMs = at - signalledAt;
    expect(measured.sigtermExitAfterSignalMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    const logs = started.logs();
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'shutting down: no new connections, finishing requests in flight', reason: 'SIGTERM' }));
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'shut down', exitCode: 0 }));
    expect(started.stderr()).toBe('');
  }, 30_000);

  it('SIGTERM with SHUTDOWN_READY_DELAY_MS: /readyz says 503 at once while requests are still served, then the drain', async () => {
    const READY_DELAY_MS = 1500;
    proxy.setMode('pass');
    const started = startMain(proxiedEnv({ SHUTDOWN_READY_DELAY_MS: String(READY_DELAY_MS) }));
    const url = await started.listening();
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    proxy.setMode('slow', 100); // a request takes about a second
    const inFlight = open(url, { path: `/${teamId}/session/${sessionId}.json`, headers: { authorization: `Bearer ${token}` } });
    await inFlight.connected;
    await sleep(200);
    const signalledAt = Date.now();
    started.child.kill('SIGTERM');
    await sleep(100);
    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(readyz.headers.get('retry-after')).toBe('5');
    proxy.setMode('pass');
    // still served during the delay: the probes and new requests alike
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const fresh = await fetch(`${url}/${teamId}/session/${sessionId}.json`, { headers: { authorization: `Bearer ${token}` } });
    expect(fresh.status).toBe(200);
    expect((await inFlight.answer).status).toBe(200);
    const { code, at } = await withTimeout(started.exited, 15_000, 'exit after SIGTERM');
    expect(code).toBe(0);
    expect(at - signalledAt).toBeGreaterThanOrEqual(READY_DELAY_MS);
    expect(started.logs()).toContainEqual(expect.objectContaining({ msg: 'shutting down: /readyz says 503, requests are still served', delayMs: READY_DELAY_MS }));
  }, 30_000);

  it('SIGINT on the embedded demo: concurrent full-graph pages under way at the signal complete with 200, the embedded database stops, exit 0', async () => {
    const started = startMain(mainEnv());
    const url = await started.listening();
    const out = started.stdout();
    const demoToken = /^\s*Token:\s+(\S+)/m.exec(out)?.[1];
    const databaseUri = /^\s*Database:\s+(\S+)/m.exec(out)?.[1];
    const demoTeam = /\/([0-9a-f]{24})\/session\/[0-9a-f]{24}\.json/.exec(out)?.[1];
    expect({ demoToken, databaseUri, demoTeam }).toEqual({ demoToken: expect.any(String), databaseUri: expect.any(String), demoTeam: expect.any(String) });

    // under way at the signal: their headers and most of their bodies read, the rest sent after it
    const requests = Array.from({ length: 8 }, () => openHeld(url, graphqlRequest(`Bearer ${demoToken}`, demoTeam!)));
    await Promise.all(requests.map((r) => r.connected));
    await sleep(400); // received by the server (a request still unread when the listener closes may be reset)
    const signalledAt = Date.now();
    started.child.kill('SIGINT');
    await sleep(200);
    for (const request of requests) request.finish();
    const answers = await Promise.all(requests.map((r) => r.answer));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).errors).toBeUndefined();
      expect(JSON.parse(answer.body).data.sessions.edges.length).toBeGreaterThan(0);
      expect(answer.at).toBeGreaterThan(signalledAt);
    }
    const { code, signal, at } = await withTimeout(started.exited, 15_000, 'exit after SIGINT');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    measured.sigintAnsweredAfterSignal = answers.filter((a) => a.at > signalledAt).length;
    measured.sigintExitAfterSignalMs = at - signalledAt;
    expect(await portIsOpen(Number(new URL(databaseUri!).port))).toBe(false);
    expect(started.stderr()).toBe('');
  }, 30_000);

  it('past SHUTDOWN_TIMEOUT_MS (a request stuck on a frozen database): connections force-closed, exit 1', async () => {
    const SHUTDOWN_TIMEOUT_MS = 1000;
    proxy.setMode('pass');
    const started = startMain(proxiedEnv({ SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), REQUEST_TIMEOUT_MS: '60000' }));
    const url = await started.listening();
    proxy.setMode('frozen');
    const stuck = open(url, { path: `/${teamId}/session/${sessionId}.json`, headers: { authorization: `Bearer ${token}` } });
    await stuck.connected;
    await sleep(300);
    const signalledAt = Date.now();
    started.child.kill('SIGTERM');
    await expect(stuck.answer).rejects.toThrow(/socket hang up|ECONNRESET/);
    const { code, signal, at } = await withTimeout(started.exited, 15_000, 'forced exit');
    proxy.setMode('pass');
    expect({ code, signal }).toEqual({ code: 1, signal: null });
    measured.forcedExitAfterSignalMs = at - signalledAt;
    // at the bound, then the driver and the embedded database closed (a second each at most): a wide
    // multiple of the bound, far below the request's own 60 s
    expect(measured.forcedExitAfterSignalMs).toBeGreaterThanOrEqual(SHUTDOWN_TIMEOUT_MS);
    expect(measured.forcedExitAfterSignalMs).toBeLessThan(8 * SHUTDOWN_TIMEOUT_MS);
    expect(started.logs()).toContainEqual(expect.objectContaining({ msg: 'shut down, forced', exitCode: 1 }));
  }, 30_000);
});
