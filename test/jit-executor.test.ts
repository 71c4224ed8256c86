/**
 * Queries executed by graphql-jit answer exactly what graphql-js answers: the same bytes and status
 * for the session graph, pages, literal arguments of every kind (custom scalars included: jit would
 * otherwise hand resolvers their JSON), fragments, aliases, and for answers with errors. A second
 * gateway over the same database runs graphql-js alone as the reference. Also: a document is compiled
 * only from its second sight (production's setting), and what was executed how is counted.
 */
import { startGatewayApp, startTestGateway, type ServedApp, type TestGateway } from './support/gateway';
import { FULL_GRAPH } from './support/queries';

let gw: TestGateway;
const apps: ServedApp[] = [];

/** Another gateway on the test gateway's database, with its own executor settings. */
async function startApp(jit: false | { compileAfter?: number }): Promise<{ url: string; metricsUrl: string }> {
  const app = await startGatewayApp({ db: gw.db, jit });
  apps.push(app);
  return { url: app.url, metricsUrl: app.metricsUrl! };
}

async function post(url: string, query: string, variables: Record<string, unknown> | undefined, token: string | null): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: response.status, text: await response.text() };
}

async function executions(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^graphql_executions_total\{how="(\w+)"\} (\d+)/gm)].map((m) => [m[1], Number(m[2])]));
}

beforeAll(async () => {
  gw = await startTestGateway({ scale: 3 });
}, 120_000);

afterAll(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()));
  await gw?.stop();
});

it('answers byte for byte what graphql-js answers, literals, fragments and errors included', async () => {
  const jit = await startApp({ compileAfter: 0 });
  const reference = await startApp(false);
  const f = gw.fixtures;
  const team = f.teams.acmeMain.toHexString();
  const sessions = Object.values(f.sessions).map((id) => id.toHexString());
  const cases: Array<{ query: string; variables?: Record<string, unknown> }> = [
    ...sessions.map((id) => ({ query: `query($id: ObjectId!) { session(_id: $id) { ${FULL_GRAPH} } }`, variables: { id } })),
    // literal arguments of a custom scalar, an Int, a String and in a fragment
    ...sessions.map((id) => ({ query: `{ session(_id: "${id}") { ...S } } fragment S on Session { _id name messages(first: 2) { edges { node { text } } } }` })),
    { query: `{ sessions(teamId: "${team}", first: 7) { edges { cursor node { ${FULL_GRAPH} } } pageInfo { hasNextPage endCursor } } }` },
    { query: `query($t: ObjectId!, $n: Int!) { a: sessions(teamId: $t, first: $n) { nodes { _id } } b: sessions(teamId: $t, first: 1, appId: "${f.apps.crewApp.toHexString()}") { nodes { name } } }`, variables: { t: team, n: 3 } },
    { query: `query($skip: Boolean!) { viewer { __typename } session(_id: "${sessions[1]}") { name @skip(if: $skip) status @include(if: true) } }`, variables: { skip: true } },
    // errors: a malformed id in a variable, an argument past its bound, a team the caller is not in
    { query: 'query($id: ObjectId!) { session(_id: $id) { name } }', variables: { id: 'nope' } },
    { query: `{ sessions(teamId: "${team}", first: 1000) { nodes { _id } } }` },
    { query: `{ sessions(teamId: "${f.teams.globexMain.toHexString()}") { nodes { _id } } }` },
  ];
  const callers = [gw.tokenFor('owner'), gw.tokenFor('member'), null];
  let compared = 0;
  let withErrors = 0;
  for (const { query, variables } of cases) {
    for (const token of callers) {
      const [mine, theirs] = await Promise.all([post(jit.url, query, variables, token), post(reference.url, query, variables, token)]);
      expect({ query, status: mine.status, text: mine.text }).toEqual({ query, status: theirs.status, text: theirs.text });
      compared += 1;
      if (mine.text.includes('"errors"')) withErrors += 1;
    }
  }
  expect(compared).toBe(cases.length * callers.length);
  expect(withErrors).toBeGreaterThan(5); // the comparison covers answers with errors, not only clean ones
  const counted = await executions(jit.metricsUrl);
  expect(counted.jit).toBeGreaterThan(20);
  expect(counted.rerun).toBeGreaterThan(0);
  expect(await executions(reference.metricsUrl)).toEqual({});
}, 120_000);

/** Introspection, and conditions the caller may get wrong in it: answered alike on every path. */
const INTROSPECTION_CORPUS: Array<{ query: string; variables?: Record<string, unknown>; refused?: true }> = [
  { query: '{ __typename }' },
  { query: '{ __type(name: "Query") { name description fields { name args { name type { name kind ofType { name } } } } } }' },
  { query: '{ __schema { queryType { name description } subscriptionType { name } types { name kind } } }' },
  { query: 'query($v: Boolean = true) { __type(name: "Query") { name @include(if: $v) } }', variables: { v: true } },
  { query: 'query($v: Boolean = true) { __type(name: "Query") { name @include(if: $v) } }', variables: { v: false } },
  { query: 'query($n: String!) { __type(name: $n) { name kind enumValues { name description } } }', variables: { n: 'SessionStatus' } },
  { query: 'query($n: String!) { __type(name: $n) { name } }', variables: { n: 'NoSuchType' } },
  { query: '{ __type(name: "Session") { fields(includeDeprecated: true) { name isDeprecated } ...T } } fragment T on __Type { interfaces { name } }' },
  // a null condition, a null name: the caller's mistakes, refused before anything runs
  { query: 'query($v: Boolean = true) { __type(name: "Query") { name @include(if: $v) } }', variables: { v: null }, refused: true },
  { query: 'query($v: Boolean = false) { __schema { types { name @skip(if: $v) } } }', variables: { v: null }, refused: true },
  { query: 'query($v: Boolean = true) { __schema { types { ...N } } } fragment N on __Type { fields { name @include(if: $v) } }', variables: { v: null }, refused: true },
  { query: 'query($v: Boolean = true) { __type(name: "Session") { ... on __Type @include(if: $v) { name } } }', variables: { v: null }, refused: true },
  { query: 'query($n: String = "Query") { __type(name: $n) { name } }', variables: { n: null }, refused: true },
];

it('answers introspection alike compiled and interpreted, and refuses a null condition inside it as BAD_USER_INPUT on every path', async () => {
  const compiledAtOnce = await startApp({ compileAfter: 0 });
  const compiledLater = await startApp({});
  const reference = await startApp(false);
  for (const { query, variables, refused } of INTROSPECTION_CORPUS) {
    // three sights: the production setting interprets the first and compiles from the second
    for (let sight = 0; sight < 3; sight++) {
      const token = sight === 1 ? null : gw.tokenFor('member');
      const [now, later, theirs] = await Promise.all([compiledAtOnce, compiledLater, reference].map((app) => post(app.url, query, variables, token)));
      expect({ query, sight, status: now.status, text: now.text }).toEqual({ query, sight, status: theirs.status, text: theirs.text });
      expect({ query, sight, status: later.status, text: later.text }).toEqual({ query, sight, status: theirs.status, text: theirs.text });
      const body = JSON.parse(theirs.text);
      if (refused) {
        expect({ query, status: theirs.status, data: body.data ?? null, codes: body.errors.map((e: { extensions: { code: string } }) => e.extensions.code) }).toEqual({ query, status: 400, data: null, codes: ['BAD_USER_INPUT'] });
      } else {
        expect({ query, errors: body.errors }).toEqual({ query, errors: undefined });
      }
    }
  }
  expect((await executions(compiledAtOnce.metricsUrl)).jit).toBeGreaterThan(0);
}, 120_000);

it('compiles a document the second time it is seen, and never a document seen once', async () => {
  const app = await startApp({});
  const token = gw.tokenFor('owner');
  const once = (n: number) => `{ session(_id: "${gw.fixtures.sessions.teamCrew.toHexString()}") { name tokensUsed n${n}: status } }`;
  for (let n = 0; n < 5; n++) expect((await post(app.url, once(n), undefined, token)).status).toBe(200);
  expect(await executions(app.metricsUrl)).toEqual({ interpreted: 5 });
  const twice = once(99);
  const first = await post(app.url, twice, undefined, token);
  const second = await post(app.url, twice, undefined, token);
  expect(second).toEqual(first);
  expect(JSON.parse(second.text).data.session.name).toBe('Team crew run');
  expect(await executions(app.metricsUrl)).toEqual({ interpreted: 6, jit: 1 });
}, 60_000);
