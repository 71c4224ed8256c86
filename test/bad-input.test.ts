/**
 * Bad input and bad days (CONTRACT §5, §6): malformed ids, page sizes, cursors and enums; stored
 * values outside an enum; malformed HTTP requests; secrets in error messages; the probes; and a
 * database that goes away. Every error is JSON with a contract code, and never shows a stack trace,
 * a file path or a driver message.
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ObjectId } from 'mongodb';
import { faultOnReadsOf } from './support/faults';
import { startTestGateway, type GraphQLResult, type TestGateway } from './support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

type Body = GraphQLResult['body'];

/** Nothing of the machinery shows: no stack frames, no source paths, no driver names. */
function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/\bat .*:\d+:\d+/); // "at fn (file.js:1:2)"
  expect(text).not.toMatch(/\s{2,}at \S/);
  expect(text).not.toMatch(/\/work\/|node_modules|[\w-]+\.(ts|js):\d+/);
  expect(text).not.toMatch(/stacktrace/i);
  expect(text).not.toMatch(/mongo/i);
}

/** The response is a single (or several) BAD_USER_INPUT error(s), with no data. */
function expectBadUserInput(result: GraphQLResult, message?: RegExp): void {
  const { body } = result;
  expect(body.errors?.length).toBeGreaterThanOrEqual(1);
  for (const error of body.errors!) expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  if (message) expect(body.errors!.map((e) => e.message).join('\n')).toMatch(message);
  expect(body.data ?? null).toBeNull();
  expectNoInternals(result.text);
}

/** A raw request to /graphql (or another path) whose answer must be JSON. */
async function request(path: string, init: RequestInit = {}): Promise<GraphQLResult> {
  const response = await fetch(gw.url + path, init);
  const text = await response.text();
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  let body: Body;
  try {
    body = JSON.parse(text) as Body;
  } catch {
    throw new Error(`not JSON (HTTP ${response.status}): ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, text, body };
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const postBody = (body: string, headers: Record<string, string> = JSON_HEADERS) => request('/graphql', { method: 'POST', headers, body });

const OBJECT_ID_MESSAGE = /ObjectId must be a string of 24 lowercase hex characters/;

describe('malformed ObjectIds', () => {
  const hex = '65f1c0a2b3c4d5e6f7a8b9c0';
  /** Values sent as variables, each with what its error message must say. */
  const variableCases: Array<[string, unknown, RegExp]> = [
    ['uppercase hex', hex.toUpperCase(), /ObjectId must be .*got "65F1C0A2B3C4D5E6F7A8B9C0"/],
    ['mixed-case hex', `${hex.slice(0, 12)}${hex.slice(12).toUpperCase()}`, OBJECT_ID_MESSAGE],
    ['23 characters', hex.slice(0, 23), /ObjectId must be .*got "65f1c0a2b3c4d5e6f7a8b9c"$/],
    ['25 characters', `${hex}0`, /ObjectId must be .*got "65f1c0a2b3c4d5e6f7a8b9c00"/],
    ['non-hex', 'zzzzzzzzzzzzzzzzzzzzzzzz', /ObjectId must be .*got "zzzzzzzzzzzzzzzzzzzzzzzz"/],
    ['hex with spaces', ` ${hex} `, OBJECT_ID_MESSAGE],
    ['empty string', '', /ObjectId must be .*got ""/],
    ['a number', 123, /ObjectId must be .*got .*(number|123)/],
    ['a boolean', true, /ObjectId must be .*got .*(boolean|true)/],
    ['{"$ne": null}', { $ne: null }, /ObjectId must be .*got .*(object|\$ne)/],
    ['{"$gt": ""}', { $gt: '' }, /ObjectId must be .*got .*(object|\$gt)/],
    ['an extended-JSON id {"$oid": …}', { $oid: hex }, /ObjectId must be .*got .*(object|\$oid)/],
    ['a list', [hex], /ObjectId must be .*got .*(list|\[)/],
    ['null for a non-null argument', null, /"\$id" of non-null type "ObjectId!" must not be null/],
  ];

  /** Literals written into the query, each with what its error message must say. */
  const literalCases: Array<[string, string, RegExp]> = [
    ['uppercase hex', `"${hex.toUpperCase()}"`, /ObjectId must be .*got "65F1C0A2B3C4D5E6F7A8B9C0"/],
    ['23 characters', `"${hex.slice(0, 23)}"`, OBJECT_ID_MESSAGE],
    ['25 characters', `"${hex}0"`, OBJECT_ID_MESSAGE],
    ['non-hex', '"zzzzzzzzzzzzzzzzzzzzzzzz"', OBJECT_ID_MESSAGE],
    ['empty string', '""', /ObjectId must be .*got ""/],
    ['a number', '123', /ObjectId must be .*got .*(number|123)/],
    ['a float', '1.5', /ObjectId must be .*got .*(number|1\.5)/],
    ['an object literal { ne: null }', '{ ne: null }', /ObjectId must be .*got .*(object|ne: null)/],
    ['an object literal { gt: "" }', '{ gt: "" }', /ObjectId must be .*got .*(object|gt: "")/],
    // `$` cannot start a GraphQL name, so the Mongo operator spelling fails to parse at all.
    ['an object literal { $ne: null }', '{ $ne: null }', /Syntax Error/],
    ['a list', `["${hex}"]`, /ObjectId must be .*got .*(list|\[)/],
    ['null for a non-null argument', 'null', /Expected value of type "ObjectId!", found null/],
  ];

  const fields: Array<{ name: string; query: (arg: string) => string; noArg: string; varQuery: string; token: () => string | null }> = [
    {
      name: 'session(_id:)',
      query: (arg) => `{ session(_id: ${arg}) { name } }`,
      noArg: '{ session { name } }',
      varQuery: 'query($id: ObjectId!) { session(_id: $id) { name } }',
      token: () => null,
    },
    {
      name: 'sessions(teamId:)',
      query: (arg) => `{ sessions(teamId: ${arg}) { edges { node { name } } } }`,
      noArg: '{ sessions(first: 1) { edges { node { name } } } }',
      varQuery: 'query($id: ObjectId!) { sessions(teamId: $id) { edges { node { name } } } }',
      token: () => gw.tokenFor('member'),
    },
  ];

  describe.each(fields)('$name', (field) => {
    it.each(variableCases)('rejects %s as a variable with HTTP 400', async (_label, value, message) => {
      const result = await gw.graphql(field.varQuery, { id: value }, field.token());
      expect(result.status).toBe(400);
      expectBadUserInput(result, message);
    });

    it.each(literalCases)('rejects %s as a literal with HTTP 400', async (_label, literal, message) => {
      const result = await gw.graphql(field.query(literal), undefined, field.token());
      expect(result.status).toBe(400);
      expectBadUserInput(result, message);
    });

    it('rejects a boolean literal with a message that names it', async () => {
      const result = await gw.graphql(field.query('true'), undefined, field.token());
      expect(result.status).toBe(400);
      expectBadUserInput(result, OBJECT_ID_MESSAGE);
      // "got a value of type undefined" would not tell the caller what was wrong
      expect(result.body.errors![0].message).not.toMatch(/undefined/);
      expect(result.body.errors![0].message).toMatch(/got .*(boolean|true)/);
    });

    it('rejects a missing variable and a missing argument', async () => {
      const missingVariable = await gw.graphql(field.varQuery, {}, field.token());
      expect(missingVariable.status).toBe(400);
      expectBadUserInput(missingVariable, /"\$id" of required type "ObjectId!" was not provided/);
      const missingArgument = await gw.graphql(field.noArg, undefined, field.token());
      expect(missingArgument.status).toBe(400);
      expectBadUserInput(missingArgument, /argument "(_id|teamId)" of type "ObjectId!" is required/);
    });

    it('rejects a String variable passed where an ObjectId goes', async () => {
      const result = await gw.graphql(field.varQuery.replace('ObjectId!', 'String!'), { id: hex }, field.token());
      expect(result.status).toBe(400);
      expectBadUserInput(result, /"\$id" of type "String!" used in position expecting type "ObjectId!"/);
    });
  });

  it('stops an operator object before any database command (anonymous caller)', async () => {
    const { result, total } = await gw.countCommands(() =>
      gw.graphql('query($id: ObjectId!) { session(_id: $id) { name } }', { id: { $ne: null } }));
    expectBadUserInput(result);
    expect(total).toBe(0);
  });

  it('rejects a malformed appId filter too', async () => {
    const result = await gw.graphql('query($t: ObjectId!, $a: ObjectId) { sessions(teamId: $t, appId: $a) { edges { cursor } } }',
      { t: gw.fixtures.teams.acmeMain.toHexString(), a: { $exists: true } }, gw.tokenFor('member'));
    expect(result.status).toBe(400);
    expectBadUserInput(result, OBJECT_ID_MESSAGE);
  });

  it('accepts the well-formed spelling (a control)', async () => {
    const result = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { _id name } }',
      { id: gw.fixtures.sessions.teamCrew.toHexString() }, gw.tokenFor('member'));
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.session).toEqual({ _id: gw.fixtures.sessions.teamCrew.toHexString(), name: 'Team crew run' });
  });
});

describe('sessions arguments', () => {
  const team = () => gw.fixtures.teams.acmeMain.toHexString();
  const page = (args: string) => `{ sessions(teamId: "${team()}"${args}) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }`;
  const pageWithVars = 'query($t: ObjectId!, $first: Int, $after: String, $status: SessionStatus) { sessions(teamId: $t, first: $first, after: $after, status: $status) { edges { cursor } } }';

  // Resolver-level argument checks are field errors: GraphQL answers HTTP 200 with `data: null`.
  it.each([101, -1, 1000])('rejects first: %d', async (first) => {
    for (const result of [
      await gw.graphql(page(`, first: ${first}`), undefined, gw.tokenFor('member')),
      await gw.graphql(pageWithVars, { t: team(), first }, gw.tokenFor('member')),
    ]) {
      expect(result.status).toBe(200);
      expectBadUserInput(result, new RegExp(`first must be between 0 and 100; got ${first}`));
      expect(result.body.errors![0].path).toEqual(['sessions']);
    }
  });

  it('rejects a first that is not a 32-bit integer', async () => {
    const tooBig = await gw.graphql(page(', first: 2147483648'), undefined, gw.tokenFor('member'));
    expect(tooBig.status).toBe(400);
    expectBadUserInput(tooBig, /Int cannot represent/);
    const fraction = await gw.graphql(pageWithVars, { t: team(), first: 1.5 }, gw.tokenFor('member'));
    expect(fraction.status).toBe(400);
    expectBadUserInput(fraction, /Int cannot represent/);
  });

  it('accepts first: 100: every session the member may read, newest first, on one page', async () => {
    const { status, body } = await gw.graphql(`{ sessions(teamId: "${team()}", first: 100) { nodes { _id } pageInfo { hasNextPage } } }`, undefined, gw.tokenFor('member'));
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const readable = ['missingCrew', 'brokenCrew', 'deletedApp', 'unknownMode', 'noMode', 'teamCrew', 'publicChat'] as const;
    expect(body.data.sessions.nodes.map((node: { _id: string }) => node._id)).toEqual(readable.map((key) => gw.fixtures.sessions[key].toHexString()));
    expect(body.data.sessions.pageInfo.hasNextPage).toBe(false);
  });

  it('accepts first: 0 with an empty page', async () => {
    const { status, body } = await gw.graphql(page(', first: 0'), undefined, gw.tokenFor('member'));
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.sessions.edges).toEqual([]);
    expect(body.data.sessions.pageInfo.endCursor).toBeNull();
  });

  it('accepts its own cursor (a control for the bad ones below)', async () => {
    const first = await gw.graphql(page(', first: 1'), undefined, gw.tokenFor('member'));
    const cursor = first.body.data.sessions.pageInfo.endCursor as string;
    const second = await gw.graphql(pageWithVars, { t: team(), first: 1, after: cursor }, gw.tokenFor('member'));
    expect(second.body.errors).toBeUndefined();
    expect(second.body.data.sessions.edges).toHaveLength(1);
    expect(second.body.data.sessions.edges[0].cursor).not.toBe(cursor);
  });

  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const hex = '65f1c0a2b3c4d5e6f7a8b9c0';
  it.each([
    ['garbage', 'garbage!!'],
    ['an empty string', ''],
    ['a bare ObjectId', hex],
    ['base64 of other text', b64('hello world')],
    ['base64 of JSON', b64(JSON.stringify({ _id: { $gt: '' } }))],
    ['base64 of another prefix', b64(`user:${hex}`)],
    ['base64 of an uppercase id', b64(`session:${hex.toUpperCase()}`)],
    ['base64 of a short id', b64(`session:${hex.slice(0, 23)}`)],
    ['base64 of a non-hex id', b64('session:zzzzzzzzzzzzzzzzzzzzzzzz')],
  ])('rejects a bad after cursor: %s', async (_label, after) => {
    const literal = await gw.graphql(page(`, after: ${JSON.stringify(after)}`), undefined, gw.tokenFor('member'));
    const variable = await gw.graphql(pageWithVars, { t: team(), after }, gw.tokenFor('member'));
    for (const result of [literal, variable]) {
      expect(result.status).toBe(200);
      expectBadUserInput(result, /after is not a cursor returned by this API/);
    }
  });

  it('rejects its own cursor altered where base64 decoding would skip the change (padding, spaces, a stray character)', async () => {
    const first = await gw.graphql(page(', first: 1'), undefined, gw.tokenFor('member'));
    const cursor = first.body.data.sessions.pageInfo.endCursor as string;
    for (const after of [`${cursor}=`, `${cursor}==`, ` ${cursor}`, `${cursor}\n`, `${cursor}.`, `${cursor.slice(0, 4)}\t${cursor.slice(4)}`]) {
      const result = await gw.graphql(pageWithVars, { t: team(), first: 1, after }, gw.tokenFor('member'));
      expectBadUserInput(result, /after is not a cursor returned by this API/);
    }
  });

  it('rejects a non-string after', async () => {
    const result = await gw.graphql(pageWithVars, { t: team(), after: { $gt: '' } }, gw.tokenFor('member'));
    expect(result.status).toBe(400);
    expectBadUserInput(result, /String cannot represent a non string value/);
  });

  it.each([
    ['an unknown literal', ', status: PAUSED', /Value "PAUSED" does not exist in "SessionStatus" enum/],
    ['a string literal instead of the enum', ', status: "RUNNING"', /Enum "SessionStatus" cannot represent non-enum value: "RUNNING"/],
    ['the stored lowercase spelling', ', status: running', /Value "running" does not exist in "SessionStatus" enum/],
  ])('rejects a status enum given as %s', async (_label, args, message) => {
    const result = await gw.graphql(page(args), undefined, gw.tokenFor('member'));
    expect(result.status).toBe(400);
    expectBadUserInput(result, message);
  });

  it.each([
    ['PAUSED', /Value "PAUSED" does not exist in "SessionStatus" enum/],
    ['running', /Value "running" does not exist in "SessionStatus" enum/],
    [{ $ne: null }, /Enum "SessionStatus" cannot represent non-string value/],
  ])('rejects a status variable %j', async (status, message) => {
    const result = await gw.graphql(pageWithVars, { t: team(), status }, gw.tokenFor('member'));
    expect(result.status).toBe(400);
    expectBadUserInput(result, message);
  });
});

describe('stored values outside an enum', () => {
  const pausedId = new ObjectId();
  beforeAll(async () => {
    const template = await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.teamCrew });
    await gw.db.collection('sessions').insertOne({ ...template, _id: pausedId, name: 'Paused run', status: 'paused' });
  });
  afterAll(() => gw.db.collection('sessions').deleteMany({ _id: pausedId }));

  it('gives an unknown status null with one error at its path, and the rest of the session', async () => {
    const { status, body, text } = await gw.graphql(
      'query($id: ObjectId!) { session(_id: $id) { _id name tokensUsed status sharingConfig { mode } app { name } } }',
      { id: pausedId.toHexString() }, gw.tokenFor('member'));
    expect(status).toBe(200);
    expect(body.data.session).toEqual({
      _id: pausedId.toHexString(), name: 'Paused run', tokensUsed: 5400, status: null, sharingConfig: { mode: 'TEAM' }, app: { name: 'Blog writer' },
    });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0].path).toEqual(['session', 'status']);
    expect(body.errors![0].message).toMatch(/SessionStatus/);
    expectNoInternals(text);
  });

  it('gives the unknown status null in a page too, without losing the page', async () => {
    const { body } = await gw.graphql(
      'query($t: ObjectId!) { sessions(teamId: $t, first: 100) { edges { node { _id name status } } } }',
      { t: gw.fixtures.teams.acmeMain.toHexString() }, gw.tokenFor('member'));
    const nodes = body.data.sessions.edges.map((e: { node: { _id: string } }) => e.node);
    expect(nodes.find((n: { _id: string }) => n._id === pausedId.toHexString())).toEqual({ _id: pausedId.toHexString(), name: 'Paused run', status: null });
    expect(nodes.filter((n: { status: string | null }) => n.status !== null).length).toBeGreaterThan(1);
    const statusErrors = body.errors!.filter((e) => e.path![e.path!.length - 1] === 'status');
    expect(statusErrors).toHaveLength(1);
  });

  it('gives an unknown sharing mode as the effective TEAM, with the stored value beside it and no error', async () => {
    const { status, body, text } = await gw.graphql(
      'query($id: ObjectId!) { session(_id: $id) { name tokensUsed status sharingConfig { mode storedMode permissions { granteeId } } app { name } } }',
      { id: gw.fixtures.sessions.unknownMode.toHexString() }, gw.tokenFor('member'));
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.session).toMatchObject({ name: 'Unknown mode', tokensUsed: 30, status: 'RUNNING', sharingConfig: { mode: 'TEAM', storedMode: 'secret-club' }, app: { name: expect.any(String) } });
    expectNoInternals(text);
  });

  it('gives a stored status outside its enum null, with one INVALID_STORED_DATA error at its path', async () => {
    const id = new ObjectId();
    const template = await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.teamCrew });
    await gw.db.collection('sessions').insertMany([{ ...template, _id: id, status: 'exploded' }]);
    try {
      const { status, body } = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { name status } }', { id: id.toHexString() }, gw.tokenFor('member'));
      expect(status).toBe(200);
      expect(body.data.session).toEqual({ name: 'Team crew run', status: null });
      expect(body.errors).toEqual([expect.objectContaining({ path: ['session', 'status'], extensions: { code: 'INVALID_STORED_DATA' } })]);
    } finally {
      await gw.db.collection('sessions').deleteMany({ _id: id });
    }
  });
});

describe('malformed requests to /graphql', () => {
  /** A request-level GraphQL error: HTTP status as given, one BAD_USER_INPUT error, no data. */
  function expectRequestError(result: GraphQLResult, status: number, message?: RegExp) {
    expect(result.status).toBe(status);
    expectBadUserInput(result, message);
  }

  it('answers a broken JSON body, or JSON that is no object, with 400 and BAD_USER_INPUT', async () => {
    const cases: Array<[string, string]> = [
      ['{"query": ', 'The request body is not valid JSON'],
      ['{query: "{ __typename }"}', 'The request body is not valid JSON'],
      ['null', 'The request body must be a JSON object'],
      ['"a string"', 'The request body must be a JSON object'],
    ];
    for (const [body, message] of cases) {
      const result = await postBody(body);
      expect(result.status).toBe(400);
      expect(result.body).toEqual({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] });
      expectNoInternals(result.text);
    }
  });

  it('answers a body in an encoding it cannot read with 415 and BAD_USER_INPUT', async () => {
    const cases: Array<Record<string, string>> = [{ 'content-type': 'application/json; charset=koi8-xx' }, { 'content-type': 'application/json', 'content-encoding': 'xyz' }];
    for (const headers of cases) {
      const result = await postBody('{"query": "{ __typename }"}', headers);
      expect(result.status).toBe(415);
      expect(result.body).toEqual({ errors: [{ message: 'The request body encoding is not supported', extensions: { code: 'BAD_USER_INPUT' } }] });
    }
  });

  it('answers a too large body with 413 JSON', async () => {
    const result = await postBody(JSON.stringify({ query: '{ __typename }', padding: 'x'.repeat(200_000) }));
    expect(result.status).toBe(413);
    expect(result.body).toEqual({ message: 'The request body is too large: the limit is 102400 bytes', code: 413 });
  });

  it('answers a body sent in chunks, with no length, with 413 once it passes the limit', async () => {
    const chunk = new TextEncoder().encode(`{"query": "{ __typename }", "padding": "${'x'.repeat(30_000)}`);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(chunk);
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
      },
    });
    const result = await request('/graphql', { method: 'POST', headers: JSON_HEADERS, body: stream, duplex: 'half' } as RequestInit);
    expect(result.status).toBe(413);
    expect(result.body).toEqual({ message: 'The request body is too large: the limit is 102400 bytes', code: 413 });
    const within = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"query": '));
        controller.enqueue(new TextEncoder().encode('"{ __typename }"}'));
        controller.close();
      },
    });
    const read = await request('/graphql', { method: 'POST', headers: JSON_HEADERS, body: within, duplex: 'half' } as RequestInit);
    expect(read.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('reads a body compressed, with a byte order mark, or with its charset named', async () => {
    const query = JSON.stringify({ query: '{ __typename }' });
    const bodies: Array<[string | Buffer, Record<string, string>]> = [
      [gzipSync(query), { ...JSON_HEADERS, 'content-encoding': 'gzip' }],
      [`\ufeff${query}`, JSON_HEADERS],
      [query, { 'content-type': 'application/json; charset=UTF-8' }],
      [query, { 'content-type': 'Application/JSON;charset="utf-8"' }],
      [Buffer.from(query, 'utf16le'), { 'content-type': 'application/json; charset=utf-16le' }],
    ];
    for (const [body, headers] of bodies) {
      const result = await request('/graphql', { method: 'POST', headers, body });
      expect(result.body).toEqual({ data: { __typename: 'Query' } });
    }
  });

  it('answers a GET without a query: CSRF-blocked without a preflight header, 400 with one', async () => {
    expectRequestError(await request('/graphql'), 400, /Cross-Site Request Forgery/);
    expectRequestError(await request('/graphql', { headers: { 'apollo-require-preflight': 'true' } }), 400, /non-empty `query`/);
  });

  it('answers a GET query with a preflight header (a control)', async () => {
    const result = await request(`/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('blocks POSTs that are not JSON (CSRF prevention)', async () => {
    const query = JSON.stringify({ query: '{ __typename }' });
    for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, {} as Record<string, string>]) {
      const result = await postBody(headers['content-type'] === 'application/x-www-form-urlencoded' ? 'query=%7B__typename%7D' : query, headers);
      expectRequestError(result, 400, /Cross-Site Request Forgery/);
    }
  });

  it('rejects an empty query, a missing query and a query that is not a string', async () => {
    expectRequestError(await postBody('{"query":""}'), 400, /non-empty `query`/);
    expectRequestError(await postBody('{}'), 400);
    expectRequestError(await postBody(''), 400);
    expectRequestError(await postBody('{"query":5}'), 400, /must be strings/);
    expectRequestError(await postBody('{"query":"{ __typename }","variables":"{}"}'), 400, /variables/);
    expectRequestError(await postBody('[{"query":"{ __typename }"}]'), 400, /batching/i);
  });

  it('rejects a syntax error as BAD_USER_INPUT', async () => {
    const result = await gw.graphql('{ session(_id: ');
    expectRequestError(result, 400, /Syntax Error/);
    expect(result.body.errors![0].extensions!.reason).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('rejects an unknown field as BAD_USER_INPUT', async () => {
    const result = await gw.graphql('{ nope }');
    expectRequestError(result, 400, /Cannot query field "nope" on type "Query"/);
    expect(result.body.errors![0].extensions!.reason).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('rejects several operations without an operation name as BAD_USER_INPUT', async () => {
    expectRequestError(await gw.graphql('query A { __typename } query B { __typename }'), 400, /operation name/);
  });

  it('rejects a mutation (the schema has none) as BAD_USER_INPUT, not as an internal error', async () => {
    const result = await gw.graphql('mutation { x }');
    expect(result.body.errors).toHaveLength(1);
    expect(result.body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(result.body.data ?? null).toBeNull();
    expectNoInternals(result.text);
  });

  it('rejects other methods with JSON', async () => {
    const result = await request('/graphql', { method: 'PUT', headers: JSON_HEADERS, body: '{"query":"{ __typename }"}' });
    expect(result.status).toBe(405);
    expectBadUserInput(result);
  });
});

describe('secrets in error messages', () => {
  it('never appear, whichever secret field is asked for', async () => {
    const id = gw.fixtures.sessions.teamCrew.toHexString();
    const queries = [
      `{ session(_id: "${id}") { models { name config } } }`,
      `{ session(_id: "${id}") { models { name confi } } }`,
      `{ session(_id: "${id}") { datasources { name connectionSettings } } }`,
      `{ session(_id: "${id}") { tools { data { environmentVariables } } } }`,
      '{ viewer { name passwordHash token apiJwt oauth } }',
    ];
    const texts: string[] = [];
    for (const query of queries) {
      const result = await gw.graphql(query, undefined, gw.tokenFor('owner'));
      expectBadUserInput(result, /Cannot query field/);
      texts.push(result.text);
    }
    const all = texts.join('\n');
    expect(all).not.toMatch(/SECRET-/);
    for (const secret of gw.fixtures.secrets) expect(all).not.toContain(secret);
  });
});

describe('other routes', () => {
  /** The raw answer to `text` sent on a socket of its own. */
  const raw = (text: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk));
      socket.once('error', reject);
      socket.once('close', () => resolve(answer));
      socket.write(text);
    });

  it('answers what Node turns away itself (no Host in HTTP/1.1, an unmet Expect) with JSON too', async () => {
    const noHost = await raw('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(noHost).toMatch(/^HTTP\/1\.1 400 /);
    expect(noHost).toMatch(/\r\n\r\n\{"message":"An HTTP\/1\.1 request must have a Host header","code":400\}$/);
    const expectation = await raw('POST /graphql HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
    expect(expectation).toMatch(/^HTTP\/1\.1 417 /);
    expect(expectation).toMatch(/\{"message":"Only the expectation 100-continue is met","code":417\}$/);
    // HTTP/1.0 needs no Host
    expect(await raw('GET /healthz HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('answers an unknown route with 404 JSON', async () => {
    for (const init of [{}, { method: 'POST', headers: JSON_HEADERS, body: '{}' }]) {
      const result = await request('/no/such/route', init);
      expect(result.status).toBe(404);
      expect(result.body).toEqual({ message: 'Not found', code: 404 });
    }
  });

  it('answers /healthz and /readyz with 200 while the database is up', async () => {
    const health = await request('/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    const ready = await request('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
  });
});

// Last: this stops the database for the rest of the file.
describe('when the database goes away', () => {
  const DRIVER_TEXT = /mongo|ECONNREFUSED|ECONNRESET|topology|server selection|127\.0\.0\.1|socket|pool/i;
  beforeAll(async () => {
    await gw.mongo.stop();
  });

  it('/readyz answers 503 with Retry-After within 10 s, and /healthz still 200', async () => {
    const started = Date.now();
    const response = await fetch(`${gw.url}/readyz`);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ status: 'unavailable' });
    expect(text).not.toMatch(DRIVER_TEXT);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  }, 15_000);

  it('a session query without a token fails as SERVICE_UNAVAILABLE within 10 s', async () => {
    const started = Date.now();
    const result = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { name } }', { id: gw.fixtures.sessions.publicChat.toHexString() });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(result.body.data?.session ?? null).toBeNull();
    expect(result.text).not.toMatch(DRIVER_TEXT);
    expectNoInternals(result.text);
  }, 15_000);

  it('a session query with a token fails as SERVICE_UNAVAILABLE (HTTP 503, Retry-After) within 10 s', async () => {
    const started = Date.now();
    const result = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { name } }',
      { id: gw.fixtures.sessions.teamCrew.toHexString() }, gw.tokenFor('member'));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.status).toBe(503);
    expect(result.headers.get('retry-after')).toBe('5');
    expect(result.body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(result.text).not.toMatch(DRIVER_TEXT);
    expectNoInternals(result.text);
  }, 15_000);

  it('a sessions page with a token fails as SERVICE_UNAVAILABLE within 10 s', async () => {
    const started = Date.now();
    const result = await gw.graphql('query($t: ObjectId!) { sessions(teamId: $t) { edges { cursor } } }',
      { t: gw.fixtures.teams.acmeMain.toHexString() }, gw.tokenFor('member'));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.status).toBe(503);
    expect(result.body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(result.text).not.toMatch(DRIVER_TEXT);
  }, 15_000);

  it('bad input is still BAD_USER_INPUT, not an outage', async () => {
    const result = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { name } }', { id: 'nope' });
    expect(result.status).toBe(400);
    expectBadUserInput(result, OBJECT_ID_MESSAGE);
  });
});

describe('unexpected errors in GraphQL', () => {
  let gw2: TestGateway;
  const fault = faultOnReadsOf('accounts');
  beforeAll(async () => {
    gw2 = await startTestGateway({ fault });
  });
  afterAll(() => gw2.stop());

  it('a failure while authenticating: 500, INTERNAL_SERVER_ERROR with the request id of the header, no details', async () => {
    fault.failing = true;
    try {
      const result = await gw2.graphql('{ viewer { name } }', undefined, gw2.tokenFor('member'));
      expect(result.status).toBe(500);
      expect(result.body.errors).toEqual([
        { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: result.headers.get('x-request-id') } },
      ]);
      expect(result.text).not.toMatch(/accounts|defect|TypeError|\bat /);
    } finally {
      fault.failing = false;
    }
  });

  it('a stored value outside its enum is the data’s fault: INVALID_STORED_DATA at the field, not an internal error', async () => {
    const id = new ObjectId();
    const template = await gw2.db.collection('apps').findOne({ _id: gw2.fixtures.apps.crewApp });
    await gw2.db.collection('apps').insertMany([{ ...template, _id: id, type: 'hologram' }]);
    const session = new ObjectId();
    const sessionTemplate = await gw2.db.collection('sessions').findOne({ _id: gw2.fixtures.sessions.teamCrew });
    await gw2.db.collection('sessions').insertMany([{ ...sessionTemplate, _id: session, appId: id }]);
    const result = await gw2.graphql('query($id: ObjectId!) { session(_id: $id) { name app { name type } } }', { id: session.toHexString() }, gw2.tokenFor('member'));
    expect(result.status).toBe(200);
    expect(result.body.data.session).toEqual({ name: 'Team crew run', app: { name: 'Blog writer', type: null } });
    expect(result.body.errors).toEqual([expect.objectContaining({ path: ['session', 'app', 'type'], extensions: { code: 'INVALID_STORED_DATA' } })]);
  });
});
