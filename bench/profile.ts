/**
 * `npm run bench:profile -- <target>`: where the server's CPU goes for one benchmark target. Starts the
 * benchmark server under `--cpu-prof`, loads the target for BENCH_DURATION seconds (8), and prints the
 * heaviest packages and functions by self time. The .cpuprofile is kept (open it in Chrome DevTools).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { signLoginToken } from '../src/auth/tokens';
import { connectDatabase } from '../src/db/connect';
import { databaseKind, startDatabaseServer } from '../src/db/database-server';
import { generateDemoData } from '../src/seed/generate';
import { loadDemoData } from '../src/seed/load';
import { targets } from './targets';

const SECRET = 'bench-profile-secret-bench-profile-secret';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

async function main(): Promise<void> {
  const key = process.argv[2] ?? 'graphql-one';
  const mongo = await startDatabaseServer(databaseKind(process.env.BENCH_DATABASE));
  const database = await connectDatabase(mongo.uri);
  const data = generateDemoData({ scale: Number(process.env.BENCH_SCALE ?? 100) });
  await loadDemoData(database.db, data);
  await database.client.close();
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-profile-'));
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, path.join(__dirname, 'server.js')], {
    env: { ...process.env, MONGODB_URI: mongo.uri, JWT_SECRET: SECRET, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => {
    child.stdout!.on('data', (chunk) => {
      const match = /BENCH_SERVER_URL=(\S+)/.exec(String(chunk));
      if (match) resolve(match[1]);
    });
  });
  const team = data.fixtures.teams.acmeMain.toHexString();
  const target = targets(team, [data.fixtures.sessions.teamCrew.toHexString()]).find((t) => t.key === key);
  if (!target) throw new Error(`no target ${key}`);
  const request = target.request(0);
  const result = await autocannon({
    url: url + request.path,
    method: target.method,
    body: request.body,
    connections: 10,
    duration: Number(process.env.BENCH_DURATION ?? 8),
    headers: { authorization: `Bearer ${signLoginToken(data.fixtures.accounts.owner, SECRET)}`, 'content-type': 'application/json' },
  });
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));
  await mongo.stop();
  const file = path.join(dir, readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))!);
  console.log(`${target.title}: ${Math.round(result.requests.average)} req/s; profile ${file}`);
  report(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
}

function report(profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((sample, i) => {
    const { functionName, url, lineNumber } = byId.get(sample)!.callFrame;
    const dt = profile.timeDeltas[i];
    total += dt;
    const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/dist/') ? 'session-gateway' : url || functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
    const fn = `${functionName || '(anonymous)'} ${url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, '')}:${lineNumber}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
  });
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, t]) => `  ${((t / total) * 100).toFixed(1).padStart(5)}%  ${name}`).join('\n');
  console.log(`by package:\n${top(byPackage, 15)}\nby function (self time):\n${top(byFunction, 20)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
