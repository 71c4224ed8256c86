/**
 * Quotas per caller: RATE_LIMIT_REQUESTS and RATE_LIMIT_COST per window, per account, API key or client
 * address; past either, 429 RATE_LIMITED with Retry-After (GraphQL and REST) and a refused subscribe.
 * With REDIS_URL two copies share one quota (a real redis-server, Debian's, installed by
 * scripts/ensure-redis.sh); Redis killed mid-test, both keep serving and count alone, one log line per
 * copy and a metric say so; Redis back, the counts are shared again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig } from '../src/config';
import { startGatewayApp, startTestGateway, type ServedApp, type TestGateway } from './support/gateway';
import { liveClient } from './support/live-client';
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

  it('refuses a subscribe past the quota over WebSocket', async () => {
    const client = liveClient(gw.url, gw.tokenFor('labsMember'));
    try {
      const query = 'subscription($id: ObjectId!) { sessionUpdated(_id: $id) { name } }';
      const id = gw.fixtures.sessions.publicChat.toHexString();
      const subscriptions = [0, 1, 2, 3].map(() => client.subscribe(query, { id }));
      await subscriptions[3].ended();
      expect(subscriptions[3].errors).toEqual([[expect.objectContaining({ extensions: { code: 'RATE_LIMITED' } })]]);
      expect(subscriptions.slice(0, 3).map((s) => s.errors)).toEqual([[], [], []]);
    } finally {
      await client.dispose();
    }
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

it('is configured by RATE_LIMIT_REQUESTS, RATE_LIMIT_COST, RATE_LIMIT_WINDOW_S and REDIS_URL', () => {
  expect(loadConfig({}).quotas).toBeUndefined();
  expect(loadConfig({ RATE_LIMIT_REQUESTS: '100' }).quotas).toEqual({ requests: 100, cost: undefined, windowS: 60, redisUrl: undefined });
  expect(loadConfig({ RATE_LIMIT_COST: '50000', RATE_LIMIT_WINDOW_S: '10', REDIS_URL: 'redis://redis:6379/0' }).quotas).toEqual({ requests: undefined, cost: 50_000, windowS: 10, redisUrl: 'redis://redis:6379/0' });
  expect(() => loadConfig({ RATE_LIMIT_REQUESTS: '0' })).toThrow(/RATE_LIMIT_REQUESTS must be a positive integer/);
  expect(() => loadConfig({ RATE_LIMIT_REQUESTS: '5', REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
});
