/**
 * Fuzzing (issue 6): thousands of generated bad requests against one gateway, from a fixed PRNG seed
 * (FUZZ_SEED to try another, FUZZ_COUNT for more): broken JSON, wrong content types, huge strings (below
 * and above the body limit), deep nesting, alias bombs, unknown fields, operator objects where ids go
 * (variables, literals, REST paths, token claims), bad tokens, bad path parameters, bad methods, random
 * bytes (as bodies and as raw HTTP). Every answer must be a 4xx (the contract never allows a 5xx for bad
 * input) with a JSON error body (`errors` or `message`), and no stack trace or driver message. At the
 * end the process is alive and its heap bounded.
 *
 * The exact codes are left to the other tests (bad-input, query limits): here only the class and the
 * shape of each answer are checked.
 */
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import jwt from 'jsonwebtoken';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from './support/gateway';

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const COUNT = Number(process.env.FUZZ_COUNT ?? 2400);
const CONCURRENCY = 16;
const HEAP_BOUND_BYTES = 400 * 1024 * 1024;
/** Stack frames, source paths, driver names. */
const INTERNALS = /\s{4}at |\bat .*:\d+:\d+|\.ts:\d|\.js:\d|node_modules|\/work\/|mongo|E11000|BSON/i;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

// ---------------------------------------------------------------------------------------------------
// A seeded PRNG (mulberry32) and helpers

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(0, 255)));
  /** Printable junk that never spells a forbidden word (the answers may echo it). */
  const text = (n: number) => {
    const alphabet = 'abcdefghijklnpqrstuvwxyzACDEFHIJKLPQRTUVWXYZ0123456789 _-!#%&*()[]{}<>?,;|~^\'"\\/';
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[Math.floor(next() * alphabet.length)];
    return out;
  };
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[int(0, 15)]).join('');
  return { next, int, pick, bytes, text, hex };
}
type Rng = ReturnType<typeof prng>;

interface Case {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Sent as raw bytes on a TCP socket instead of through fetch. */
  raw?: Buffer;
}

const JSON_CT = { 'content-type': 'application/json' };

// ---------------------------------------------------------------------------------------------------
// Generators: each returns a request that is bad in one way (sometimes several)

function generators(r: Rng) {
  const f = gw.fixtures;
  const teamId = f.teams.acmeMain.toHexString();
  const sessionId = f.sessions.teamCrew.toHexString();
  const member = () => gw.tokenFor('member');
  const owner = () => gw.tokenFor('owner');
  const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
  const maybeAuth = () => (r.next() < 0.5 ? auth(r.pick([member(), owner()])) : {});
  const gql = (kind: string, query: string, variables?: unknown, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}): Case => ({
    kind,
    method: 'POST',
    path: '/graphql',
    headers: { ...JSON_CT, ...headers },
    body: JSON.stringify({ query, variables, ...extra }),
  });
  const SESSION_QUERY = 'query($id: ObjectId!) { session(_id: $id) { _id name app { name } } }';
  const validBody = () => JSON.stringify({ query: SESSION_QUERY, variables: { id: sessionId } });

  const OPERATORS: unknown[] = [
    { $ne: null }, { $gt: '' }, { $regex: '.*' }, { $where: 'sleep(1000)' }, { $in: [sessionId] }, { $exists: true },
    { $oid: sessionId }, { $nin: [] }, { _bsontype: 'ObjectId', id: 'abc' }, { toHexString: 'x' }, { __proto__: { polluted: true } },
    [sessionId], [{ $ne: null }], null, 0, -1, 1e308, true, '', ' ', `${sessionId}\u0000`, sessionId.toUpperCase(), 'constructor', '__proto__',
  ];
  const badId = () =>
    r.pick([
      () => r.hex(r.int(0, 23)),
      () => r.hex(r.int(25, 60)),
      () => r.hex(24).toUpperCase(),
      () => r.text(24),
      () => `${r.hex(12)}%00${r.hex(9)}`,
      () => '..%2F..%2Fetc%2Fpasswd',
      () => encodeURIComponent(JSON.stringify(r.pick(OPERATORS.filter((o) => typeof o === 'object')))),
      () => `${r.hex(24)}[$ne]`,
      () => '%E0%A4%A',
      () => '%',
      () => r.hex(r.int(1000, 6000)),
      () => encodeURIComponent(r.text(r.int(1, 40))),
      () => '%F0%9F%92%A9'.repeat(8),
    ])();

  /** A JWT with hostile content, signed with the right secret unless said otherwise. */
  const badToken = () =>
    r.pick([
      () => '',
      () => r.text(r.int(1, 200)).replace(/\s/g, ''),
      () => `${r.text(10)}.${r.text(10)}.${r.text(10)}`.replace(/\s/g, ''),
      () => jwt.sign({ accountId: f.accounts.member.toHexString() }, 'another-secret-that-is-long-enough-1234'),
      () => jwt.sign({ accountId: f.accounts.member.toHexString(), exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET),
      () => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ accountId: f.accounts.member.toHexString() })).toString('base64url')}.`,
      () => jwt.sign({ accountId: r.pick(OPERATORS) }, TEST_JWT_SECRET),
      () => jwt.sign({ accountId: r.hex(24) }, TEST_JWT_SECRET), // no such account
      () => jwt.sign({ keyId: r.pick(OPERATORS), version: r.pick(OPERATORS), ownerId: f.accounts.member.toHexString() }, TEST_JWT_SECRET),
      () => jwt.sign({ keyId: r.hex(24), version: 1, accountId: f.accounts.member.toHexString() }, TEST_JWT_SECRET), // no such key
      () => jwt.sign({ nothing: true }, TEST_JWT_SECRET),
      () => jwt.sign({ accountId: f.accounts.member.toHexString() }, TEST_JWT_SECRET, { algorithm: 'HS512' }),
      () => `${owner()}x`,
      () => 'x'.repeat(r.int(5000, 12_000)),
    ])();
  const badAuthorization = () =>
    r.pick([
      () => `Bearer ${badToken()}`,
      () => `Basic ${Buffer.from('admin:admin').toString('base64')}`,
      () => 'Bearer',
      () => `Bearer ${member()} ${member()}`,
      () => `bearer\t${badToken()}`,
      () => `Token ${member()}`,
      () => r.text(r.int(1, 100)),
    ])();

  /** The text, made invalid JSON if the junk happened to leave it valid. */
  const notJson = (text: string) => {
    try {
      JSON.parse(text);
      return `${text},`;
    } catch {
      return text;
    }
  };
  const brokenJson = (): Case => {
    const valid = validBody();
    const body = r.pick([
      () => valid.slice(0, r.int(0, valid.length - 1)),
      () => notJson(`${valid.slice(0, r.int(1, valid.length - 2))}${r.text(r.int(1, 5))}${valid.slice(r.int(1, valid.length - 1))}`),
      () => `{query: "{ __typename }"}`,
      () => `{"query": "{ __typename }",}`,
      () => `{"query": "{ __typename }"} ${r.text(3)}`,
      () => r.pick(['null', 'true', '42', '"string"', '[]', '[1,2]', '{}', 'NaN', 'undefined', '']),
      () => `{"query": ${'['.repeat(r.int(1, 3000))}`,
      () => `{"query": "{ __typename }" /* comment */}`,
      () => `{"query": "\\u00"}`,
      () => `{"query": "\\uD800"}`,
    ])();
    return { kind: 'broken JSON', method: 'POST', path: '/graphql', headers: { ...JSON_CT, ...maybeAuth() }, body };
  };

  const wrongContentType = (): Case => ({
    kind: 'wrong content type',
    method: 'POST',
    path: '/graphql',
    headers: {
      'content-type': r.pick([
        'text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'multipart/form-data', 'application/x-www-form-urlencoded',
        'application/graphql', 'application/json; charset=utf-16', 'application/json; charset=bogus', 'image/png', 'application/octet-stream',
        '*/*', ';;;', 'application/json, text/plain', 'application/jsonx', 'text/json',
      ]),
      ...(r.next() < 0.3 ? { 'apollo-require-preflight': 'true' } : {}),
      ...maybeAuth(),
    },
    body: r.next() < 0.5 ? `query=${encodeURIComponent('{ __typename }')}` : r.pick([validBody(), '{ __typename }', r.bytes(r.int(1, 300))]),
  });

  const hugeString = (): Case => {
    const size = r.pick([r.int(50_000, 95_000), r.int(100_000, 120_000), r.int(150_000, 400_000)]);
    return r.pick([
      () => gql('huge string: argument', `{ session(_id: "${r.hex(size)}") { name } }`, undefined, maybeAuth()),
      () => gql('huge string: variable', SESSION_QUERY, { id: 'a'.repeat(size) }, maybeAuth()),
      () => gql('huge string: query', `{ ${'__typename '.repeat(Math.floor(size / 11))} }`),
      () => gql('huge string: operation name', SESSION_QUERY, { id: sessionId }, {}, { operationName: 'x'.repeat(size) }),
      () => gql('huge string: unknown key', SESSION_QUERY, { id: r.hex(23) }, {}, { padding: 'p'.repeat(size) }),
      () => ({ kind: 'huge string: URL', method: 'GET', path: `/graphql?query=${'x'.repeat(r.int(10_000, 40_000))}`, headers: { 'apollo-require-preflight': 'true' } }),
      () => ({ kind: 'huge string: REST path', method: 'GET', path: `/${r.hex(r.int(2000, 30_000))}/session/${sessionId}.json`, headers: {} }),
      () => ({ kind: 'huge string: header', method: 'POST', path: '/graphql', headers: { ...JSON_CT, 'x-junk': 'j'.repeat(r.int(17_000, 40_000)) }, body: validBody() }),
    ])();
  };

  const deepNesting = (): Case => {
    const depth = r.int(13, 3000);
    return r.pick([
      () => gql('deep nesting: selections', `{ session(_id: "${sessionId}") { tasks { ${'context { '.repeat(depth)}name${' }'.repeat(depth)} } } }`, undefined, auth(member())),
      () => gql('deep nesting: unknown fields', `{ ${'a { '.repeat(depth)}b${' }'.repeat(depth)} }`),
      () => gql('deep nesting: list literal', `{ session(_id: ${'['.repeat(depth)}"${sessionId}"${']'.repeat(depth)}) { name } }`),
      () => gql('deep nesting: object literal', `{ session(_id: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}) { name } }`),
      () => ({ kind: 'deep nesting: variables', method: 'POST', path: '/graphql', headers: JSON_CT, body: `{"query":${JSON.stringify(SESSION_QUERY)},"variables":{"id":${'['.repeat(depth)}1${']'.repeat(depth)}}}` }),
      () => ({ kind: 'deep nesting: JSON objects', method: 'POST', path: '/graphql', headers: JSON_CT, body: `{"query":${JSON.stringify(SESSION_QUERY)},"variables":{"id":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}` }),
      () => gql('deep nesting: fragments', `query { ...F0 } ${Array.from({ length: Math.min(depth, 200) }, (_, i) => `fragment F${i} on Query { ...F${i + 1} }`).join(' ')} fragment F${Math.min(depth, 200)} on Query { nope }`),
      () => gql('deep nesting: fragment cycle', 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }'),
    ])();
  };

  const aliasBomb = (): Case => {
    const n = r.int(16, 3000);
    return r.pick([
      () => gql('alias bomb: valid fields', `query($id: ObjectId!) { ${Array.from({ length: Math.min(n, 600) }, (_, i) => `a${i}: session(_id: $id) { name tasks { name } }`).join(' ')} }`, { id: sessionId }, auth(member())),
      // (aliases of __typename alone are free in graphql-armor's default allow-list; the token limit bounds them)
      () => gql('alias bomb: viewer', `{ ${Array.from({ length: Math.min(n, 400) }, (_, i) => `a${i}: viewer { name }`).join(' ')} }`, undefined, maybeAuth()),
      () => gql('alias bomb: bad ids', `{ ${Array.from({ length: Math.min(n, 500) }, (_, i) => `a${i}: session(_id: "${r.hex(3)}") { name }`).join(' ')} }`),
      () => gql('alias bomb: pages', `query($t: ObjectId!) { ${Array.from({ length: Math.min(n, 300) }, (_, i) => `p${i}: sessions(teamId: $t, first: 100) { edges { node { name agents { name } } } }`).join(' ')} }`, { t: teamId }, auth(member())),
      () => gql('duplicate fields', `{ session(_id: "${sessionId}") { ${'name '.repeat(Math.max(n, 1000))} } }`, undefined, auth(member())),
      () => gql('directive bomb', `{ __typename ${'@include(if: true) '.repeat(Math.min(Math.max(n, 60), 2000))} }`),
    ])();
  };

  const unknownField = (): Case => {
    const name = `f${r.text(8).replace(/[^a-zA-Z0-9]/g, '') || 'x'}`;
    return r.pick([
      () => gql('unknown field', `{ ${name} }`, undefined, maybeAuth()),
      () => gql('unknown field: nested', `{ session(_id: "${sessionId}") { name ${name} } }`, undefined, maybeAuth()),
      () => gql('unknown argument', `{ session(_id: "${sessionId}", ${name}: 1) { name } }`, undefined, maybeAuth()),
      () => gql('unknown type', `query($x: ${name}) { __typename }`, { x: 1 }),
      () => gql('unknown directive', `{ __typename @${name} }`),
      () => gql('unknown operation name', '{ __typename }', undefined, {}, { operationName: name }),
      // (a hash alone that is not in the cache, whatever its type, is the APQ protocol's first step: Apollo answers 200 with
      // PERSISTED_QUERY_NOT_FOUND so that the client sends the query; these are broken APQ requests)
      () => gql('persisted query: hash mismatch', '{ __typename }', undefined, {}, { extensions: { persistedQuery: { version: 1, sha256Hash: r.hex(64) } } }),
      () => gql('persisted query: bad version', '{ __typename }', undefined, {}, { extensions: { persistedQuery: { version: r.pick([2, 0, '1', null]), sha256Hash: r.hex(64) } } }),
      () => gql('persisted query: hash not a string', '{ __typename }', undefined, {}, { extensions: { persistedQuery: { version: 1, sha256Hash: r.pick([{ $ne: null }, 5, [r.hex(64)]]) } } }),
      () => gql('subscription', `subscription { ${name} }`),
      () => gql('mutation', `mutation { ${name} }`),
      () => gql('secret field', `{ session(_id: "${sessionId}") { models { config } datasources { connectionSettings } } }`, undefined, auth(owner())),
      () => gql('introspection of unknown type', `{ __type(name: "${name}") { name fields { nme } } }`),
    ])();
  };

  const operatorObject = (): Case => {
    const op = r.pick(OPERATORS.filter((o) => typeof o !== 'string' || o !== sessionId));
    return r.pick([
      () => gql('operator: session id', SESSION_QUERY, { id: op }, maybeAuth()),
      () => gql('operator: team id', 'query($t: ObjectId!) { sessions(teamId: $t) { edges { cursor } } }', { t: op }, auth(member())),
      () => gql('operator: app id', 'query($t: ObjectId!, $a: ObjectId) { sessions(teamId: $t, appId: $a) { edges { cursor } } }', { t: teamId, a: r.pick(OPERATORS.filter((o) => o !== null)) }, auth(member())),
      () => gql('operator: cursor', 'query($t: ObjectId!, $c: String) { sessions(teamId: $t, after: $c) { edges { cursor } } }', { t: teamId, c: r.pick([{ $ne: null }, [1], { $gt: '' }, 5, true]) }, auth(member())),
      () => gql('operator: first', 'query($t: ObjectId!, $n: Int) { sessions(teamId: $t, first: $n) { edges { cursor } } }', { t: teamId, n: r.pick([{ $gt: 0 }, '10', 1.5, 1e10, [10]]) }, auth(member())),
      () => gql('operator: status', 'query($t: ObjectId!, $s: SessionStatus) { sessions(teamId: $t, status: $s) { edges { cursor } } }', { t: teamId, s: r.pick([{ $ne: null }, 'running', 'NOPE', 1]) }, auth(member())),
      () => gql('operator: variables not an object', SESSION_QUERY, r.pick([[sessionId], 'id', 5, true])),
      () => ({ kind: 'operator: REST query string', method: 'GET', path: `/${r.hex(23)}/session/${sessionId}.json?sessionId[$ne]=null&resourceSlug[$gt]=`, headers: auth(member()) }),
      () => ({ kind: 'operator: REST path', method: 'GET', path: `/${encodeURIComponent(JSON.stringify(op))}/session/${encodeURIComponent(JSON.stringify(op))}.json`, headers: auth(member()) }),
      () => ({ kind: 'operator: share route', method: 'GET', path: `/s/${encodeURIComponent('{"$ne":null}')}/session/${sessionId}.json`, headers: {} }),
    ])();
  };

  const badTokenCase = (): Case =>
    r.pick([
      () => gql('bad token: graphql', SESSION_QUERY, { id: sessionId }, { authorization: badAuthorization() }),
      () => gql('bad token: viewer', '{ viewer { name } }', undefined, { authorization: badAuthorization() }),
      () => ({ kind: 'bad token: REST', method: 'GET', path: `/${teamId}/session/${sessionId}.json`, headers: { authorization: badAuthorization() } }),
      () => ({ kind: 'bad token: share route', method: 'GET', path: `/s/${teamId}/session/${sessionId}.json`, headers: { authorization: badAuthorization() } }),
      () => ({ kind: 'no token: REST', method: 'GET', path: `/${teamId}/session/${sessionId}.json`, headers: {} }),
    ])();

  const badPath = (): Case => {
    const a = r.next() < 0.5 ? badId() : teamId;
    const b = a === teamId ? badId() : r.next() < 0.5 ? sessionId : badId();
    return r.pick([
      () => ({ kind: 'bad path: REST', method: 'GET', path: `/${a}/session/${b}.json`, headers: maybeAuth() }),
      () => ({ kind: 'bad path: share', method: 'GET', path: `/s/${a}/session/${b}.json`, headers: maybeAuth() }),
      () => ({ kind: 'bad path: unknown route', method: 'GET', path: `/${a}/${r.text(5).replace(/[^a-z]/gi, '') || 'x'}/${b}`, headers: maybeAuth() }),
      () => ({ kind: 'bad path: no .json', method: 'GET', path: `/${teamId}/session/${sessionId}`, headers: auth(member()) }),
      () => ({ kind: 'bad path: IDE asset', method: 'GET', path: `/graphql/ide/${badId()}.js`, headers: {} }),
      () => ({ kind: 'bad path: traversal', method: 'GET', path: `/graphql/ide/..%2f..%2fpackage.json`, headers: {} }),
    ])();
  };

  const badMethod = (): Case => {
    const method = r.pick(['PUT', 'DELETE', 'PATCH', 'POST']);
    const path = r.pick(['/graphql', `/${teamId}/session/${sessionId}.json`, `/s/${teamId}/session/${sessionId}.json`, '/healthz', '/readyz', '/nothing']);
    if (method === 'POST' && path === '/graphql') return gql('bad method: GET-only field', '{ __typename }', undefined, { 'content-type': 'text/plain' });
    return { kind: `bad method: ${method}`, method, path, headers: { ...JSON_CT, ...maybeAuth() }, body: method === 'DELETE' && r.next() < 0.5 ? undefined : validBody() };
  };

  const randomBytes = (): Case =>
    r.pick([
      () => ({ kind: 'random bytes: body', method: 'POST', path: '/graphql', headers: { ...JSON_CT }, body: r.bytes(r.int(1, 4000)) }),
      () => ({ kind: 'random bytes: gzip', method: 'POST', path: '/graphql', headers: { ...JSON_CT, 'content-encoding': r.pick(['gzip', 'deflate', 'br', 'zstd', 'x-bogus']) }, body: r.bytes(r.int(1, 2000)) }),
      () => ({ kind: 'random bytes: GET variables', method: 'GET', path: `/graphql?query=${encodeURIComponent('query($id: ObjectId!) { session(_id: $id) { name } }')}&variables=${encodeURIComponent(r.text(30))}`, headers: { 'apollo-require-preflight': 'true' } }),
      () => ({ kind: 'random bytes: GET query', method: 'GET', path: `/graphql?query=${encodeURIComponent(r.text(r.int(1, 300)))}`, headers: { 'apollo-require-preflight': 'true' } }),
      () => ({ kind: 'random bytes: GET extensions', method: 'GET', path: `/graphql?query=%7B__typename%7D&extensions=${encodeURIComponent(r.text(20))}`, headers: { 'apollo-require-preflight': 'true' } }),
      () => ({ kind: 'raw: random bytes', method: 'RAW', path: '', headers: {}, raw: Buffer.concat([r.bytes(r.int(1, 2000)), Buffer.from('\r\n\r\n')]) }),
      () => ({ kind: 'raw: bad request line', method: 'RAW', path: '', headers: {}, raw: Buffer.from(`${r.pick(['GET', 'G ET', 'GET\t', 'FOO', ''])} ${r.pick(['/graphql', 'graphql', '*', '//', ' '])} ${r.pick(['HTTP/1.1', 'HTTP/9.9', 'HTTP/1', ''])}\r\nHost: x\r\n\r\n`) }),
      () => ({ kind: 'raw: smuggling', method: 'RAW', path: '', headers: {}, raw: Buffer.from(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`) }),
      () => ({ kind: 'raw: bad chunk', method: 'RAW', path: '', headers: {}, raw: Buffer.from(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${r.text(10)}\r\n0\r\n\r\n`) }),
      () => ({ kind: 'raw: bad header', method: 'RAW', path: '', headers: {}, raw: Buffer.from(`GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n${r.text(5)}: \u0001\r\n\r\n`) }),
    ])();

  return [brokenJson, wrongContentType, hugeString, deepNesting, aliasBomb, unknownField, operatorObject, badTokenCase, badPath, badMethod, randomBytes];
}

// ---------------------------------------------------------------------------------------------------
// Sending and checking

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function send(c: Case): Promise<Answer> {
  if (c.raw) return sendRaw(c.raw);
  const response = await fetch(gw.url + c.path, { method: c.method, headers: c.headers, body: c.body, signal: AbortSignal.timeout(20_000) });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

/**
 * Raw bytes on a new connection; the answer is parsed by hand (status line, headers, a body of
 * Content-Length bytes, or up to the connection's end).
 */
function sendRaw(bytes: Buffer): Promise<Answer> {
  const port = Number(new URL(gw.url).port);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let all = Buffer.alloc(0);
    let done = false;
    const parse = (ended: boolean) => {
      const text = all.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return ended ? finish({ status: 0, contentType: '', text }) : undefined;
      const head = text.slice(0, end);
      const length = /^content-length:\s*(\d+)/im.exec(head)?.[1];
      const body = text.slice(end + 4);
      if (!ended && (length === undefined || body.length < Number(length))) return undefined;
      finish({
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0),
        contentType: /^content-type:\s*(.*)$/im.exec(head)?.[1]?.trim() ?? '',
        text: length === undefined ? body : body.slice(0, Number(length)),
      });
    };
    const finish = (answer: Answer) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer to raw bytes')));
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk) => {
      all = Buffer.concat([all, chunk]);
      parse(false);
    });
    socket.on('error', (error) => (done ? undefined : all.length ? parse(true) : reject(error)));
    socket.on('close', () => parse(true));
  });
}

/** What is wrong with an answer to bad input (empty when nothing). */
function problems(answer: Answer): string[] {
  const found: string[] = [];
  if (answer.status < 400 || answer.status > 499) found.push(`status ${answer.status}`);
  if (!/^application\/(json|graphql-response\+json)\b/.test(answer.contentType)) found.push(`content type "${answer.contentType}"`);
  let body: any;
  try {
    body = JSON.parse(answer.text);
  } catch {
    found.push('body is not JSON');
  }
  const hasErrors = Array.isArray(body?.errors) && body.errors.length > 0 && body.errors.every((e: any) => typeof e?.message === 'string');
  const hasMessage = typeof body?.message === 'string' && body.message.length > 0;
  if (body !== undefined && !hasErrors && !hasMessage) found.push('no `errors` or `message` in the body');
  if (INTERNALS.test(answer.text)) found.push(`internals: ${INTERNALS.exec(answer.text)![0]}`);
  return found;
}

/** A full GC when one can be had (--expose-gc, or V8's flag set at run time); false otherwise. */
function collectGarbage(): boolean {
  try {
    const gc = (globalThis as { gc?: () => void }).gc ?? (v8.setFlagsFromString('--expose-gc'), vm.runInNewContext('gc') as () => void);
    gc();
    return true;
  } catch {
    return false;
  }
}

function describeCase(c: Case): string {
  const body = c.raw ?? c.body;
  const shown = body === undefined ? '' : (Buffer.isBuffer(body) ? body.toString('latin1') : body).slice(0, 160);
  return `${c.kind}: ${c.method} ${c.path.slice(0, 120)} ${JSON.stringify(c.headers).slice(0, 160)} ${JSON.stringify(shown)}`;
}

it(`${COUNT} generated bad requests (seed ${SEED}): every answer a 4xx JSON error without internals; the process alive, its heap bounded`, async () => {
  const r = prng(SEED);
  const make = generators(r);
  const cases: Case[] = Array.from({ length: COUNT }, (_, i) => make[i % make.length]());
  const failures: string[] = [];
  const byKind = new Map<string, Map<number, number>>();
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      const c = cases[index];
      let answer: Answer;
      try {
        answer = await send(c);
      } catch (error) {
        failures.push(`#${index} ${describeCase(c)}\n  -> no answer: ${(error as Error).message} ${(error as { cause?: Error }).cause?.message ?? ''}`);
        continue;
      }
      const statuses = byKind.get(c.kind) ?? new Map<number, number>();
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      byKind.set(c.kind, statuses);
      const found = problems(answer);
      if (found.length) failures.push(`#${index} ${describeCase(c)}\n  -> ${found.join('; ')}: ${answer.status} ${answer.text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (Date.now() - started) / 1000;

  const health = await fetch(`${gw.url}/healthz`);
  const collected = collectGarbage();
  const heapUsed = process.memoryUsage().heapUsed;
  const summary = [...byKind.entries()].sort().map(([kind, statuses]) => `${kind}: ${[...statuses.entries()].map(([s, n]) => `${s}×${n}`).join(' ')}`);
  console.log(`fuzz: ${cases.length} requests in ${seconds.toFixed(1)} s (seed ${SEED}), heap ${(heapUsed / 1048576).toFixed(0)} MB${collected ? ' after a GC' : ' (no GC available)'}\n${summary.join('\n')}`);

  expect(failures.slice(0, 15)).toEqual([]);
  expect(failures).toHaveLength(0);
  expect(health.status).toBe(200);
  expect(heapUsed).toBeLessThan(HEAP_BOUND_BYTES);
}, 120_000);
