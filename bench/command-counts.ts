/**
 * Database commands per request as the data grows: crews of 5, 20 and 50 tasks and agents (REST and
 * GraphQL one session), and `sessions(first: 1, 20, 100)` with full graphs. Counted with the driver's
 * command monitoring around single requests to an in-process gateway on its own embedded database.
 */
import { connectDatabase } from '../src/db/connect';
import { databaseKind, startDatabaseServer } from '../src/db/database-server';
import { signLoginToken } from '../src/auth/tokens';
import { createLogger } from '../src/observability/logger';
import { generateDemoData, type DemoData } from '../src/seed/generate';
import { loadDemoData } from '../src/seed/load';
import { createGatewayApp } from '../src/server/app';
import { listen } from '../src/server/listen';

export interface CommandCounts {
  byCrewSize: Array<{ size: number; rest: number; graphql: number }>;
  byPageSize: Array<{ first: number; graphql: number }>;
}

const SECRET = 'bench-commands-secret-bench-commands-secret';
const FULL = `_id name app { name crew { name } } tasks { name agent { name } tools { name } variables { name } }
  agents { name model { name } tools { name datasource { name } } variables { name } } tools { name } models { name } datasources { name }`;

export async function measureCommandCounts(): Promise<CommandCounts> {
  const byCrewSize = [];
  for (const size of [5, 20, 50]) {
    const counts = await withGateway({ scale: 1, crewTasks: size, crewAgents: size }, async (call, data) => {
      const team = data.fixtures.teams.acmeMain.toHexString();
      const crewAppIds = new Set(data.collections.apps.filter((a) => a.type === 'crew' && String(a.teamId) === team && !Object.values(data.fixtures.apps).some((id) => id.equals(a._id))).map((a) => String(a._id)));
      const session = data.collections.sessions.find((s) => crewAppIds.has(String(s.appId)))!;
      const rest = await call('GET', `/${team}/session/${session._id}.json`);
      const graphql = await call('POST', '/graphql', { query: `query($id: ObjectId!) { session(_id: $id) { ${FULL} } }`, variables: { id: String(session._id) } });
      return { size, rest, graphql };
    });
    byCrewSize.push(counts);
  }
  const byPageSize = await withGateway({ scale: 60 }, async (call, data) => {
    const team = data.fixtures.teams.acmeMain.toHexString();
    const rows = [];
    for (const first of [1, 20, 100]) {
      rows.push({ first, graphql: await call('POST', '/graphql', { query: `query($t: ObjectId!, $f: Int!) { sessions(teamId: $t, first: $f) { edges { node { ${FULL} } } } }`, variables: { t: team, f: first } }) });
    }
    return rows;
  });
  return { byCrewSize, byPageSize };
}

type Call = (method: string, path: string, body?: unknown) => Promise<number>;

async function withGateway<T>(options: Parameters<typeof generateDemoData>[0], fn: (call: Call, data: DemoData) => Promise<T>): Promise<T> {
  const mongo = await startDatabaseServer(databaseKind(process.env.BENCH_DATABASE));
  const database = await connectDatabase(mongo.uri, { monitorCommands: true });
  const data = generateDemoData(options);
  await loadDemoData(database.db, data);
  // pages of 100 full graphs cost more than the default query cost limit: raised, since they are counted here
  const gateway = await createGatewayApp({ db: database.db, jwtSecret: SECRET, logger: createLogger('silent'), limits: { maxCost: 1_000_000 } });
  const { server, url } = await listen(gateway.app, 0, '127.0.0.1');
  let commands = 0;
  database.client.on('commandStarted', () => (commands += 1));
  const token = signLoginToken(data.fixtures.accounts.member, SECRET);
  const call: Call = async (method, path, body) => {
    commands = 0;
    const response = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 200 || text.includes('"errors"')) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return commands;
  };
  try {
    return await fn(call, data);
  } finally {
    server.closeAllConnections();
    server.close();
    await gateway.stop();
    await database.client.close();
    await mongo.stop();
  }
}
