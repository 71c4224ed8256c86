/**
 * Query limits (issue 6): depth, cost, aliases, directives, tokens, body size, batching and field
 * suggestions. Each limit is shown rejecting just above and accepting at its value, on a gateway with
 * small limits; the defaults are shown letting the benchmark's and the tests' full-graph queries
 * through (and `sessions(first: 100)` with full graphs) while refusing hostile ones.
 */
import { getIntrospectionQuery } from 'graphql';
import { targets } from '../bench/targets';
import { ConfigError, loadConfig } from '../src/config';
import { DEFAULT_QUERY_LIMITS } from '../src/config/query-limits';
import { startTestGateway, type GraphQLResult, type TestGateway } from './support/gateway';

const SMALL = { maxDepth: 5, maxAliases: 3, maxDirectives: 2, maxTokens: 60, maxCost: 701, maxBodyBytes: 4096 };

let gw: TestGateway; // default limits
let small: TestGateway; // SMALL limits
beforeAll(async () => {
  [gw, small] = await Promise.all([startTestGateway(), startTestGateway({ limits: SMALL })]);
});
afterAll(() => Promise.all([gw?.stop(), small?.stop()]));

/** A request-level rejection: HTTP 400, one error with the code and a message naming the limit, no data. */
function expectRejected(result: GraphQLResult, code: string, message: RegExp): void {
  expect(result.status).toBe(400);
  expect(result.headers.get('content-type')).toMatch(/^application\/json/);
  expect(result.body.data ?? null).toBeNull();
  expect(result.body.errors).toHaveLength(1);
  expect(result.body.errors![0].extensions?.code).toBe(code);
  expect(result.body.errors![0].message).toMatch(message);
  expect(result.text).not.toMatch(/Syntax Error|node_modules|\bat .*:\d+:\d+/);
}

function expectAccepted(result: GraphQLResult): void {
  expect(result.body.errors).toBeUndefined();
  expect(result.status).toBe(200);
  expect(result.body.data).toBeDefined();
}

/** A raw POST to /graphql; the answer must be JSON. */
async function post(target: TestGateway, body: string): Promise<GraphQLResult> {
  const response = await fetch(`${target.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}

const sessionId = (target: TestGateway) => target.fixtures.sessions.teamCrew.toHexString();
const teamId = (target: TestGateway) => target.fixtures.teams.acmeMain.toHexString();

describe('depth', () => {
  it('accepts a query at the limit and rejects one a level deeper', async () => {
    const atLimit = `{ session(_id: "${sessionId(small)}") { app { crew { tasks { name } } } } }`; // 5
    expectAccepted(await small.graphql(atLimit, undefined, small.tokenFor('member')));
    const over = `{ session(_id: "${sessionId(small)}") { app { crew { tasks { agent { name } } } } } }`; // 6
    expectRejected(await small.graphql(over, undefined, small.tokenFor('member')), 'QUERY_TOO_COMPLEX', /^Query depth 6 exceeds the limit of 5$/);
  });

  it('counts fields, not fragments, and follows fragment spreads', async () => {
    const query = `query($id: ObjectId!) { session(_id: $id) { ...S } } fragment S on Session { app { ... on App { crew { ...C } } } }
      fragment C on Crew { tasks { agent { name } } }`;
    expectRejected(await small.graphql(query, { id: sessionId(small) }), 'QUERY_TOO_COMPLEX', /^Query depth 6 exceeds the limit of 5$/);
  });

  it('stops a deep context recursion under the default limit', async () => {
    let selection = 'name';
    for (let i = 0; i < 10; i++) selection = `context { ${selection} }`;
    const query = `{ session(_id: "${sessionId(gw)}") { tasks { ${selection} } } }`; // 13 deep
    expectRejected(await gw.graphql(query), 'QUERY_TOO_COMPLEX', /^Query depth 13 exceeds the limit of 12$/);
  });
});

describe('aliases', () => {
  const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `v${i}: viewer { name }`).join(' ')} }`;

  it('accepts as many aliases as the limit and rejects one more', async () => {
    expectAccepted(await small.graphql(aliased(3)));
    expectRejected(await small.graphql(aliased(4)), 'QUERY_TOO_COMPLEX', /^Query alias count 4 exceeds the limit of 3$/);
  });

  it('stops an alias bomb under the default limit', async () => {
    const bomb = `{ ${Array.from({ length: 50 }, (_, i) => `s${i}: session(_id: "${sessionId(gw)}") { name }`).join(' ')} }`;
    expectRejected(await gw.graphql(bomb), 'QUERY_TOO_COMPLEX', /^Query alias count 50 exceeds the limit of 15$/);
  });
});

describe('directives', () => {
  it('accepts as many directives as the limit and rejects one more', async () => {
    expectAccepted(await small.graphql('{ viewer @include(if: true) { name @skip(if: false) } }'));
    expectRejected(await small.graphql('{ viewer @include(if: true) { name @skip(if: false) _id @skip(if: false) } }'),
      'QUERY_TOO_COMPLEX', /^Query directive count 3 exceeds the limit of 2$/);
  });
});

describe('tokens', () => {
  /** `count` tokens: operations `query Qi { __typename }` of 5 tokens each, then more fields in Q0. */
  const document = (count: number) => {
    const operations = Array.from({ length: Math.floor(count / 5) }, (_, i) => `query Q${i} { __typename }`);
    operations[0] = operations[0].replace('}', `${'__typename '.repeat(count % 5)}}`);
    return JSON.stringify({ query: operations.join('\n'), operationName: 'Q0' });
  };

  it('accepts a query of as many tokens as the limit and rejects one more', async () => {
    expectAccepted(await post(small, document(60)));
    expectRejected(await post(small, document(61)), 'QUERY_TOO_COMPLEX', /^Query token count exceeds the limit of 60$/);
  });

  it('applies the default limit', async () => {
    expectAccepted(await post(gw, document(DEFAULT_QUERY_LIMITS.maxTokens)));
    expectRejected(await post(gw, document(DEFAULT_QUERY_LIMITS.maxTokens + 1)), 'QUERY_TOO_COMPLEX', /^Query token count exceeds the limit of 1000$/);
  });
});

describe('cost', () => {
  // documents the query can return: per session, the session 1 + tasks 10 × 1 = 11; the page first × 11
  const page = 'query($t: ObjectId!, $n: Int) { sessions(teamId: $t, first: $n) { edges { node { name tasks { name } } } } }';
  const run = (n: number | undefined) => small.graphql(page, { t: teamId(small), n }, small.tokenFor('member'));

  it('grows with first: accepted at first: 5, rejected at first: 100', async () => {
    expectAccepted(await run(5));
    expectRejected(await run(100), 'QUERY_TOO_COMPLEX', /^Query cost 1100 exceeds the limit of 701$/);
  });

  it('accepts a query under the limit and rejects the next size up', async () => {
    expectAccepted(await run(63)); // 693
    expectRejected(await run(64), 'QUERY_TOO_COMPLEX', /^Query cost 704 exceeds the limit of 701$/);
  });

  it('reads first from a literal as from a variable, and counts an omitted first as its default, 20', async () => {
    const literal = `{ sessions(teamId: "${teamId(small)}", first: 64) { edges { node { name tasks { name } } } } }`;
    expectRejected(await small.graphql(literal, undefined, small.tokenFor('member')), 'QUERY_TOO_COMPLEX', /^Query cost 704 exceeds/);
    const omitted = `{ sessions(teamId: "${teamId(small)}") { edges { node { name tasks { name } tools { name } agents { name } } } } }`;
    // per session: 1 + tasks 10 + tools 20 + agents 10 = 41; 20 × 41 = 820
    expectRejected(await small.graphql(omitted, undefined, small.tokenFor('member')), 'QUERY_TOO_COMPLEX', /^Query cost 820 exceeds/);
  });

  it('multiplies nested lists of related documents by their declared sizes', async () => {
    // session 1 + tasks 10 × (1 + tools 5 + context 5) = 111
    const query = `query($id: ObjectId!) { session(_id: $id) { tasks { name tools { name } context { name } } } }`;
    expectAccepted(await small.graphql(query, { id: sessionId(small) }, small.tokenFor('member')));
    // per session 1 + tasks 10 × (1 + context 5 × (1 + context 5)) = 311; a page of 100: 31,100 (the default limit: 20,000)
    const deeper = `query($t: ObjectId!) { sessions(teamId: $t, first: 100) { nodes { tasks { context { context { name } } } } } }`;
    expectRejected(await gw.graphql(deeper, { t: teamId(gw) }, gw.tokenFor('member')), 'QUERY_TOO_COMPLEX', /^Query cost 31100 exceeds the limit of 20000$/);
  });

  it('counts a page’s documents whatever is asked of them: its cursors or its pageInfo alone list ids too (they cost nothing)', async () => {
    const tight = await startTestGateway({ scale: 0, limits: { maxCost: 99 } });
    try {
      const page = (first: number, selection: string) => `query($t: ObjectId!) { sessions(teamId: $t, first: ${first}) { ${selection} } }`;
      for (const selection of ['edges { cursor }', 'pageInfo { endCursor }', 'edges { cursor node { _id } }']) {
        expectRejected(await tight.graphql(page(100, selection), { t: teamId(tight) }, tight.tokenFor('member')), 'QUERY_TOO_COMPLEX', /^Query cost 100 exceeds the limit of 99$/);
        expect((await tight.graphql(page(99, selection), { t: teamId(tight) }, tight.tokenFor('member'))).body.errors).toBeUndefined();
      }
    } finally {
      await tight.stop();
    }
  });

  it('costs an operation again when a condition’s variable or a variable’s null changes, whatever was costed before', async () => {
    const conditional = 'query($t: ObjectId!, $deep: Boolean!) { sessions(teamId: $t, first: 64) { edges { node { name tasks @include(if: $deep) { name } } } } }';
    const ask = (deep: boolean) => small.graphql(conditional, { t: teamId(small), deep }, small.tokenFor('member'));
    for (let round = 0; round < 2; round++) {
      expectAccepted(await ask(false)); // 64
      expectRejected(await ask(true), 'QUERY_TOO_COMPLEX', /^Query cost 704 exceeds the limit of 701$/);
    }
    const defaulted = `query($id: ObjectId = "${sessionId(small)}") { session(_id: $id) { name } }`;
    const askOne = (variables?: Record<string, unknown>) => small.graphql(defaulted, variables, small.tokenFor('member'));
    expectAccepted(await askOne());
    expectRejected(await askOne({ id: null }), 'BAD_USER_INPUT', /"_id" of non-null type "ObjectId!" must not be null/);
    expectAccepted(await askOne({ id: sessionId(small) }));
  });

  it('rejects before any database command', async () => {
    const { result, total } = await small.countCommands(() => small.graphql(page, { t: teamId(small), n: 100 }));
    expectRejected(result, 'QUERY_TOO_COMPLEX', /^Query cost/);
    expect(total).toBe(0);
  });

  it('leaves out-of-range first to its own error, and refuses bad variables before anything runs', async () => {
    const tooMany = await small.graphql('query($t: ObjectId!) { sessions(teamId: $t, first: 1000) { edges { cursor } } }', { t: teamId(small) }, small.tokenFor('member'));
    expect(tooMany.body.errors![0].message).toMatch(/first must be between 0 and 100; got 1000/);
    const badId = await small.graphql(page, { t: { $ne: null }, n: 100 }, small.tokenFor('member'));
    expectRejected(badId, 'BAD_USER_INPUT', /ObjectId must be/);
  });

  it('stops three of the benchmark’s full pages at first: 100 under the default limit', async () => {
    const full = targets(teamId(gw), [sessionId(gw)]).find((t) => t.key === 'graphql-page')!.request(0).body!;
    const { query } = JSON.parse(full) as { query: string };
    const selection = query.slice(query.indexOf('{ edges'), query.lastIndexOf('}'));
    const pages = ['a', 'b', 'c'].map((alias) => `${alias}: sessions(teamId: $team, first: 100) ${selection}`).join(' ');
    expectRejected(await gw.graphql(`query($team: ObjectId!) { ${pages} }`, { team: teamId(gw) }, gw.tokenFor('owner')),
      'QUERY_TOO_COMPLEX', /^Query cost \d+ exceeds the limit of 20000$/);
  });
});

describe('the defaults let legitimate queries through', () => {
  it('passes the benchmark GraphQL targets (one full graph; sessions(first: 20) with full graphs; the stack alone; the list view)', async () => {
    for (const target of targets(teamId(gw), [sessionId(gw)]).filter((t) => t.key.startsWith('graphql'))) {
      const { query, variables } = JSON.parse(target.request(0).body!) as { query: string; variables: Record<string, unknown> };
      const result = await gw.graphql(query, variables, gw.tokenFor('owner'));
      expect(result.status).toBe(200);
      // the seeded session whose sharing mode is outside the enum has its field error; nothing else
      for (const error of result.body.errors ?? []) expect(error.path!.slice(-2)).toEqual(['sharingConfig', 'mode']);
      const { data } = result.body;
      // the stack target asks for nothing but the type's name
      if (query === '{ __typename }') expect(data).toEqual({ __typename: 'Query' });
      else expect(data.session ?? data.sessions.edges[0].node).toMatchObject({ name: expect.any(String) });
    }
  });

  it('passes the IDE’s introspection query', async () => {
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    expectAccepted(await gw.graphql(query));
  });

  it('with GRAPHQL_INTROSPECTION=false refuses __schema and __type as BAD_USER_INPUT in its own words, and serves the rest', async () => {
    const closed = await startTestGateway({ scale: 0, app: { introspection: false } });
    try {
      for (const query of [getIntrospectionQuery(), '{ __type(name: "Session") { name } }', '{ viewer { name } __schema { queryType { name } } }']) {
        const result = await closed.graphql(query, {}, closed.tokenFor('member'));
        expect(result.status).toBe(400);
        expect(result.body.data).toBeUndefined();
        for (const error of result.body.errors ?? []) {
          expect(error).toMatchObject({ message: 'Introspection is disabled on this server: __schema and __type are not served', extensions: { code: 'BAD_USER_INPUT', reason: 'INTROSPECTION_DISABLED' } });
        }
        expect(result.body.errors?.length).toBeGreaterThan(0);
        expect(result.text).not.toMatch(/Apollo/);
      }
      expect((await closed.graphql('{ __typename viewer { name } }', {}, closed.tokenFor('member'))).body).toEqual({ data: { __typename: 'Query', viewer: { name: expect.any(String) } } });
    } finally {
      await closed.stop();
    }
  });
});

describe('request bodies', () => {
  it('rejects a JSON array (batching) with 400 JSON BAD_USER_INPUT', async () => {
    const result = await post(gw, JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]));
    expectRejected(result, 'BAD_USER_INPUT', /batching/i);
  });

  it('answers a body over the default limit with 413 JSON naming the limit', async () => {
    const result = await post(gw, JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(DEFAULT_QUERY_LIMITS.maxBodyBytes) } }));
    expect(result.status).toBe(413);
    expect(result.body).toEqual({ message: 'The request body is too large: the limit is 102400 bytes', code: 413 });
  });

  it('accepts a body of exactly the limit and answers one byte more with 413', async () => {
    const json = JSON.stringify({ query: '{ __typename }' });
    const atLimit = await post(small, json + ' '.repeat(SMALL.maxBodyBytes - json.length));
    expectAccepted(atLimit);
    const over = await post(small, json + ' '.repeat(SMALL.maxBodyBytes - json.length + 1));
    expect(over.status).toBe(413);
    expect(over.body).toEqual({ message: 'The request body is too large: the limit is 4096 bytes', code: 413 });
  });
});

describe('field suggestions', () => {
  const id = () => sessionId(gw);
  const cases: Array<[string, () => Promise<GraphQLResult>, RegExp]> = [
    ['a misspelt field', () => gw.graphql(`{ session(_id: "${id()}") { nme } }`), /^Cannot query field "nme" on type "Session"\.$/],
    ['a misspelt argument', () => gw.graphql(`{ session(_i: "${id()}") { name } }`), /Unknown argument "_i" on field "Query\.session"\.$/],
    ['a misspelt type', () => gw.graphql('query($id: ObjectID!) { session(_id: $id) { name } }', { id: id() }), /Unknown type "ObjectID"\.$/],
    ['a misspelt enum literal', () => gw.graphql(`{ sessions(teamId: "${teamId(gw)}", status: RUNNIN) { nodes { name } } }`, undefined, gw.tokenFor('member')),
      /Value "RUNNIN" does not exist in "SessionStatus" enum\.$/],
    ['a misspelt enum variable', () => gw.graphql('query($t: ObjectId!, $s: SessionStatus) { sessions(teamId: $t, status: $s) { nodes { name } } }',
      { t: teamId(gw), s: 'RUNNIN' }, gw.tokenFor('member')), /Value "RUNNIN" does not exist in "SessionStatus" enum\.$/],
    ['a field on a type without it', () => gw.graphql(`{ session(_id: "${id()}") { app { crew { tasks { nam } } } } }`), /^Cannot query field "nam" on type "Task"\.$/],
  ];

  it.each(cases)('are not given for %s', async (_label, send, message) => {
    const result = await send();
    expect(result.status).toBe(400);
    for (const error of result.body.errors!) expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors!.some((error) => message.test(error.message))).toBe(true);
    expect(result.text).not.toMatch(/Did you mean|Suggestion/i);
  });
});

describe('federation subgraph', () => {
  let fed: TestGateway;
  beforeAll(async () => {
    fed = await startTestGateway({ federation: true, limits: { maxCost: 701 } });
  });
  afterAll(() => fed?.stop());

  it('costs sessions as the plain schema does', async () => {
    const page = 'query($t: ObjectId!, $n: Int) { sessions(teamId: $t, first: $n) { edges { node { name tasks { name } } } } }';
    expectAccepted(await fed.graphql(page, { t: teamId(fed), n: 63 }, fed.tokenFor('member')));
    expectRejected(await fed.graphql(page, { t: teamId(fed), n: 64 }, fed.tokenFor('member')), 'QUERY_TOO_COMPLEX', /^Query cost 704 exceeds the limit of 701$/);
  });

  it('multiplies _entities by its number of representations', async () => {
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Session { name tasks { name } } } }';
    // per representation: the session 1 + tasks 10 = 11
    const reps = (n: number) => Array.from({ length: n }, () => ({ __typename: 'Session', id: Buffer.from(`Session:${sessionId(fed)}`).toString('base64url') }));
    expectAccepted(await fed.graphql(query, { r: reps(63) }, fed.tokenFor('member'))); // 693
    expectRejected(await fed.graphql(query, { r: reps(64) }, fed.tokenFor('member')), 'QUERY_TOO_COMPLEX', /^Query cost 704 exceeds the limit of 701$/);
  });
});

describe('settings from the environment', () => {
  it('keeps the defaults when unset or empty, takes positive integers, and refuses anything else', () => {
    expect(loadConfig({}).limits).toEqual(DEFAULT_QUERY_LIMITS);
    expect(loadConfig({ GRAPHQL_MAX_DEPTH: '', MAX_BODY_BYTES: ' ' }).limits).toEqual(DEFAULT_QUERY_LIMITS);
    expect(loadConfig({
      GRAPHQL_MAX_DEPTH: '8', GRAPHQL_MAX_COST: '5000', GRAPHQL_MAX_ALIASES: '4', GRAPHQL_MAX_DIRECTIVES: '6', GRAPHQL_MAX_TOKENS: '300', MAX_BODY_BYTES: '2048',
    }).limits).toEqual({ maxDepth: 8, maxCost: 5000, maxAliases: 4, maxDirectives: 6, maxTokens: 300, maxBodyBytes: 2048 });
    for (const value of ['0', '-1', '1.5', '10kb', 'abc', '1e3']) {
      expect(() => loadConfig({ GRAPHQL_MAX_COST: value })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ MAX_BODY_BYTES: '0' })).toThrow(/MAX_BODY_BYTES must be a positive integer; got "0"/);
  });

  it('refuses a time a timer cannot wait (past 2147483647 ms it would fire at once), alone or the shutdown’s two together', () => {
    for (const name of ['REQUEST_TIMEOUT_MS', 'DB_SERVER_SELECTION_TIMEOUT_MS', 'SHUTDOWN_TIMEOUT_MS', 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 'LIVE_POLL_INTERVAL_MS', 'SHUTDOWN_READY_DELAY_MS']) {
      expect(() => loadConfig({ [name]: '3000000000' })).toThrow(new RegExp(`^${name} must be .*at most 2147483647`));
    }
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '2147483647' }).requestTimeoutMs).toBe(2147483647);
    // their backstop waits 5 s more
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '2147470000', SHUTDOWN_READY_DELAY_MS: '9000' })).toThrow(/SHUTDOWN_READY_DELAY_MS and SHUTDOWN_TIMEOUT_MS together must be at most 2147478647 ms/);
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '2147470000', SHUTDOWN_READY_DELAY_MS: '8647' }).shutdownTimeoutMs).toBe(2147470000);
  });

  it('trims what it reads, takes a port in decimal only (empty for the default), and a secret of spaces for none', () => {
    expect(loadConfig({ LOG_LEVEL: ' Info ' }).logLevel).toBe('info');
    expect(loadConfig({ HOST: '   ' }).host).toBe('127.0.0.1');
    expect(() => loadConfig({ PORT: '0x1195' })).toThrow(/^PORT must be an integer from 0 to 65535; got "0x1195"$/);
    expect(loadConfig({ PORT: ' 4001 ' }).port).toBe(4001);
    // empty, as every other setting: the default (a `PORT=` left in an env file)
    expect(loadConfig({ PORT: '', METRICS_PORT: ' ' })).toMatchObject({ port: 4000, metricsPort: 9464 });
    expect(() => loadConfig({ MONGODB_URI: 'mongodb://db/x', JWT_SECRET: '   ' })).toThrow(/^JWT_SECRET is required when MONGODB_URI is set$/);
    expect(loadConfig({ MONGODB_URI: 'mongodb://db/x', JWT_SECRET: ' a secret with its spaces ' }).jwtSecret).toBe(' a secret with its spaces ');
  });

  it('takes the booleans the README lists and names the variable of any other value', () => {
    for (const [value, expected] of [['true', true], ['ON', true], ['1', true], ['yes', true], ['false', false], ['Off', false], ['0', false], ['no', false]] as const) {
      expect(loadConfig({ GRAPHQL_JIT: value }).jit).toBe(expected);
    }
    for (const name of ['GRAPHQL_INTROSPECTION', 'GRAPHQL_FEDERATION', 'METRICS_ENABLED', 'GRAPHQL_FEDERATION_TRACES', 'GRAPHQL_JIT', 'TRUSTED_DOCUMENTS_ONLY']) {
      expect(() => loadConfig({ [name]: 'maybe' })).toThrow(new RegExp(`^${name} must be a boolean .*; got "maybe"$`));
    }
  });
});
