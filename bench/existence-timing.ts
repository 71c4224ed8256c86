/**
 * `npm run bench:existence`: does `session(_id)` tell a missing session from one the caller may not
 * read by its timing? A caller who may read neither asks for each in turn (interleaved, the order
 * alternating), and the report gives each one's latency and the server's reads per answer.
 *
 * Settings (environment): EXISTENCE_REQUESTS pairs (150), EXISTENCE_UNREADABLE=first to ask for the
 * first stored session instead of the newest (`owner`: an owner-mode session), BENCH_SCALE (333), DIST another build to
 * measure (its `src/server/app.js`), BENCH_DATABASE=ferretdb for the FerretDB test server.
 */
import 'reflect-metadata';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { signLoginToken } from '../src/auth/tokens';
import { connectDatabase } from '../src/db/connect';
import { databaseKind, startDatabaseServer } from '../src/db/database-server';
import { createLogger } from '../src/observability/logger';
import { generateDemoData } from '../src/seed/generate';
import { loadDemoData } from '../src/seed/load';
import type { createGatewayApp as CreateGatewayApp } from '../src/server/app';
import { listen } from '../src/server/listen';

const pairs = Number(process.env.EXISTENCE_REQUESTS ?? 150);
const scale = Number(process.env.BENCH_SCALE ?? 333);
const SECRET = 'existence-timing-secret-long-enough-for-hs256';

async function main(): Promise<void> {
  const server = await startDatabaseServer(databaseKind(process.env.BENCH_DATABASE));
  const database = await connectDatabase(server.uri, { monitorCommands: true });
  try {
    const data = generateDemoData({ scale });
    await loadDemoData(database.db, data);
    const { createGatewayApp } = (process.env.DIST ? require(path.resolve(process.env.DIST, 'src/server/app.js')) : require('../src/server/app')) as { createGatewayApp: typeof CreateGatewayApp };
    const gateway = await createGatewayApp({ db: database.db, jwtSecret: SECRET, logger: createLogger('silent') });
    const { server: http, url } = await listen(gateway.app, 0, '127.0.0.1');
    let commands: Record<string, number> = {};
    database.client.on('commandStarted', (event) => {
      const key = `${event.commandName} ${event.command[event.commandName]}`;
      commands[key] = (commands[key] ?? 0) + 1;
    });
    // the outsider (Globex only) asks for an Acme team-mode session, and for an id nothing has
    const token = signLoginToken(data.fixtures.accounts.outsider, SECRET);
    // jongodb has no index: a lookup by _id scans until it finds, and a missing id scans everything, so the
    // unreadable session is the team's newest (stored last), which costs its scan as much as a missing one
    const acme = data.fixtures.teams.acmeMain;
    const newest = (await database.db.collection('sessions').find({ teamId: acme, 'sharingConfig.mode': 'team' }).sort({ _id: -1 }).limit(1).toArray())[0];
    const chosen = process.env.EXISTENCE_UNREADABLE;
    const unreadable = (chosen === 'first' ? data.fixtures.sessions.teamCrew : chosen === 'owner' ? data.fixtures.sessions.ownerMode : newest._id).toHexString();
    const ask = async (id: string) => {
      const started = performance.now();
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: `{ session(_id: "${id}") { _id name } }` }) });
      const text = await response.text();
      if (text !== '{"data":{"session":null}}\n') throw new Error(`unexpected answer: ${text}`);
      return performance.now() - started;
    };
    const times = { unreadable: [] as number[], missing: [] as number[] };
    const reads = { unreadable: {} as Record<string, number>, missing: {} as Record<string, number> };
    for (let i = 0; i < 20; i++) await Promise.all([ask(unreadable), ask(new ObjectId().toHexString())]); // warm-up
    for (let i = 0; i < pairs; i++) {
      const order = i % 2 === 0 ? (['unreadable', 'missing'] as const) : (['missing', 'unreadable'] as const);
      for (const kind of order) {
        commands = {};
        times[kind].push(await ask(kind === 'unreadable' ? unreadable : new ObjectId().toHexString()));
        reads[kind] = commands;
      }
    }
    const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))];
    const line = (kind: 'unreadable' | 'missing') =>
      `${kind.padEnd(10)} median ${quantile(times[kind], 0.5).toFixed(2)} ms (p25 ${quantile(times[kind], 0.25).toFixed(2)}, p75 ${quantile(times[kind], 0.75).toFixed(2)}); reads ${JSON.stringify(reads[kind])}`;
    console.log(`session(_id) for a caller who may read neither, ${pairs} interleaved pairs, scale ${scale}, ${databaseKind(process.env.BENCH_DATABASE)}${process.env.DIST ? `, build ${process.env.DIST}` : ''}`);
    console.log(line('unreadable'));
    console.log(line('missing'));
    const differences = times.unreadable.map((t, i) => t - times.missing[i]);
    console.log(`difference per pair: median ${quantile(differences, 0.5).toFixed(2)} ms (p25 ${quantile(differences, 0.25).toFixed(2)}, p75 ${quantile(differences, 0.75).toFixed(2)})`);
    http.close();
    await gateway.stop();
  } finally {
    await database.close();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
