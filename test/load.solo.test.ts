/**
 * Load (issue 6): 20 seconds at 32 connections of mixed REST and GraphQL traffic against one gateway
 * (autocannon, in this process; the database is the embedded server): the REST `.json` route for crew
 * sessions, GraphQL one session with its full graph, and GraphQL `sessions(first: 20)` pages. Zero
 * errors, zero timeouts, zero non-2xx answers, and no GraphQL answer with `errors`.
 * LOAD_DURATION / LOAD_CONNECTIONS change the settings. Throughput is reported; only a floor of 10
 * requests a second is asserted. Run alone (`npm run test:solo`): beside the other test files on two
 * cores, that floor would time them, not the gateway (and this load would slow them down).
 */
import autocannon from 'autocannon';
import type { ObjectId } from 'mongodb';
import { startTestGateway, type TestGateway } from './support/gateway';
import { SESSION_WITH_GRAPH } from './support/queries';

const DURATION_S = Number(process.env.LOAD_DURATION ?? 20);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 32);

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ scale: 4 });
});
afterAll(() => gw?.stop());

const PAGE = `query($t: ObjectId!) { sessions(teamId: $t, first: 20) {
  edges { cursor node { _id name status app { name } tasks { name } agents { name model { name } } } } pageInfo { hasNextPage endCursor } } }`;

it(`${DURATION_S} s at ${CONNECTIONS} connections, REST and GraphQL mixed: zero errors, zero non-2xx`, async () => {
  const { fixtures, data } = gw;
  const team = fixtures.teams.acmeMain;
  const token = gw.tokenFor('owner'); // owner of the team: may read every session of it
  const apps = new Map(data.collections.apps.map((app) => [String(app._id), app as { type?: string }]));
  const crewSessions = data.collections.sessions
    .filter((s) => String(s.teamId) === String(team) && apps.get(String(s.appId))?.type === 'crew')
    .map((s) => (s._id as ObjectId).toHexString());
  expect(crewSessions.length).toBeGreaterThanOrEqual(4);

  let n = 0;
  const nextSession = () => crewSessions[n++ % crewSessions.length];
  const bad: string[] = [];
  const checked: Record<string, number> = { rest: 0, 'graphql-one': 0, 'graphql-page': 0 };
  const check = (kind: string) => (status: number, body: string) => {
    checked[kind] += 1;
    if (bad.length >= 10) return;
    if (status !== 200) bad.push(`${kind}: ${status} ${body.slice(0, 200)}`);
    else if (kind !== 'rest' && body.includes('"errors"')) bad.push(`${kind}: ${body.slice(0, 200)}`);
    else if (kind === 'rest' && !body.includes('"session":{')) bad.push(`${kind}: ${body.slice(0, 200)}`);
  };
  const json = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

  const result = await autocannon({
    url: gw.url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    timeout: 10,
    // each connection goes round these three, with a different session each time
    requests: [
      {
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
        setupRequest: (request) => ({ ...request, path: `/${team.toHexString()}/session/${nextSession()}.json` }),
        onResponse: check('rest'),
      },
      {
        method: 'POST',
        path: '/graphql',
        headers: json,
        setupRequest: (request) => ({ ...request, body: JSON.stringify({ query: SESSION_WITH_GRAPH, variables: { id: nextSession() } }) }),
        onResponse: check('graphql-one'),
      },
      {
        method: 'POST',
        path: '/graphql',
        headers: json,
        body: JSON.stringify({ query: PAGE, variables: { t: team.toHexString() } }),
        onResponse: check('graphql-page'),
      },
    ],
  });

  console.log(
    `load: ${result.requests.total} requests in ${result.duration} s at ${CONNECTIONS} connections: ` +
      `${result.requests.average} req/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
      `errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}; checked ${JSON.stringify(checked)}`,
  );
  expect(bad).toEqual([]);
  // every kind was answered, and looked at
  for (const [kind, count] of Object.entries(checked)) expect({ kind, checked: count > 0 }).toEqual({ kind, checked: true });
  expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
  expect(result.requests.total).toBeGreaterThan(DURATION_S * 10); // the floor: 10 a second
  expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
}, 60_000);
