/**
 * The benchmark's peer is a fair yardstick: for the benchmark's two queries it answers the same bytes
 * as the gateway (for a caller who may read every session of the team: the peer applies no policy),
 * whatever the sessions' odd shapes (a task whose agent is outside its crew).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { signLoginToken } from '../src/auth/tokens';
import { generateDemoData } from '../src/seed/generate';
import { startSeededDatabase, type DatabaseServer } from './support/database';

const DIST_BENCH = path.join(__dirname, '..', 'dist', 'bench');
const SECRET = 'bench-peer-test-secret-long-enough-for-hs256';
const FULL_GRAPH = `_id name status startDate tokensUsed sharingConfig { mode }
  app { _id name type crew { _id name process } kickOffVariables { name } }
  tasks { _id name description agent { _id name } tools { _id name } variables { name } }
  agents { _id name role model { name } tools { name } variables { name } }
  tools { _id name type datasource { name } } models { _id name model } datasources { _id name }`;

const data = generateDemoData({ scale: 3 });
let mongo: DatabaseServer;
const servers: ChildProcess[] = [];

/** A bench server process (bench/server.ts or bench/peer-server.ts), once it prints its URL. */
function startBenchServer(script: string): Promise<string> {
  const child = spawn(process.execPath, [path.join(DIST_BENCH, script)], { env: { ...process.env, MONGODB_URI: mongo.uri, JWT_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const url = /BENCH_SERVER_URL=(\S+)/.exec(String(chunk))?.[1];
      if (url) resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

beforeAll(async () => {
  mongo = await startSeededDatabase(data);
}, 60_000);
afterAll(async () => {
  for (const child of servers) child.kill();
  await mongo?.stop();
});

it('answers the benchmark queries with the gateway’s bytes', async () => {
  const [gateway, peer] = await Promise.all([startBenchServer('server.js'), startBenchServer('peer-server.js')]);
  const token = signLoginToken(data.fixtures.accounts.owner, SECRET);
  const post = async (url: string, query: string, variables: Record<string, unknown>) => {
    const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    expect(response.status).toBe(200);
    return (await response.text()).trimEnd();
  };
  const page = `query($team: ObjectId!) { sessions(teamId: $team, first: 20) { edges { node { ${FULL_GRAPH} } } } }`;
  const team = data.fixtures.teams.acmeMain.toHexString();
  const pageBody = await post(gateway, page, { team });
  expect(await post(peer, page, { team })).toBe(pageBody);
  const ids: string[] = JSON.parse(pageBody).data.sessions.edges.map((edge: { node: { _id: string } }) => edge.node._id);
  expect(ids.length).toBeGreaterThan(10);
  // the broken crew's task names an agent outside the crew: both read it
  expect(ids).toContain(data.fixtures.sessions.brokenCrew.toHexString());
  const one = `query($id: ObjectId!) { session(_id: $id) { ${FULL_GRAPH} } }`;
  for (const id of ids) expect({ id, body: await post(peer, one, { id }) }).toEqual({ id, body: await post(gateway, one, { id }) });
}, 90_000);
