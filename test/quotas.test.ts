/**
 * Quotas per caller: RATE_LIMIT_REQUESTS and RATE_LIMIT_COST per window, per account, API key or client
 * address; past either, 429 RATE_LIMITED with Retry-After (GraphQL and REST) and a refused subscribe.
 * With REDIS_URL two copies share one quota (a real redis-server, Debian's, installed by
 * scripts/ensure-redis.sh); Redis killed mid-test, both keep serving and count alone, one log line per
 * copy and a metric say so; Redis back, the counts are shared again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { MemoryQuotaStore } from '../src/quotas/quota-store';
import { RedisQuotaStore } from '../src/quotas/redis-quota-store';
import { loadConfig } from '../src/config';
import jwt from 'jsonwebtoken';
import { signLoginToken } from '../src/auth/tokens';
import { startGatewayApp, startTestGateway, TEST_JWT_SECRET, type ServedApp, type TestGateway } from './support/gateway';
import WebSocket from 'ws';
import { liveClient, wsUrl } from './support/live-client';
import { freePort } from './support/resilience';
import { FULL_GRAPH } from './support/queries';
import { sleep, waitFor } from './support/wait';
import { createLogger } from '../src/observability/logger';

const WINDOW_S = 60;

function startRedis(port: number, more: string[] = []): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...more], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (/Ready to accept connections/.test(String(chunk))) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
}

async function post(url: string, query: string, token?: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

async function metric(metricsUrl: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('in one process (no REDIS_URL)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ app: { quotas: { requests: 3, cost: 2_000, windowS: WINDOW_S } } });
  }, 60_000);
  afterAll(() => gw?.stop());

  it('refuses a caller past its requests with 429 RATE_LIMITED and Retry-After, on GraphQL and REST, and no one else', async () => {
    const owner = gw.tokenFor('owner');
    for (let i = 0; i < 3; i++) expect((await post(gw.url, '{ viewer { name } }', owner)).status).toBe(200);
    const refused = await post(gw.url, '{ viewer { name } }', owner);
    expect(refused).toMatchObject({ status: 429, body: { errors: [{ message: expect.stringMatching(/more than 3 requests \(RATE_LIMIT_REQUESTS\) in 60 s/), extensions: { code: 'RATE_LIMITED' } }] } });
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(WINDOW_S);
    const rest = await gw.get(`/${gw.fixtures.teams.acmeMain.toHexString()}/session/${gw.fixtures.sessions.teamCrew.toHexString()}.json`, { authorization: `Bearer ${owner}` });
    expect({ status: rest.status, body: JSON.parse(rest.text), retryAfter: rest.headers.get('retry-after') }).toMatchObject({ status: 429, body: { code: 429, message: expect.stringMatching(/^Rate limited/) }, retryAfter: expect.stringMatching(/^\d+$/) });
    // without TRUST_PROXY, X-Forwarded-For names no one: a caller cannot pick a fresh address
    const spoofed = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${owner}`, 'x-forwarded-for': '203.0.113.99' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(spoofed.status).toBe(429);
    // another account, and anonymous callers (counted by address), have their own quotas
    expect((await post(gw.url, '{ viewer { name } }', gw.tokenFor('member'))).status).toBe(200);
    expect((await post(gw.url, '{ __typename }')).status).toBe(200);
    // the probes are never counted
    expect((await gw.get('/healthz')).status).toBe(200);
  });

  it('refuses a caller past its query cost, before the operation runs', async () => {
    const token = gw.tokenFor('teamAdmin');
    const page = `query Page($team: ObjectId!) { sessions(teamId: $team, first: 3) { edges { node { ${FULL_GRAPH} } } } }`;
    const first = await post(gw.url, page, token, { team: gw.fixtures.teams.acmeMain.toHexString() });
    expect(first.status).toBe(200);
    const second = await post(gw.url, page, token, { team: gw.fixtures.teams.acmeMain.toHexString() });
    expect(second).toMatchObject({ status: 429, body: { errors: [{ message: expect.stringMatching(/a query cost of 2000 \(RATE_LIMIT_COST\)/), extensions: { code: 'RATE_LIMITED' } }] } });
    expect(second.body.data).toBeUndefined();
  });

  it('refuses a subscribe past the quota over WebSocket; the handshake counts as a request', async () => {
    const client = liveClient(gw.url, gw.tokenFor('labsMember'));
    try {
      const query = 'subscription($id: ObjectId!) { sessionUpdated(_id: $id) { name } }';
      const id = gw.fixtures.sessions.publicChat.toHexString();
      const subscriptions = [0, 1, 2].map(() => client.subscribe(query, { id }));
      await subscriptions[2].ended();
      expect(subscriptions[2].errors).toEqual([[expect.objectContaining({ extensions: { code: 'RATE_LIMITED' } })]]);
      expect(subscriptions.slice(0, 2).map((s) => s.errors)).toEqual([[], []]);
    } finally {
      await client.dispose();
    }
    // past its quota, a caller opens no connection (and reads nothing): closed with 4429 and when to retry
    const { result: closed, byName } = await gw.countCommands(async () => {
      const again = liveClient(gw.url, gw.tokenFor('labsMember'));
      const event = await again.closed;
      await again.dispose();
      return event;
    });
    expect(closed).toEqual({ code: 4429, reason: expect.stringMatching(/^Rate limited: more than 3 requests \(RATE_LIMIT_REQUESTS\) in 60 s; retry in \d+ s$/) });
    expect(byName['find accounts'] ?? 0).toBe(0); // (the live engine may still be polling for the subscriptions just ended)
  });
});

describe('what counts, in one process', () => {
  const logLines: Array<Record<string, unknown>> = [];
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      app: { quotas: { requests: 4, cost: 30, windowS: WINDOW_S }, live: { refusalLogIntervalMs: 60_000 } },
      logStream: { write: (chunk: string) => void logLines.push(...chunk.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)) },
      logLevel: 'info',
    });
  }, 60_000);
  afterAll(() => gw?.stop());

  const page = (first: number) => `query($team: ObjectId!) { sessions(teamId: $team, first: ${first}) { edges { node { name } } } }`;

  it('an operation refused for its cost spends none of the cost quota: a smaller one that fits still runs', async () => {
    const token = gw.tokenFor('owner');
    const team = { team: gw.fixtures.teams.acmeMain.toHexString() };
    expect((await post(gw.url, page(20), token, team)).status).toBe(200); // cost 20 of 30
    expect((await post(gw.url, page(15), token, team)).status).toBe(429); // 35: refused, not spent
    expect((await post(gw.url, page(10), token, team)).status).toBe(200); // 30: fits
    expect((await post(gw.url, page(1), token, team))).toMatchObject({ status: 429, body: { errors: [{ message: expect.stringMatching(/a query cost of 30/) }] } });
  });

  it('counts one account (or key) once, whatever the case of the id in its token', async () => {
    const hex = gw.fixtures.accounts.member.toHexString();
    const lower = signLoginToken(gw.fixtures.accounts.member, TEST_JWT_SECRET);
    const upper = jwt.sign({ accountId: hex.toUpperCase() }, TEST_JWT_SECRET, { algorithm: 'HS256' });
    const statuses: number[] = [];
    for (const token of [lower, upper, lower, upper, upper]) statuses.push((await post(gw.url, '{ viewer { _id } }', token)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });

  it('counts a subscribe refused for its document as a request, as HTTP does, and logs such refusals by code', async () => {
    const client = liveClient(gw.url, gw.tokenFor('labsMember')); // the handshake: 1
    try {
      const tooDeep = `subscription($id: ObjectId!) { sessionUpdated(_id: $id) { ${'app { crew { '.repeat(7)}name${' } }'.repeat(7)} } }`;
      const refused = [client.subscribe(tooDeep, { id: gw.fixtures.sessions.publicChat.toHexString() }), client.subscribe('subscription { nope', {})];
      await Promise.all(refused.map((sub) => sub.ended()));
      expect(refused.map((sub) => (sub.errors[0] as Array<{ extensions: { code: string } }>)[0].extensions.code)).toEqual(['QUERY_TOO_COMPLEX', 'BAD_USER_INPUT']);
      // 3 of 4 spent: one subscribe passes, the next is past the quota
      const query = 'subscription($id: ObjectId!) { sessionUpdated(_id: $id) { name } }';
      const ok = client.subscribe(query, { id: gw.fixtures.sessions.publicChat.toHexString() });
      await ok.next(1);
      const over = client.subscribe(query, { id: gw.fixtures.sessions.publicChat.toHexString() });
      await over.ended();
      expect(over.errors).toEqual([[expect.objectContaining({ extensions: { code: 'RATE_LIMITED' } })]]);
    } finally {
      await client.dispose();
    }
    const causes = logLines.filter((line) => line.msg === 'subscriptions refused').map((line) => line.cause);
    expect(causes).toEqual(expect.arrayContaining(['subscribe: QUERY_TOO_COMPLEX', 'subscribe: BAD_USER_INPUT', 'subscribe: RATE_LIMITED']));
  });
});

describe('two copies sharing one Redis', () => {
  let gw: TestGateway;
  let second: ServedApp;
  let redis: ChildProcess;
  let redisPort: number;
  const logLines: string[] = [];
  const logStream = { write: (chunk: string) => void logLines.push(...chunk.split('\n').filter(Boolean)) };

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    const quotas = { requests: 4, windowS: WINDOW_S, redisUrl: `redis://127.0.0.1:${redisPort}` };
    gw = await startTestGateway({ app: { quotas } });
    second = await startGatewayApp({ db: gw.db, quotas, logger: createLogger('info', logStream) });
  }, 60_000);
  afterAll(async () => {
    await second?.stop();
    await gw?.stop();
    redis?.kill('SIGKILL');
  });

  it('counts in Redis as in one process: requests always, a cost only when neither quota is passed', async () => {
    const shared = new RedisQuotaStore({ url: `redis://127.0.0.1:${redisPort}` });
    await shared.ready(1_000);
    try {
      expect(shared.isShared).toBe(true);
      for (const store of [shared, new MemoryQuotaStore()]) {
        const caller = `test:${randomUUID()}`;
        const limits = { requests: 3, cost: 30 };
        const steps = [];
        for (const [requests, cost] of [[1, 20], [1, 15], [1, 10], [1, 1], [0, 0]]) steps.push(await store.add(caller, requests, cost, 60_000, limits));
        expect(steps.map(({ requests, cost, passed }) => ({ requests, cost, passed }))).toEqual([
          { requests: 1, cost: 20, passed: null },
          { requests: 2, cost: 20, passed: 'cost' },
          { requests: 3, cost: 30, passed: null },
          { requests: 4, cost: 30, passed: 'requests' },
          { requests: 4, cost: 30, passed: null },
        ]);
        expect(steps[0].resetInMs).toBeGreaterThan(59_000);
      }
    } finally {
      await shared.close();
    }
  });

  it('holds one quota for a caller whichever copy it calls; keeps serving while Redis is down; shares again once it is back', async () => {
    const token = gw.tokenFor('owner');
    const viewer = '{ viewer { name } }';
    expect(await metric(second.metricsUrl!, 'rate_limit_shared')).toBe(1);
    for (const url of [gw.url, second.url, gw.url, second.url]) expect((await post(url, viewer, token)).status).toBe(200);
    expect((await post(second.url, viewer, token)).status).toBe(429);
    expect((await post(gw.url, viewer, token)).status).toBe(429);

    // Redis gone: both copies keep serving, each counting alone from now on
    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    const during = gw.tokenFor('member');
    for (const url of [gw.url, second.url, gw.url, second.url]) expect((await post(url, viewer, during)).status).toBe(200);
    expect(await metric(second.metricsUrl!, 'rate_limit_shared')).toBe(0);
    const outage = logLines.filter((line) => /Redis unreachable: quotas are counted by this process/.test(line));
    expect(outage).toHaveLength(1);
    expect(JSON.parse(outage[0]).level).toBe(40); // warn, once per outage
    // alone, each copy holds the whole quota
    for (let i = 0; i < 2; i++) expect((await post(second.url, viewer, during)).status).toBe(200);
    expect((await post(second.url, viewer, during)).status).toBe(429);

    // Redis back (empty): shared counts again, once the client has reconnected
    redis = await startRedis(redisPort);
    const again = gw.tokenFor('appCreator');
    await waitFor(async () => (await post(second.url, '{ __typename }', again)).status === 200 && (await metric(second.metricsUrl!, 'rate_limit_shared')) === 1, 15_000, 'the second copy shares its counts again');
    await waitFor(async () => (await post(gw.url, '{ __typename }', again)).status === 200 && (await metric(gw.metricsUrl!, 'rate_limit_shared')) === 1, 15_000, 'the first copy shares its counts again');
    expect(logLines.some((line) => /Redis is back: quota counts are shared again/.test(line))).toBe(true);
    await sleep(10);
    const fresh = gw.tokenFor('sharedWith');
    for (const url of [gw.url, second.url, gw.url, second.url]) expect((await post(url, viewer, fresh)).status).toBe(200);
    expect((await post(gw.url, viewer, fresh)).status).toBe(429);
  }, 60_000);

  it('a Redis that stops answering (frozen, not gone) costs no request its command timeout: the copies count alone until it answers', async () => {
    const token = gw.tokenFor('teamAdmin');
    expect((await post(gw.url, '{ __typename }', token)).status).toBe(200);
    redis.kill('SIGSTOP');
    try {
      await post(gw.url, '{ __typename }', token); // the one that finds it frozen: its command times out (500 ms)
      const started = Date.now();
      for (let i = 0; i < 10; i++) await post(gw.url, '{ __typename }', gw.tokenFor('labsMember'));
      // two quota commands a GraphQL request: 10 s if each waited for the timeout
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(await metric(gw.metricsUrl!, 'rate_limit_shared')).toBe(0);
    } finally {
      redis.kill('SIGCONT');
    }
    await waitFor(async () => (await metric(gw.metricsUrl!, 'rate_limit_shared')) === 1, 10_000, 'shared again once Redis answers');
  }, 30_000);
});

describe('a Redis that answers but refuses the quota script (a read-only replica after a failover)', () => {
  it('is not taken for back every second: the copy counts alone, with one line for the outage', async () => {
    const port = await freePort();
    // a replica of a master that is not there: PING answers, writes are refused (READONLY)
    const replica = await startRedis(port, ['--replicaof', '127.0.0.1', '1']);
    const logLines: string[] = [];
    const gw = await startTestGateway({
      logStream: { write: (chunk: string) => void logLines.push(...chunk.split('\n').filter(Boolean)) },
      logLevel: 'info',
      app: { quotas: { requests: 100, windowS: WINDOW_S, redisUrl: `redis://127.0.0.1:${port}` } },
    });
    try {
      for (let i = 0; i < 4; i++) {
        expect((await post(gw.url, '{ __typename }', gw.tokenFor('member'))).status).toBe(200);
        await sleep(1000);
      }
      expect(logLines.filter((line) => /Redis is back/.test(line))).toEqual([]);
      expect(logLines.filter((line) => /Redis unreachable/.test(line))).toHaveLength(1);
      expect(await metric(gw.metricsUrl!, 'rate_limit_shared')).toBe(0);
    } finally {
      await gw.stop();
      replica.kill('SIGKILL');
    }
  }, 30_000);
});

describe('WebSocket handshakes with a token that is not valid', () => {
  it('count for their address, as such a request over HTTP does, before they are refused', async () => {
    const gw = await startTestGateway({ app: { quotas: { requests: 2, windowS: WINDOW_S } } });
    try {
      const handshake = () =>
        new Promise<number>((resolve, reject) => {
          const socket = new WebSocket(wsUrl(gw.url), 'graphql-transport-ws');
          socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: 'Bearer not-a-token' } })));
          socket.on('close', (code) => resolve(code));
          socket.on('error', reject);
        });
      expect([await handshake(), await handshake()]).toEqual([4403, 4403]);
      // the address's two requests are spent: the next handshake, and an anonymous request, are refused for it
      expect(await handshake()).toBe(4429);
      expect((await post(gw.url, '{ __typename }')).status).toBe(429);
    } finally {
      await gw.stop();
    }
  });
});

describe('anonymous callers behind trusted proxies (TRUST_PROXY)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ app: { quotas: { requests: 2, windowS: WINDOW_S }, trustedProxies: ['loopback'] } });
  }, 60_000);
  afterAll(() => gw?.stop());

  const anonymous = (forwardedFor: string) =>
    fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor }, body: JSON.stringify({ query: '{ __typename }' }) }).then((r) => r.status);

  it('counts each client the proxy names by its own address, over HTTP and in WebSocket handshakes', async () => {
    expect([await anonymous('203.0.113.7'), await anonymous('203.0.113.7'), await anonymous('203.0.113.7')]).toEqual([200, 200, 429]);
    expect([await anonymous('198.51.100.9'), await anonymous('10.0.0.1, 198.51.100.9')]).toEqual([200, 200]);
    expect(await anonymous('198.51.100.9')).toBe(429);
    const handshake = (forwardedFor: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = new WebSocket(wsUrl(gw.url), 'graphql-transport-ws', { headers: { 'x-forwarded-for': forwardedFor } });
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
        socket.on('message', (data) => {
          resolve(JSON.parse(String(data)).type as string);
          socket.close();
        });
        socket.on('close', (code) => resolve(`closed ${code}`));
        socket.on('error', reject);
      });
    expect(await handshake('203.0.113.7')).toBe('closed 4429');
    expect(await handshake('192.0.2.44')).toBe('connection_ack');
  });
});

it('is configured by RATE_LIMIT_REQUESTS, RATE_LIMIT_COST, RATE_LIMIT_WINDOW_S, REDIS_URL and TRUST_PROXY', () => {
  expect(loadConfig({}).trustedProxies).toBeUndefined();
  expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8 ,192.0.2.1' }).trustedProxies).toEqual(['loopback', '10.0.0.0/8', '192.0.2.1']);
  expect(() => loadConfig({ TRUST_PROXY: 'the-balancer' })).toThrow(/^TRUST_PROXY: .*the-balancer/);
  expect(loadConfig({}).quotas).toBeUndefined();
  expect(loadConfig({ RATE_LIMIT_REQUESTS: '100' }).quotas).toEqual({ requests: 100, cost: undefined, windowS: 60, redisUrl: undefined });
  expect(loadConfig({ RATE_LIMIT_COST: '50000', RATE_LIMIT_WINDOW_S: '10', REDIS_URL: 'redis://redis:6379/0' }).quotas).toEqual({ requests: undefined, cost: 50_000, windowS: 10, redisUrl: 'redis://redis:6379/0' });
  expect(() => loadConfig({ RATE_LIMIT_REQUESTS: '0' })).toThrow(/RATE_LIMIT_REQUESTS must be a positive integer/);
  expect(() => loadConfig({ RATE_LIMIT_REQUESTS: '5', REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
});
