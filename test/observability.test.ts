/**
 * What operators see (issue 6): GET /metrics in Prometheus text (requests and latency by route pattern
 * and by GraphQL operation, database commands per request, DataLoader batch sizes, errors by code,
 * driver commands, the process's default metrics), bounded labels, the security headers on JSON and on
 * the IDE page, and the JSON access log, which holds neither a stored secret nor a bearer token.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { ObjectId } from 'mongodb';
import { signApiKeyToken } from '../src/auth/tokens';
import { GatewayMetrics } from '../src/observability/metrics';
import { IDE_CONTENT_SECURITY_POLICY } from '../src/ide';
import { startGatewayApp, startTestGateway, TEST_JWT_SECRET, type TestGateway } from './support/gateway';
import { FULL_GRAPH } from './support/queries';
import { sleep, waitFor } from './support/wait';

const FULL_SESSION_QUERY = `query FullSession($id: ObjectId!) { session(_id: $id) { ${FULL_GRAPH} } }`;

/** Everything the gateway logs, one JSON line per entry. */
const logLines: string[] = [];
const logStream = { write: (chunk: string) => void logLines.push(...chunk.split('\n').filter(Boolean)) };

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ logStream });
});
afterAll(() => gw?.stop());

const teamPath = (team: ObjectId, session: ObjectId) => `/${team.toHexString()}/session/${session.toHexString()}.json`;
const sharePath = (team: ObjectId, session: ObjectId) => `/s${teamPath(team, session)}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

// --- Prometheus text -------------------------------------------------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

class Scrape {
  constructor(readonly text: string, readonly samples: Sample[]) {}

  /** The sum of the samples named `name` whose labels include `labels` (0 when there is none). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.matching(name, labels).reduce((sum, sample) => sum + sample.value, 0);
  }

  matching(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }
}

async function scrape(url = gw.metricsUrl!): Promise<Scrape> {
  await sleep(5); // let the last response's 'finish' run
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return new Scrape(text, parseMetrics(text));
}

/** Runs `fn` and returns the metrics before and after, and a delta helper. */
async function measure<T>(fn: () => Promise<T>) {
  const before = await scrape();
  const result = await fn();
  const after = await scrape();
  const delta = (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);
  return { result, before, after, delta };
}

const REST_ROUTE = '/:resourceSlug/session/:sessionId.json';
const SHARE_ROUTE = '/s/:resourceSlug/session/:sessionId.json';

describe('GET /metrics', () => {
  it('serves the Prometheus text format, with the process default metrics and ours', async () => {
    const response = await fetch(`${gw.metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    const ours: Array<[string, string]> = [
      ['http_requests_total', 'counter'],
      ['http_request_duration_seconds', 'histogram'],
      ['graphql_operations_total', 'counter'],
      ['graphql_operation_duration_seconds', 'histogram'],
      ['graphql_errors_total', 'counter'],
      ['db_commands_per_request', 'histogram'],
      ['dataloader_batch_size', 'histogram'],
      ['db_commands_total', 'counter'],
    ];
    for (const [name, type] of ours) expect(text).toContain(`# TYPE ${name} ${type}\n`);
    expect(() => parseMetrics(text)).not.toThrow();
  });

  it('counts REST requests by route pattern, method and status, with their latency and database commands', async () => {
    const f = gw.fixtures;
    const { result, delta, after } = await measure(async () => [
      await gw.get(teamPath(f.teams.acmeMain, f.sessions.teamCrew), bearer(gw.tokenFor('member'))),
      await gw.get(sharePath(f.teams.acmeMain, f.sessions.publicChat)),
      await gw.get('/healthz'),
      await gw.get(teamPath(f.teams.acmeMain, f.sessions.teamCrew)), // no token: 401
    ]);
    expect(result.map((r) => r.status)).toEqual([200, 200, 200, 401]);
    expect(delta('http_requests_total', { route: REST_ROUTE, method: 'GET', status: '200' })).toBe(1);
    expect(delta('http_requests_total', { route: REST_ROUTE, method: 'GET', status: '401' })).toBe(1);
    expect(delta('http_requests_total', { route: SHARE_ROUTE, method: 'GET', status: '200' })).toBe(1);
    expect(delta('http_requests_total', { route: '/healthz', method: 'GET', status: '200' })).toBe(1);
    expect(delta('http_request_duration_seconds_count', { route: REST_ROUTE, method: 'GET', status: '200' })).toBe(1);
    expect(delta('http_request_duration_seconds_sum', { route: REST_ROUTE, method: 'GET', status: '200' })).toBeGreaterThan(0);
    // the full REST body: the caller's account, then one find per collection
    // (the anonymous 401 is observed too: it read nothing)
    expect(delta('db_commands_per_request_sum', { route: REST_ROUTE })).toBe(10);
    expect(delta('db_commands_per_request_count', { route: REST_ROUTE })).toBe(2);
    expect(delta('db_commands_per_request_bucket', { route: REST_ROUTE, le: '0' })).toBe(1);
    expect(delta('db_commands_per_request_count', { route: SHARE_ROUTE })).toBe(1);
    // never the raw path
    expect(after.text).not.toContain(f.sessions.teamCrew.toHexString());
    expect(after.text).not.toContain(f.teams.acmeMain.toHexString());
  });

  it('logs and counts a request whose body took too long to arrive as the 408 it was answered, not as a client gone (499)', async () => {
    const lines: string[] = [];
    const slow = await startTestGateway({ logStream: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) }, serverTimeouts: { requestTimeoutMs: 1_000 } });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port: Number(new URL(slow.url).port) });
        let text = '';
        socket.on('connect', () => socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nX-Request-Id: slow-body-1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":'));
        socket.on('data', (chunk) => (text += chunk.toString('latin1')));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
        socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      await waitFor(() => lines.some((l) => l.includes('slow-body-1')), 5_000, 'the access line');
      const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === 'slow-body-1' && l.msg === 'request');
      expect(line).toMatchObject({ status: 408, route: '/graphql' });
      expect(line).not.toHaveProperty('aborted');
      const scraped = await scrape(slow.metricsUrl);
      expect(scraped.value('http_requests_total', { route: '/graphql', status: '408' })).toBe(1);
      expect(scraped.value('http_requests_total', { status: '499' })).toBe(0);
    } finally {
      await slow.stop();
    }
  });

  it('counts and logs a HEAD to /graphql as a HEAD, though it is served as a GET', async () => {
    const path = `/graphql?query=${encodeURIComponent('{ __typename }')}`;
    const { result, delta } = await measure(() => fetch(gw.url + path, { method: 'HEAD', headers: { 'apollo-require-preflight': 'true', 'x-request-id': 'head-probe-1' } }));
    expect(result.status).toBe(200);
    expect(delta('http_requests_total', { route: '/graphql', method: 'HEAD', status: '200' })).toBe(1);
    expect(delta('http_requests_total', { route: '/graphql', method: 'GET' })).toBe(0);
    const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === 'head-probe-1' && l.msg === 'request');
    expect(line).toMatchObject({ method: 'HEAD', status: 200, route: '/graphql' });
  });

  it('counts GraphQL operations by name and outcome; a full session graph is 10 database commands, in batches', async () => {
    const { result, delta, after } = await measure(() =>
      gw.graphql(FULL_SESSION_QUERY, { id: gw.fixtures.sessions.teamCrew.toHexString() }, gw.tokenFor('member')),
    );
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.session.tasks).toHaveLength(3);

    expect(delta('graphql_operations_total', { operation: 'FullSession', outcome: 'success' })).toBe(1);
    expect(delta('graphql_operation_duration_seconds_count', { operation: 'FullSession', outcome: 'success' })).toBe(1);
    expect(delta('http_requests_total', { route: '/graphql', method: 'POST', status: '200' })).toBe(1);

    // db_commands_per_request observed once, with the value 10
    expect(delta('db_commands_per_request_count', { route: '/graphql' })).toBe(1);
    expect(delta('db_commands_per_request_sum', { route: '/graphql' })).toBe(10);
    expect(delta('db_commands_per_request_bucket', { route: '/graphql', le: '8' })).toBe(0);
    expect(delta('db_commands_per_request_bucket', { route: '/graphql', le: '10' })).toBe(1);

    // the driver saw the same 10 finds
    expect(delta('db_commands_total', { command: 'find' })).toBe(10);

    // every read was one DataLoader batch: 10 batches, one per collection
    expect(delta('dataloader_batch_size_count')).toBe(10);
    for (const collection of ['accounts', 'sessions', 'apps', 'crews', 'tasks', 'agents', 'tools', 'variables', 'datasources', 'models']) {
      expect({ collection, batches: delta('dataloader_batch_size_count', { collection }) }).toEqual({ collection, batches: 1 });
    }
    expect(delta('dataloader_batch_size_sum', { collection: 'sessions' })).toBe(1);
    expect(delta('dataloader_batch_size_sum', { collection: 'tasks' })).toBe(3);
    expect(delta('dataloader_batch_size_sum', { collection: 'agents' })).toBeGreaterThanOrEqual(2);
    expect(after.matching('dataloader_batch_size_bucket', { collection: 'tasks', le: '+Inf' })).toHaveLength(1);
  });

  it('labels unnamed operations `anonymous` and odd names `invalid`, and caps the number of names', async () => {
    const longName = `Q${'x'.repeat(64)}`; // a valid GraphQL name, too long for a label
    const { delta, after } = await measure(async () => {
      await gw.graphql('{ __typename }');
      await gw.graphql(`query ${longName} { __typename }`);
    });
    expect(delta('graphql_operations_total', { operation: 'anonymous', outcome: 'success' })).toBe(1);
    expect(delta('graphql_operations_total', { operation: 'invalid', outcome: 'success' })).toBe(1);
    expect(after.text).not.toContain(longName);

    const metrics = new GatewayMetrics({ maxOperationNames: 2 });
    try {
      expect(['One', 'Two', 'Three', 'One', '', null, 'has space', '9lives'].map((name) => metrics.operationLabel(name))).toEqual([
        'One', 'Two', 'other', 'One', 'anonymous', 'anonymous', 'invalid', 'invalid',
      ]);
    } finally {
      metrics.close();
    }
  });

  it('counts errors by code: BAD_USER_INPUT, UNAUTHENTICATED from a resolver and from a bad token', async () => {
    const team = gw.fixtures.teams.acmeMain.toHexString();
    const { result, delta } = await measure(async () => [
      await gw.graphql('query BadId { session(_id: "not-an-id") { name } }'),
      await gw.graphql('query Sessions($team: ObjectId!) { sessions(teamId: $team) { nodes { _id } } }', { team }),
      await gw.graphql('query Who { viewer { name } }', undefined, 'not-a-jwt'),
    ]);
    const codes = result.map((r) => r.body.errors?.[0]?.extensions?.code);
    expect(codes).toEqual(['BAD_USER_INPUT', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(delta('graphql_errors_total', { code: 'BAD_USER_INPUT' })).toBe(1);
    expect(delta('graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBe(2);
    expect(delta('graphql_errors_total')).toBe(3);
    expect(delta('graphql_operations_total', { operation: 'BadId', outcome: 'error' })).toBe(1);
    expect(delta('graphql_operations_total', { operation: 'Sessions', outcome: 'error' })).toBe(1);
    // the bad token fails before Apollo runs the operation: still counted, under its name
    expect(delta('graphql_operations_total', { operation: 'Who', outcome: 'error' })).toBe(1);
    expect(delta('http_requests_total', { route: '/graphql', method: 'POST', status: '401' })).toBe(1);
  });

  it('counts a request refused before any operation ran (a body Apollo Server turns away, one too large) as a failed operation', async () => {
    const post = (body: string) => fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    logLines.length = 0;
    const { result, delta } = await measure(async () => [
      await post('{"query":"query VariablesAsText { __typename }","variables":"{}"}'),
      await post('{"query":"query NameNotText { __typename }","operationName":5}'),
      await post(JSON.stringify({ query: `query TooLarge { __typename } # ${'x'.repeat(200_000)}` })),
    ]);
    expect(result.map((response) => response.status)).toEqual([400, 400, 413]);
    expect(delta('graphql_operations_total', { operation: 'VariablesAsText', outcome: 'error' })).toBe(1);
    expect(delta('graphql_operations_total', { operation: 'NameNotText', outcome: 'error' })).toBe(1);
    // its body was not read: no name to give it
    expect(delta('graphql_operations_total', { operation: 'anonymous', outcome: 'error' })).toBe(1);
    await waitFor(() => logLines.filter((line) => line.includes('"msg":"request"')).length >= 3, 5000, 'the access lines');
    const access = logLines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'request');
    expect(access.map((line) => [line.operation, line.outcome, line.status])).toEqual([
      ['VariablesAsText', 'error', 400],
      ['NameNotText', 'error', 400],
      ['anonymous', 'error', 413],
    ]);
  });

  it('counts and logs an answer refused for MAX_RESPONSE_BYTES as the failed operation it is (it was a success)', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const small = await startTestGateway({ scale: 0, logLevel: 'info', logStream: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean).map((line) => JSON.parse(line))) }, app: { budgets: { maxResponseBytes: 300 } } });
    try {
      const before = await scrape(small.metricsUrl);
      const answer = await small.graphql(`query BigAnswer { session(_id: "${small.fixtures.sessions.teamCrew.toHexString()}") { name tasks { name description } agents { name role goal backstory } } }`, {}, small.tokenFor('member'));
      expect(answer.status).toBe(400);
      expect(answer.body.errors![0].extensions!.code).toBe('QUERY_TOO_COMPLEX');
      const after = await scrape(small.metricsUrl);
      const delta = (name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
      expect(delta('graphql_operations_total', { operation: 'BigAnswer', outcome: 'error' })).toBe(1);
      expect(delta('graphql_operations_total', { operation: 'BigAnswer', outcome: 'success' })).toBe(0);
      expect(delta('graphql_errors_total', { code: 'QUERY_TOO_COMPLEX' })).toBe(1);
      await waitFor(() => lines.some((line) => line.msg === 'request'), 5000, 'the access line');
      expect(lines.filter((line) => line.msg === 'request').map((line) => [line.operation, line.outcome, line.status])).toEqual([['BigAnswer', 'error', 400]]);
    } finally {
      await small.stop();
    }
  });

  it('keeps routes bounded: 100 unknown paths make one `unmatched` series', async () => {
    const paths = Array.from({ length: 100 }, (_, i) => `/${randomUUID()}/${i}/x${randomUUID().slice(0, 8)}.json`);
    const { result, before, after } = await measure(() => Promise.all(paths.map((path) => gw.get(path))));
    expect(result.every((r) => r.status === 404)).toBe(true);
    const unmatched = after.matching('http_requests_total', { route: 'unmatched' });
    expect(unmatched.map((s) => s.labels)).toEqual([{ route: 'unmatched', method: 'GET', status: '404' }]);
    expect(after.value('http_requests_total', { route: 'unmatched' }) - before.value('http_requests_total', { route: 'unmatched' })).toBe(100);
    for (const path of paths.slice(0, 10)) expect(after.text).not.toContain(path.split('/')[1]);
    const routes = new Set(after.matching('http_requests_total').map((s) => s.labels.route));
    expect([...routes].every((route) => route === 'unmatched' || route.startsWith('/'))).toBe(true);
    expect(routes.size).toBeLessThanOrEqual(8);
  });

  it('keeps one registry per app, and none when metrics are off (METRICS_ENABLED=false)', async () => {
    const other = await startApp({ metricsEnabled: true });
    const off = await startApp({ metricsEnabled: false });
    try {
      const before = await scrape();
      await fetch(`${other.url}/healthz`);
      await fetch(`${other.url}/healthz`);
      const theirs = await scrape(other.metricsUrl!);
      expect(theirs.value('http_requests_total', { route: '/healthz' })).toBe(2);
      const ours = await scrape();
      expect(ours.value('http_requests_total', { route: '/healthz' })).toBe(before.value('http_requests_total', { route: '/healthz' }));
      expect(off.metricsUrl).toBeUndefined();
      const response = await fetch(`${off.url}/metrics`);
      expect(response.status).toBe(404);
      expect((await fetch(`${off.url}/healthz`)).status).toBe(200);
    } finally {
      await other.stop();
      await off.stop();
    }
  });
});

/** Another app on the test gateway's database, with its own options. */
function startApp(options: { metricsEnabled?: boolean; hstsMaxAge?: number }) {
  return startGatewayApp({ db: gw.db, ...options });
}

// --- Security headers ------------------------------------------------------------------------------

/** A policy as directive name -> sorted values. */
function parsePolicy(policy: string): Map<string, string> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name, values.sort().join(' ')]),
  );
}

const EXPECTED_POLICY = new Map([
  ['default-src', "'none'"],
  ['script-src', "'self'"],
  ['style-src', "'self' 'unsafe-inline'"],
  ['img-src', "'self' data:"],
  ['font-src', "'self' data:"],
  ['connect-src', "'self'"],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-ancestors', "'none'"],
]);

function expectSecurityHeaders(what: string, headers: Headers): void {
  expect({ what, csp: parsePolicy(headers.get('content-security-policy') ?? '') }).toEqual({ what, csp: EXPECTED_POLICY });
  expect({ what, nosniff: headers.get('x-content-type-options') }).toEqual({ what, nosniff: 'nosniff' });
  expect({ what, referrer: headers.get('referrer-policy') }).toEqual({ what, referrer: 'no-referrer' });
  expect({ what, frame: headers.get('x-frame-options') }).toEqual({ what, frame: 'DENY' });
  expect({ what, poweredBy: headers.get('x-powered-by') }).toEqual({ what, poweredBy: null });
  expect({ what, hsts: headers.get('strict-transport-security') }).toEqual({ what, hsts: null });
  expect({ what, requestId: headers.get('x-request-id') }).toEqual({ what, requestId: expect.any(String) });
}

describe('security headers (helmet)', () => {
  it('are on every JSON answer: probes, REST, GraphQL, errors, metrics', async () => {
    const f = gw.fixtures;
    const answers: Array<[string, Headers]> = [
      ['healthz', (await gw.get('/healthz')).headers],
      ['REST', (await gw.get(teamPath(f.teams.acmeMain, f.sessions.teamCrew), bearer(gw.tokenFor('member')))).headers],
      ['REST 400', (await gw.get('/nope/session/nope.json', bearer(gw.tokenFor('member')))).headers],
      ['GraphQL', (await gw.graphql('{ __typename }')).headers],
      ['GraphQL 401', (await gw.graphql('{ __typename }', undefined, 'bad')).headers],
      ['404', (await gw.get('/nothing-here')).headers],
      ['/metrics on the API port: 404', (await gw.get('/metrics')).headers],
    ];
    for (const [what, headers] of answers) expectSecurityHeaders(what, headers);
  });

  it('are on the IDE page and its assets, with a policy that agrees with the page’s own meta policy', async () => {
    const page = await gw.get('/graphql', { accept: 'text/html' });
    expect(page.status).toBe(200);
    expectSecurityHeaders('IDE page', page.headers);
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(page.text)?.[1].replace(/&#39;|&apos;/g, "'") ?? '';
    expect(meta).toBe(IDE_CONTENT_SECURITY_POLICY);
    // every directive of the meta policy is in the header with the same sources: the two cannot disagree
    const header = parsePolicy(page.headers.get('content-security-policy')!);
    for (const [name, values] of parsePolicy(meta)) expect({ name, values: header.get(name) }).toEqual({ name, values });
    const script = /<script src="([^"]+)"/.exec(page.text)![1];
    const asset = await gw.get(script);
    expect(asset.status).toBe(200);
    expectSecurityHeaders('IDE asset', asset.headers);
  });

  it('sends Strict-Transport-Security only when configured (HSTS_MAX_AGE)', async () => {
    const app = await startApp({ hstsMaxAge: 15552000 });
    try {
      const response = await fetch(`${app.url}/healthz`);
      expect(response.headers.get('strict-transport-security')).toBe('max-age=15552000');
    } finally {
      await app.stop();
    }
  });
});

// --- Logs ------------------------------------------------------------------------------------------

describe('structured logs', () => {
  it('are JSON lines; each request ends with one access line; no stored secret and no bearer token appears', async () => {
    const f = gw.fixtures;
    const memberToken = gw.tokenFor('member');
    const ownerToken = gw.tokenFor('owner');
    const apiKeyToken = signApiKeyToken({ keyId: f.apikeys.memberKey, ownerId: f.accounts.member, version: 2 }, TEST_JWT_SECRET);
    const badToken = `${memberToken.slice(0, -4)}AAAA`;
    const tokens = [memberToken, ownerToken, apiKeyToken, badToken];
    const givenId = `trace-${randomUUID()}`;

    const calls: Array<{ requestId: string; route: string; status: number; operation?: string }> = [];
    const note = (r: { status: number; headers: Headers }, route: string, operation?: string) =>
      calls.push({ requestId: r.headers.get('x-request-id')!, route, status: r.status, operation });

    // sessions whose documents hold secrets (models' keys, datasources' settings, tools' env), with every kind of token
    for (const token of [memberToken, ownerToken, apiKeyToken]) {
      note(await gw.graphql(FULL_SESSION_QUERY, { id: f.sessions.teamCrew.toHexString() }, token), '/graphql', 'FullSession');
      note(await gw.get(teamPath(f.teams.acmeMain, f.sessions.teamCrew), bearer(token)), REST_ROUTE);
    }
    note(await gw.graphql('query Viewer { viewer { _id name email } }', undefined, ownerToken), '/graphql', 'Viewer');
    note(await gw.graphql('query Viewer { viewer { _id name email } }', undefined, badToken), '/graphql', 'Viewer');
    note(await gw.get(teamPath(f.teams.acmeMain, f.sessions.teamCrew), bearer(badToken)), REST_ROUTE);
    note(await gw.get(sharePath(f.teams.acmeMain, f.sessions.publicChat), bearer(ownerToken)), SHARE_ROUTE);
    const withId = await gw.get('/healthz', { 'x-request-id': givenId, authorization: `Bearer ${ownerToken}` });
    expect(withId.headers.get('x-request-id')).toBe(givenId);
    note(withId, '/healthz');
    // a GraphQL GET: the query string (which may carry variables) is not logged
    const get = await gw.get(`/graphql?query=${encodeURIComponent('query Get { __typename }')}&variables=${encodeURIComponent(JSON.stringify({ secret: f.secrets[0] }))}`, {
      accept: 'application/json',
      'apollo-require-preflight': 'true',
      authorization: `Bearer ${apiKeyToken}`,
    });
    expect(get.status).toBe(200);
    note(get, '/graphql', 'Get');

    // the access lines are written when the responses end
    const entries = async () => {
      for (let i = 0; i < 100; i += 1) {
        const parsed = logLines.map((line) => JSON.parse(line) as Record<string, any>);
        const ids = new Set(parsed.filter((e) => e.msg === 'request').map((e) => e.requestId));
        if (calls.every((c) => ids.has(c.requestId))) return parsed;
        await sleep(20);
      }
      throw new Error('access lines missing');
    };
    const parsed = await entries();

    // every line is JSON, from this service, with a level and a time
    for (const entry of parsed) expect(entry).toMatchObject({ service: 'session-gateway', level: expect.any(Number), time: expect.any(String), msg: expect.any(String) });
    // every access line has a request id, and each request has exactly one
    const requestLines = parsed.filter((e) => e.msg === 'request');
    for (const entry of requestLines) {
      expect(entry).toMatchObject({ requestId: expect.any(String), method: expect.any(String), route: expect.any(String), status: expect.any(Number), durationMs: expect.any(Number) });
      expect(entry.level).toBe(30); // info
    }
    for (const call of calls) {
      const lines = requestLines.filter((e) => e.requestId === call.requestId);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ route: call.route, status: call.status });
      expect({ route: call.route, operation: lines[0].operation }).toEqual({ route: call.route, operation: call.operation }); // none on a REST or probe line
    }
    const full = requestLines.find((e) => e.requestId === calls[0].requestId)!;
    expect(full).toMatchObject({ method: 'POST', route: '/graphql', operation: 'FullSession', outcome: 'success', status: 200, dbReads: 10 });
    expect(requestLines.find((e) => e.requestId === calls[1].requestId)).toMatchObject({ method: 'GET', route: REST_ROUTE, status: 200, dbReads: 10 });
    expect(requestLines.find((e) => e.requestId === givenId)).toMatchObject({ route: '/healthz', path: '/healthz' });

    // nothing secret, anywhere in the log
    const log = logLines.join('\n');
    expect(f.secrets.length).toBeGreaterThan(10);
    for (const secret of f.secrets) expect(log.includes(secret) ? secret : null).toBeNull();
    expect(log).not.toContain('SECRET-');
    for (const token of tokens) {
      expect(log.includes(token)).toBe(false);
      expect(log.includes(token.split('.')[2])).toBe(false); // not even the signature
    }
    expect(log).not.toMatch(/Bearer /i);
    expect(log).not.toContain(TEST_JWT_SECRET);
  });
});
