/**
 * Limits that hold (CONTRACT §2, §5, §8): the static cost is computed on the operation as it will run
 * (no variable, default or directive lets a query past it), a runtime budget holds whatever the
 * estimate says, bad input is BAD_USER_INPUT before any read, and nothing is learnt about other
 * tenants from the API's port.
 */
import { randomInt } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import jwt from 'jsonwebtoken';
import { ObjectId } from 'mongodb';
import { Writable } from 'node:stream';
import { faultOnReadsOf } from './support/faults';
import { startTestGateway, TEST_JWT_SECRET, type GraphQLResult, type TestGateway } from './support/gateway';
import { FULL_GRAPH } from './support/queries';
import { sleep, waitFor } from './support/wait';
import { parse } from 'graphql';
import { buildGatewaySchema } from '../src/assembly/gateway-schema';
import { operationCost } from '../src/server/limits/cost';

/** A log destination that keeps the gateway's JSON lines in `lines`. */
function capture(lines: Array<Record<string, any>>): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line));
      done();
    },
  });
}

let gw: TestGateway;
const fault = faultOnReadsOf('accounts');
const logLines: Array<Record<string, any>> = [];
beforeAll(async () => {
  gw = await startTestGateway({ scale: 8, logStream: capture(logLines), logLevel: 'info', fault });
});
afterAll(() => gw.stop());

const team = () => gw.fixtures.teams.acmeMain.toHexString();
const member = () => gw.tokenFor('member');

function expectRefused(result: GraphQLResult, code: string, message?: RegExp): void {
  expect(result.status).toBe(400);
  expect(result.body.data ?? null).toBeNull();
  expect(result.body.errors).toHaveLength(1);
  expect(result.body.errors![0].extensions?.code).toBe(code);
  if (message) expect(result.body.errors![0].message).toMatch(message);
}

/** The reproduction of the bypass: a null variable in `@include` made the estimator give up. */
const BYPASS = (variableDefinition: string, directive: string) => `query A(${variableDefinition}) {
  z: viewer { name ${directive} }
  s: sessions(teamId: "TEAM", first: 100) { nodes { _id app { crew { tasks { name context { name context { name } } } } } } }
}`;

describe('the static cost is computed on the operation as it will run', () => {
  /** Only the caller's account was read (authentication comes first): nothing of the query's data. */
  const expectNoDataRead = (commands: number) => expect(commands).toBe(1);
  const send = (query: string, variables?: Record<string, unknown>) =>
    gw.countCommands(() => gw.graphql(query.replaceAll('TEAM', team()), variables, member()));

  it.each([
    ['@include, a default, the variable sent null', '$v: Boolean = true', '@include(if: $v)', { v: null }],
    ['@include, no default, the variable sent null', '$v: Boolean', '@include(if: $v)', { v: null }],
    ['@include, no default, the variable left out', '$v: Boolean', '@include(if: $v)', {}],
    ['@skip, a default, the variable sent null', '$v: Boolean = false', '@skip(if: $v)', { v: null }],
  ])('%s: BAD_USER_INPUT before any read', async (_name, definition, directive, variables) => {
    const { result, total } = await send(BYPASS(definition, directive), variables);
    // a nullable variable in a non-null position is caught by validation; a null for a defaulted one when computing the cost
    expectRefused(result, 'BAD_USER_INPUT', /Argument "if" of non-null type "Boolean!" must not be null|Variable "\$v" of type "Boolean" used in position expecting type "Boolean!"/);
    expectNoDataRead(total);
  });

  it.each([
    ['@include(if: true)', '$v: Boolean = true', '@include(if: $v)', { v: true }],
    ['@include(if: false)', '$v: Boolean = true', '@include(if: $v)', { v: false }],
    ['@skip(if: true)', '$v: Boolean = false', '@skip(if: $v)', { v: true }],
    ['the default', '$v: Boolean = true', '@include(if: $v)', {}],
  ])('%s: the query itself is over the limit, whatever the condition', async (_name, definition, directive, variables) => {
    const { result, total } = await send(BYPASS(definition, directive), variables);
    expectRefused(result, 'QUERY_TOO_COMPLEX', /^Query cost 31300 exceeds the limit of 20000$/);
    expectNoDataRead(total);
  });

  it('through fragments and aliases too', async () => {
    const query = `query($v: Boolean = true) { ...V a: sessions(teamId: "TEAM", first: 60) { ...P } b: sessions(teamId: "TEAM", first: 60) { ...P } }
      fragment V on Query { viewer { name @include(if: $v) } }
      fragment P on SessionConnection { nodes { app { crew { ...T } } } }
      fragment T on Crew { tasks { context { context { name } } } }`;
    expectRefused((await send(query, { v: null })).result, 'BAD_USER_INPUT');
    // 2 × 60 × (app 1 + crew 1 + tasks 10 × (1 + context 5 × (1 + context 5))) = 37,560
    expectRefused((await send(query, { v: true })).result, 'QUERY_TOO_COMPLEX', /^Query cost 37560 exceeds/);
  });

  it('a skipped field costs nothing, an included one counts', async () => {
    const query = `query($heavy: Boolean!) { sessions(teamId: "TEAM", first: 100) { nodes { name tasks @include(if: $heavy) { context { context { name } } } } } }`;
    const light = await send(query, { heavy: false });
    expect(light.result.status).toBe(200);
    expect(light.result.body.errors).toBeUndefined();
    expectRefused((await send(query, { heavy: true })).result, 'QUERY_TOO_COMPLEX');
  });

  it('a null into a non-null argument with a default is BAD_USER_INPUT, not an internal error (Relay’s `$count: Int = 5`)', async () => {
    const query = 'query($n: Int = 3) { sessions(teamId: "TEAM", first: $n) { nodes { _id } } }';
    const { result, total } = await send(query, { n: null });
    expectRefused(result, 'BAD_USER_INPUT', /Argument "first" of non-null type "Int!" must not be null/);
    expectNoDataRead(total);
    const defaulted = await send(query, {});
    expect(defaulted.result.body.data.sessions.nodes).toHaveLength(3);
  });

  it('the session-detail fragment inside sessions(first: 20) passes at the defaults', async () => {
    const query = `fragment Detail on Session { ${FULL_GRAPH} orgId lastUpdatedDate previewLabel appId teamId }
      query { sessions(teamId: "TEAM", first: 20) { edges { cursor node { ...Detail } } pageInfo { hasNextPage endCursor } } }`;
    const result = await gw.graphql(query.replaceAll('TEAM', team()), {}, gw.tokenFor('owner'));
    expect(result.status).toBe(200);
    expect(result.body.data.sessions.edges).toHaveLength(20);
  });

  it('refuses 500 generated over-budget queries before any database command', async () => {
    // per session: the heavy branches cost 310 to 810 documents, the others 100 to 362
    const heavy = ['tasks { context { context { name } } }', 'tasks { context { tools { datasource { model { name } } } } }', 'app { crew { tasks { context { agent { tools { name } } } } } }'];
    const others = ['agents { tools { datasource { name } } variables { name } }', 'tools { datasource { model { name } } } models { name } datasources { model { name } }', 'name status app { name }'];
    const pick = (list: string[]) => list[randomInt(list.length)];
    const sizes: number[] = [];
    for (let i = 0; i < 500; i++) {
      const pages = Array.from({ length: 1 + randomInt(3) }, (_, p) => {
        const selection = [pick(heavy), ...Array.from({ length: randomInt(3) }, () => pick([...heavy, ...others]))].join(' ');
        const inner = randomInt(2) ? `nodes { _id ${selection} }` : `edges { cursor node { _id ${selection} } }`;
        return { p, first: 80 + randomInt(21), inner, useVariable: randomInt(2) === 0 };
      });
      const definitions = pages.filter((page) => page.useVariable).map((page) => `$f${page.p}: Int = 20`);
      const fields = pages.map((page) => `p${page.p}: sessions(teamId: "${team()}", first: ${page.useVariable ? `$f${page.p}` : page.first}) { ${page.inner} }`);
      const query = `query${definitions.length ? `(${definitions.join(', ')})` : ''} { ${fields.join(' ')} }`;
      const variables = Object.fromEntries(pages.filter((page) => page.useVariable).map((page) => [`f${page.p}`, page.first]));
      const { result, total } = await gw.countCommands(() => gw.graphql(query, variables, member()));
      sizes.push(result.text.length);
      expectNoDataRead(total);
      expectRefused(result, 'QUERY_TOO_COMPLEX', /^Query cost \d+ exceeds the limit of 20000$/);
    }
    expect(sizes).toHaveLength(500);
    expect(Math.max(...sizes)).toBeLessThan(500);
  }, 120_000);
});

describe('a runtime budget that no query shape escapes', () => {
  let open: TestGateway; // the static limit out of the way, small runtime budgets
  beforeAll(async () => {
    open = await startTestGateway({ scale: 20, limits: { maxCost: 10_000_000 }, app: { budgets: { maxDocuments: 200, maxResponseBytes: 20_000 } } });
  });
  afterAll(() => open.stop());

  it('past MAX_DOCUMENTS_PER_REQUEST the request stops reading: 400 QUERY_TOO_COMPLEX, no partial data', async () => {
    const query = `{ sessions(teamId: "${open.fixtures.teams.acmeMain.toHexString()}", first: 100) { nodes { ${FULL_GRAPH} } } }`;
    const { result, total } = await open.countCommands(() => open.graphql(query, {}, open.tokenFor('owner')));
    expectRefused(result, 'QUERY_TOO_COMPLEX', /read more than 200 documents \(MAX_DOCUMENTS_PER_REQUEST\)/);
    expect(total).toBeLessThanOrEqual(10);
    // crossed by the page itself: no read of the graph below it starts
    const tight = await startTestGateway({ scale: 20, limits: { maxCost: 10_000_000 }, app: { budgets: { maxDocuments: 50 } } });
    try {
      const page = `{ sessions(teamId: "${tight.fixtures.teams.acmeMain.toHexString()}", first: 100) { nodes { ${FULL_GRAPH} } } }`;
      const stopped = await tight.countCommands(() => tight.graphql(page, {}, tight.tokenFor('owner')));
      expectRefused(stopped.result, 'QUERY_TOO_COMPLEX', /read more than 50 documents/);
      expect(stopped.byName).toEqual({ 'find accounts': 1, 'find teams': 1, 'find sessions': 1 });
    } finally {
      await tight.stop();
    }
  });

  it('past MAX_RESPONSE_BYTES: 400 QUERY_TOO_COMPLEX, no partial data', async () => {
    // few documents, a large answer: the same session many times under aliases
    const id = open.fixtures.sessions.teamCrew.toHexString();
    const query = `fragment F on Session { ${FULL_GRAPH} } { ${Array.from({ length: 15 }, (_, i) => `s${i}: session(_id: "${id}") { ...F }`).join(' ')} }`;
    const result = await open.graphql(query, {}, open.tokenFor('owner'));
    expectRefused(result, 'QUERY_TOO_COMPLEX', /larger than 20000 bytes \(MAX_RESPONSE_BYTES\)/);
    expect(result.text.length).toBeLessThan(300);
  });

  it('both refusals are 400 whatever the Accept header (they happen during execution), while a request error under application/json is 200', async () => {
    const post = async (query: string, accept?: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${open.tokenFor('owner')}` };
      if (accept) headers.accept = accept;
      const response = await fetch(`${open.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query }) });
      return { status: response.status, body: (await response.json()) as { data?: unknown; errors: Array<{ message: string; extensions?: { code?: string } }> } };
    };
    const id = open.fixtures.sessions.teamCrew.toHexString();
    const documents = `{ sessions(teamId: "${open.fixtures.teams.acmeMain.toHexString()}", first: 100) { nodes { ${FULL_GRAPH} } } }`;
    const bytes = `fragment F on Session { ${FULL_GRAPH} } { ${Array.from({ length: 15 }, (_, i) => `s${i}: session(_id: "${id}") { ...F }`).join(' ')} }`;
    for (const accept of ['application/json', 'application/json, application/graphql-response+json;q=0.9', 'application/graphql-response+json', '*/*', undefined]) {
      for (const [query, budget] of [[documents, /MAX_DOCUMENTS_PER_REQUEST/], [bytes, /MAX_RESPONSE_BYTES/]] as const) {
        const { status, body } = await post(query, accept);
        expect({ accept, status, code: body.errors?.[0]?.extensions?.code, data: body.data ?? null }).toEqual({ accept, status: 400, code: 'QUERY_TOO_COMPLEX', data: null });
        expect(body.errors[0].message).toMatch(budget);
      }
    }
    // a control: a document that does not validate is a request error, 200 under application/json
    expect((await post('{ nope }', 'application/json')).status).toBe(200);
    expect((await post('{ nope }', 'application/graphql-response+json')).status).toBe(400);
  });

  it('holds for REST too', async () => {
    const tight = await startTestGateway({ app: { budgets: { maxDocuments: 5, maxResponseBytes: 100_000 } } });
    try {
      const path = `/${tight.fixtures.teams.acmeMain.toHexString()}/session/${tight.fixtures.sessions.teamCrew.toHexString()}.json`;
      const result = await tight.get(path, { authorization: `Bearer ${tight.tokenFor('member')}` });
      expect(result.status).toBe(400);
      expect(JSON.parse(result.text)).toEqual({ message: expect.stringMatching(/MAX_DOCUMENTS_PER_REQUEST/), code: 400 });
    } finally {
      await tight.stop();
    }
  });

  it('100 generated heavy queries that the estimate lets through: each stopped by a budget or answered within both', async () => {
    const branches = ['tasks { context { context { name description } } }', 'agents { tools { datasource { name } } variables { name } }', 'app { crew { tasks { tools { name } } agents { name } } }', 'tools { datasource { model { name } } }'];
    const outcomes = { stopped: 0, answered: 0 };
    for (let i = 0; i < 100; i++) {
      const selection = Array.from({ length: 1 + randomInt(4) }, () => branches[randomInt(branches.length)]).join(' ');
      const query = `{ sessions(teamId: "${open.fixtures.teams.acmeMain.toHexString()}", first: ${1 + randomInt(100)}) { nodes { _id ${selection} } } }`;
      const result = await open.graphql(query, {}, open.tokenFor('owner'));
      expect(result.text.length).toBeLessThanOrEqual(20_000);
      if (result.status === 400) {
        expectRefused(result, 'QUERY_TOO_COMPLEX', /MAX_DOCUMENTS_PER_REQUEST|MAX_RESPONSE_BYTES/);
        outcomes.stopped += 1;
      } else {
        expect(result.status).toBe(200);
        for (const error of result.body.errors ?? []) expect(error.extensions?.code).toBe('INVALID_STORED_DATA');
        outcomes.answered += 1;
      }
    }
    console.log(`runtime budget: ${outcomes.stopped} of 100 stopped, ${outcomes.answered} answered within the budgets`);
    expect(outcomes.stopped).toBeGreaterThan(10);
  }, 120_000);
});

describe('the heaviest query the defaults allow', () => {
  it('its time and memory, in the test output', async () => {
    // the detail fragment over a page of 40: just under the default limit
    const query = `{ sessions(teamId: "${team()}", first: 40) { nodes { ${FULL_GRAPH} } } }`;
    await gw.graphql(query, {}, gw.tokenFor('owner'));
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = process.hrtime.bigint();
    const result = await gw.graphql(query, {}, gw.tokenFor('owner'));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const heapAfter = process.memoryUsage().heapUsed;
    expect(result.status).toBe(200);
    console.log(`heaviest allowed query: ${ms.toFixed(0)} ms, ${result.text.length} bytes, heap +${((heapAfter - heapBefore) / 2 ** 20).toFixed(1)} MB (before GC)`);
  });
});

describe('nothing is learnt about other tenants', () => {
  it('the API port answers the same bytes for another team’s existing session and for a missing id, and serves no metrics', async () => {
    const foreign = gw.fixtures.sessions.globexSession.toHexString();
    const missing = new ObjectId().toHexString();
    const ask = (id: string) => gw.graphql(`{ session(_id: "${id}") { _id name app { name } } }`, {}, member());
    const [a, b] = [await ask(foreign), await ask(missing)];
    expect(a.text).toBe(b.text);
    expect(a.text).toBe('{"data":{"session":null}}\n');
    expect((await gw.get('/metrics')).status).toBe(404);
    expect(gw.metricsUrl).toBeDefined();
    expect((await fetch(`${gw.metricsUrl}/metrics`)).status).toBe(200);
  });

  it('session(_id) does the same reads, in the same round trips, for a session the caller may not read (owner mode too) and for one that does not exist', async () => {
    const f = gw.fixtures;
    const reads = async (id: string, token: string | null) => {
      const { result, byName } = await gw.countCommands(() => gw.graphql(`{ session(_id: "${id}") { _id name } }`, {}, token));
      expect(result.text).toBe('{"data":{"session":null}}\n');
      return byName;
    };
    const missing = new ObjectId().toHexString();
    // the outsider is in Globex only; the member is in Acme: each asks for the other team's sessions
    for (const [token, unreadable] of [
      [gw.tokenFor('outsider'), [f.sessions.teamCrew, f.sessions.restricted, f.sessions.noMode, f.sessions.unknownMode, f.sessions.ownerMode, f.sessions.ownerNoApp]],
      [member(), [f.sessions.globexSession]],
    ] as const) {
      const expected = await reads(missing, token);
      expect(expected).toEqual({ 'find accounts': 1, 'find sessions': 1, 'find apps': 1, 'find teams': 1, 'find orgs': 1 });
      for (const id of unreadable) expect({ id: id.toHexString(), reads: await reads(id.toHexString(), token) }).toEqual({ id: id.toHexString(), reads: expected });
    }
    // anonymous callers: no admin to check, so neither answer reads more than the session
    expect(await reads(missing, null)).toEqual({ 'find sessions': 1 });
    expect(await reads(f.sessions.teamCrew.toHexString(), null)).toEqual({ 'find sessions': 1 });
  });
});

describe('bad input is BAD_USER_INPUT, logged once', () => {
  let fed: TestGateway;
  const fedLog: Array<Record<string, any>> = [];
  beforeAll(async () => {
    fed = await startTestGateway({ federation: true, logStream: capture(fedLog), logLevel: 'info' });
  });
  afterAll(() => fed.stop());

  it('2,000 malformed federation representations: one BAD_USER_INPUT, one log line (the access line)', async () => {
    const representations = Array.from({ length: 2000 }, () => ({ __typename: 'Crew' }));
    fedLog.length = 0;
    const { result, total } = await fed.countCommands(() => fed.graphql('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: representations }, null));
    expectRefused(result, 'BAD_USER_INPUT', /^representations\[0\] has an id that is not the id of a Crew from this API$/);
    expect(total).toBe(0);
    // the access line is written as the response ends: whatever was logged for the request is there by then
    await waitFor(() => fedLog.some((line) => line.msg === 'request'), 5000, 'the access line');
    expect(fedLog.map((line) => line.msg)).toEqual(['request']);
  });

  it('a representation with a malformed id is refused the same way; a well-formed one to nothing is null', async () => {
    const bad = await fed.graphql('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: [{ __typename: 'Session', id: { $ne: null } }] }, null);
    expectRefused(bad, 'BAD_USER_INPUT', /has an id that is not the id of a Session from this API/);
    const missing = await fed.graphql('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: [{ __typename: 'Session', id: Buffer.from(`Session:${new ObjectId().toHexString()}`).toString('base64url') }] }, null);
    expect(missing.body).toEqual({ data: { _entities: [null] } });
  });

  it('inline traces only when GRAPHQL_FEDERATION_TRACES is on', async () => {
    const ask = (target: TestGateway) => fetch(`${target.url}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'apollo-federation-include-trace': 'ftv1' }, body: JSON.stringify({ query: '{ _service { sdl } }' }),
    }).then((response) => response.json() as Promise<{ extensions?: Record<string, unknown> }>);
    expect((await ask(fed)).extensions?.ftv1).toBeUndefined();
    const traced = await startTestGateway({ federation: true, app: { federationTraces: true } });
    try {
      expect(typeof (await ask(traced)).extensions?.ftv1).toBe('string');
    } finally {
      await traced.stop();
    }
  });

  it('an unexpected error (a defect while reading the caller\'s account) is one error line for its request', async () => {
    logLines.length = 0;
    // a defect while reading the caller's account: one error line
    fault.failing = true;
    try {
      const result = await gw.graphql('{ viewer { name } }', undefined, gw.tokenFor('member'));
      expect(result.status).toBe(500);
    } finally {
      fault.failing = false;
    }
    // the access line is written as the response ends: the request's error lines are there by then
    await waitFor(() => logLines.some((line) => line.msg === 'request' && line.status === 500), 5000, 'the access line');
    expect(logLines.filter((line) => line.level >= 50)).toHaveLength(1);
  });
});

describe('tokens', () => {
  it('a token with a crit header is not valid', async () => {
    const token = jwt.sign({ accountId: gw.fixtures.accounts.member.toHexString() }, TEST_JWT_SECRET, { algorithm: 'HS256', header: { alg: 'HS256', crit: ['exp'] } as jwt.JwtHeader });
    const result = await gw.graphql('{ viewer { name } }', undefined, token);
    expect(result.status).toBe(401);
    expect(result.body.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('JWT_MAX_AGE_S refuses tokens issued longer ago, tokens that say nothing of their age, and tokens issued more than a minute ahead (they would outlive it)', async () => {
    const bounded = await startTestGateway({ app: { tokenRules: { maxAgeS: 60 } } });
    try {
      const accountId = bounded.fixtures.accounts.member.toHexString();
      const fresh = jwt.sign({ accountId }, TEST_JWT_SECRET, { algorithm: 'HS256' });
      const old = jwt.sign({ accountId, iat: Math.floor(Date.now() / 1000) - 120 }, TEST_JWT_SECRET, { algorithm: 'HS256' });
      const ageless = jwt.sign({ accountId }, TEST_JWT_SECRET, { algorithm: 'HS256', noTimestamp: true });
      const ahead = jwt.sign({ accountId, iat: Math.floor(Date.now() / 1000) + 3600 }, TEST_JWT_SECRET, { algorithm: 'HS256' });
      const slightlyAhead = jwt.sign({ accountId, iat: Math.floor(Date.now() / 1000) + 20 }, TEST_JWT_SECRET, { algorithm: 'HS256' });
      // accepted first by a gateway without the bound, in the same process: a token checked under one rule is checked again under another
      for (const token of [old, ageless, ahead]) expect((await gw.graphql('{ viewer { name } }', undefined, token)).body.data.viewer.name).toBe('Max Member');
      for (const token of [fresh, slightlyAhead]) expect((await bounded.graphql('{ viewer { name } }', undefined, token)).body.data.viewer.name).toBe('Max Member');
      for (const token of [old, ageless, ahead]) expect((await bounded.graphql('{ viewer { name } }', undefined, token)).status).toBe(401);
    } finally {
      await bounded.stop();
    }
  });
});

describe('calibration: the cost next to the documents a query reads', () => {
  it('prints the table of the README, and the cost is never below what was read', async () => {
    const schema = buildGatewaySchema();
    let documents = 0;
    const count = (event: { reply?: { cursor?: { firstBatch?: unknown[] } } }) => (documents += event.reply?.cursor?.firstBatch?.length ?? 0);
    gw.client.on('commandSucceeded', count);
    const id = gw.fixtures.sessions.teamCrew.toHexString();
    const detail = `fragment Detail on Session { ${FULL_GRAPH} orgId lastUpdatedDate previewLabel appId teamId }`;
    const page = (first: number) => `${detail} query { sessions(teamId: "${team()}", first: ${first}) { edges { cursor node { ...Detail } } } }`;
    const rows: Array<[string, string]> = [
      ['session(_id) { name }', `{ session(_id: "${id}") { name } }`],
      ['the README’s example (one session’s graph, a page of 20 names, viewer)', `{ session(_id: "${id}") { name status startDate sharingConfig { mode }
          app { name type crew { name managerModel { name } } kickOffVariables { name } }
          tasks { name agent { name } tools { name } context { name } variables { name } }
          agents { name model { name } functionModel { name } tools { name datasource { name } } }
          tools { name type } models { name } datasources { name model { name } } }
        sessions(teamId: "${team()}", first: 20) { edges { cursor node { _id name status } } pageInfo { hasNextPage endCursor } }
        viewer { name orgs { name teams { name } } } }`],
      ['list view: sessions(first: 50) { name app { name } }', `{ sessions(teamId: "${team()}", first: 50) { edges { node { name app { name } } } } }`],
      ['detail fragment, first: 1', page(1)],
      ['detail fragment, first: 20', page(20)],
      ['detail fragment, first: 100', page(100)],
    ];
    const open = await startTestGateway({ scale: 8, limits: { maxCost: 10_000_000 } });
    open.client.on('commandSucceeded', count);
    const lines = ['| query | cost | documents read |', '|---|---:|---:|'];
    try {
      for (const [name, query] of rows) {
        const document = parse(query.replaceAll(team(), open.fixtures.teams.acmeMain.toHexString()).replaceAll(id, open.fixtures.sessions.teamCrew.toHexString()));
        const operation = document.definitions.find((d) => d.kind === 'OperationDefinition')!;
        const cost = operationCost({ schema, document, operation: operation as never, variables: {} });
        documents = 0;
        const result = await open.graphql(query.replaceAll(team(), open.fixtures.teams.acmeMain.toHexString()).replaceAll(id, open.fixtures.sessions.teamCrew.toHexString()), {}, open.tokenFor('owner'));
        expect(result.status).toBe(200);
        const read = documents - 1; // the caller's account
        lines.push(`| ${name} | ${cost} | ${read} |`);
        expect(cost).toBeGreaterThanOrEqual(read);
      }
    } finally {
      gw.client.off('commandSucceeded', count);
      await open.stop();
    }
    console.log(lines.join('\n'));
  });
});

describe('requests shed', () => {
  it('are counted under the route they asked for, REST and GraphQL; unknown paths never wait', async () => {
    const small = await startTestGateway({ app: { loadShedding: { maxConcurrent: 1, maxWaitMs: 50 } } });
    try {
      const path = `/${small.fixtures.teams.acmeMain.toHexString()}/session/${small.fixtures.sessions.teamCrew.toHexString()}.json`;
      const auth = { authorization: `Bearer ${small.tokenFor('member')}` };
      const answers = await Promise.all([
        ...Array.from({ length: 20 }, () => small.get(path, auth)),
        ...Array.from({ length: 20 }, () => small.graphql('{ __typename }')),
        ...Array.from({ length: 5 }, () => small.get('/no/such/route')),
      ]);
      expect(answers.slice(0, 40).filter((answer) => answer.status === 503).length).toBeGreaterThan(0);
      expect(answers.slice(40).map((answer) => answer.status)).toEqual([404, 404, 404, 404, 404]);
      const metrics = await (await fetch(`${small.metricsUrl}/metrics`)).text();
      const shed = metrics.split('\n').filter((line) => line.startsWith('http_requests_total{') && line.includes('status="503"'));
      expect(shed.length).toBeGreaterThan(0);
      for (const line of shed) expect(line).toMatch(/route="(\/:resourceSlug\/session\/:sessionId\.json|\/graphql)"/);
    } finally {
      await small.stop();
    }
  });
});

describe('places in progress', () => {
  it('a request whose client hung up keeps its place while its work goes on: hanging up does not pass MAX_CONCURRENT_REQUESTS', async () => {
    const small = await startTestGateway({ app: { loadShedding: { maxConcurrent: 2, maxWaitMs: 300 } } });
    const query = JSON.stringify({ query: '{ viewer { name } }' });
    const post = (signal?: AbortSignal) => fetch(`${small.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${small.tokenFor('member')}` }, body: query, signal });
    // their reads wait for a database that does not answer for a while
    process.kill(small.mongo.pid, 'SIGSTOP');
    let resumed = false;
    try {
      // two in progress, two waiting, two shed at once; the four hang up
      const hungUp = Array.from({ length: 6 }, () => {
        const abort = new AbortController();
        setTimeout(() => abort.abort(), 150);
        return post(abort.signal).then((answer) => answer.status, () => 'hung up');
      });
      expect((await Promise.all(hungUp)).sort()).toEqual([503, 503, 'hung up', 'hung up', 'hung up', 'hung up']);
      // the two in progress still hold their places: the next one waits its turn, then is shed
      const next = await post(AbortSignal.timeout(3_000)).then((answer) => answer.status, () => 'no answer');
      expect(next).toBe(503);
      process.kill(small.mongo.pid, 'SIGCONT');
      resumed = true;
      // once their work is done, the places come back
      await waitFor(async () => (await post()).status === 200, 10_000, 'a place free again');
    } finally {
      if (!resumed) process.kill(small.mongo.pid, 'SIGCONT');
      await small.stop();
    }
  }, 30_000);

  it('a client that does not read its answer holds no place once the answer is handed over', async () => {
    const small = await startTestGateway({ scale: 1, app: { loadShedding: { maxConcurrent: 1, maxWaitMs: 300 }, budgets: { maxResponseBytes: 32 * 2 ** 20 } } });
    const session = small.fixtures.sessions.publicChat;
    const sockets: Socket[] = [];
    try {
      // an answer of about 8 MB, past what the sockets' buffers take
      const template = (await small.db.collection('chat').findOne({ sessionId: session }))!;
      await small.db.collection('chat').insertMany(Array.from({ length: 1_600 }, (_, i) => ({ ...template, _id: new ObjectId(), chunkId: `big-${i}`, message: { message: { text: 'x'.repeat(5_000) } } })));
      const path = `/s/${small.fixtures.teams.acmeMain.toHexString()}/session/${session.toHexString()}/messages.json`;
      const { port } = new URL(small.url);
      for (let i = 0; i < 2; i++) {
        const socket = connect(Number(port), '127.0.0.1');
        socket.on('error', () => undefined);
        socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
        socket.pause(); // reads nothing
        sockets.push(socket);
      }
      await sleep(2_000);
      const other = await small.get(`/s/${small.fixtures.teams.acmeMain.toHexString()}/session/${session.toHexString()}.json`);
      expect(other.status).toBe(200);
    } finally {
      for (const socket of sockets) socket.destroy();
      await small.stop();
    }
  }, 30_000);
});

describe('slow clients', () => {
  it('a client sending its body slowly holds a socket, not one of the places in progress: the others are served', async () => {
    const small = await startTestGateway({ app: { loadShedding: { maxConcurrent: 2, maxWaitMs: 200 } } });
    const { port } = new URL(small.url);
    const sockets: Socket[] = [];
    try {
      // four POSTs whose bodies never finish: twice the places in progress
      for (let i = 0; i < 4; i++) {
        const socket = connect(Number(port), '127.0.0.1');
        socket.on('error', () => undefined);
        socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"query":');
        sockets.push(socket);
      }
      await sleep(300);
      const rest = await small.get(`/${small.fixtures.teams.acmeMain.toHexString()}/session/${small.fixtures.sessions.teamCrew.toHexString()}.json`, { authorization: `Bearer ${small.tokenFor('member')}` });
      const graphql = await small.graphql('{ viewer { name } }', undefined, small.tokenFor('member'));
      expect([rest.status, graphql.status]).toEqual([200, 200]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await small.stop();
    }
  });
});
