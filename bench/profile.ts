/**
 * `npm run bench:profile -- <target> [--perf|--alloc|--inflight]`: where the server's CPU (or memory) goes for one
 * benchmark target.
 * Loads the target for BENCH_DURATION seconds (8) after a warm-up, then prints the heaviest packages
 * and functions.
 *
 * By default the server runs under V8's sampler (`--cpu-prof`; the .cpuprofile is kept, open it in
 * Chrome DevTools). On these machines that sampler charges time the process spends descheduled in a
 * socket write to `writeBuffer`, and it does not see GC threads. `--perf` samples the server with
 * Linux perf instead (cpu-clock, every thread, call stacks; JS frames named through
 * `--perf-basic-prof`), and charges each sample to: V8's garbage collector when any frame is GC work,
 * V8's compilers, else the package of the nearest JS frame (native code a package calls, a memcpy
 * or a builtin, counts as that package's), else the kernel or the native runtime. `--alloc` reports the
 * bytes allocated per request by package and function instead (./heap-sampling.ts); `--inflight` what
 * the requests in flight keep alive, by where it was allocated (the live set under load, after a full
 * collection, less the live set idle): what every scavenge copies.
 */
import 'reflect-metadata';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { signLoginToken } from '../src/auth/tokens';
import { connectDatabase } from '../src/db/connect';
import { databaseKind, startDatabaseServer } from '../src/db/database-server';
import { generateDemoData } from '../src/seed/generate';
import { loadDemoData } from '../src/seed/load';
import { latestCodeWins, packageOf, perfShares, shortPath, type PerfShares } from './perf-report';
import { startHeapSampling, startLiveSampling, type Allocation } from './heap-sampling';
import { crewSessions, targets } from './targets';

const SECRET = 'bench-profile-secret-bench-profile-secret';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const key = args.find((arg) => !arg.startsWith('--')) ?? 'graphql-one';
  const usePerf = args.includes('--perf');
  const useInFlight = args.includes('--inflight');
  const useAlloc = args.includes('--alloc') || useInFlight;
  if (usePerf && spawnSync('perf', ['--version']).status !== 0) throw new Error('--perf needs Linux perf (Debian: apt install linux-perf)');
  const mongo = await startDatabaseServer(databaseKind(process.env.BENCH_DATABASE));
  const database = await connectDatabase(mongo.uri);
  const data = generateDemoData({ scale: Number(process.env.BENCH_SCALE ?? 100) });
  await loadDemoData(database.db, data);
  await database.client.close();
  const team = data.fixtures.teams.acmeMain.toHexString();
  // the sessions the bench rotates over, so that a profile is of what the bench measures
  const target = targets(team, crewSessions(data, team)).find((t) => t.key === key);
  if (!target) throw new Error(`no target ${key}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-profile-'));
  const flags = usePerf
    ? ['--perf-basic-prof', '--interpreted-frames-native-stack']
    : useAlloc
      ? ['--inspect=127.0.0.1:0']
      : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  // BENCH_NODE_FLAGS: more V8 flags for the server (say --trace-deopt); its output is kept in server.out
  flags.push(...(process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean));
  const script = target.server === 'peer' ? 'peer-server.js' : 'server.js';
  const child = spawn(process.execPath, [...flags, path.join(__dirname, script)], {
    env: { ...process.env, MONGODB_URI: mongo.uri, JWT_SECRET: SECRET, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', useAlloc ? 'pipe' : 'inherit'],
  });
  const inspector = useAlloc
    ? new Promise<string>((resolve) => {
        child.stderr!.on('data', (chunk) => {
          const match = /Debugger listening on (ws:\/\/\S+)/.exec(String(chunk));
          if (match) resolve(match[1]);
        });
      })
    : undefined;
  child.stdout!.pipe(createWriteStream(path.join(dir, 'server.out')));
  const url = await new Promise<string>((resolve) => {
    child.stdout!.on('data', (chunk) => {
      const match = /BENCH_SERVER_URL=(\S+)/.exec(String(chunk));
      if (match) resolve(match[1]);
    });
  });
  let i = 0;
  const load = (seconds: number) => autocannon({
    url,
    connections: 10,
    duration: seconds,
    requests: [{
      method: target.method,
      headers: { authorization: `Bearer ${signLoginToken(data.fixtures.accounts.owner, SECRET)}`, 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, ...target.request(i++) }),
    }],
  });
  await load(Number(process.env.BENCH_WARMUP ?? 10)); // warm-up: V8 has optimized what runs hot, connections are open
  const perfData = path.join(dir, 'perf.data');
  const recorder = usePerf ? spawn('perf', ['record', '-e', 'cpu-clock', '-F', '999', '-g', '-p', String(child.pid), '-o', perfData], { stdio: 'ignore' }) : undefined;
  if (recorder) await new Promise((resolve) => setTimeout(resolve, 500)); // perf attaches to every thread
  if (useInFlight) {
    await reportInFlight(await inspector!, load);
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('exit', resolve));
    await mongo.stop();
    return;
  }
  const sampling = inspector ? await startHeapSampling(await inspector) : undefined;
  const result = await load(Number(process.env.BENCH_DURATION ?? 8));
  const allocation = await sampling?.stop();
  const perfMap = `/tmp/perf-${child.pid}.map`;
  let perfMapBytes = Infinity;
  if (recorder) {
    recorder.kill('SIGINT');
    await new Promise((resolve) => recorder.once('exit', resolve));
    perfMapBytes = statSync(perfMap).size;
  }
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));
  await mongo.stop();
  if (allocation) {
    const file = path.join(dir, 'allocation.heapprofile');
    writeFileSync(file, JSON.stringify(allocation.profile));
    console.log(`${target.title}: ${Math.round(result.requests.average)} req/s; profile ${file}`);
    reportAllocation(allocation, result.requests.total);
    return;
  }
  if (usePerf) {
    latestCodeWins(perfMap, perfMapBytes);
    const out = spawnSync('perf', ['script', '-i', perfData], { maxBuffer: 2 ** 30, encoding: 'utf8' });
    console.log(`${target.title}: ${Math.round(result.requests.average)} req/s; perf data ${perfData}; server output ${path.join(dir, 'server.out')}`);
    reportPerf(perfShares(out.stdout));
    return;
  }
  const file = path.join(dir, readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))!);
  console.log(`${target.title}: ${Math.round(result.requests.average)} req/s; profile ${file}; server output ${path.join(dir, 'server.out')}`);
  report(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
}

/** The `n` heaviest entries, one line each, with their share of `total`. */
function heaviest(map: Map<string, number>, n: number, total: number, amount: (value: number) => string = () => ''): string {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, value]) => `  ${amount(value)}${((value / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');
}

function reportPerf({ samples, byPackage, byFunction }: PerfShares): void {
  console.log(`${samples} samples (cpu-clock, ~1 ms each, every thread of the server)\nby package:\n${heaviest(byPackage, 15, samples)}\nby nearest JS function:\n${heaviest(byFunction, 20, samples)}`);
}

function reportAllocation({ total, byPackage, byFunction }: Allocation, requests: number): void {
  const mb = (bytes: number) => (bytes / requests / 1e6).toFixed(2);
  const perRequest = (bytes: number) => `${mb(bytes).padStart(6)} MB  `;
  console.log(`${mb(total)} MB allocated per request (${requests} requests; sampled, freed objects included)\nby package:\n${heaviest(byPackage, 15, total, perRequest)}\nby function (self):\n${heaviest(byFunction, 25, total, perRequest)}`);
}

/** What the requests in flight hold: the live set sampled under load (every 400 ms) less the live set idle after it. */
async function reportInFlight(inspector: string, load: (seconds: number) => Promise<autocannon.Result>): Promise<void> {
  const live = await startLiveSampling(inspector);
  const under: Array<Omit<Allocation, 'profile'>> = [];
  let loading = true;
  const sampling = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    while (loading) {
      under.push(await live.sample());
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  })();
  const result = await load(Number(process.env.BENCH_DURATION ?? 8));
  loading = false;
  await sampling;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idle = await live.sample();
  await live.stop();
  const mean = (pick: (a: Omit<Allocation, 'profile'>) => Map<string, number>) => {
    const sum = new Map<string, number>();
    for (const a of under) for (const [k, v] of pick(a)) sum.set(k, (sum.get(k) ?? 0) + v / under.length);
    for (const [k, v] of pick(idle)) sum.set(k, (sum.get(k) ?? 0) - v);
    return sum;
  };
  const total = under.reduce((t, a) => t + a.total, 0) / under.length - idle.total;
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0).padStart(6)} KB  `;
  console.log(`${Math.round(result.requests.average)} req/s; ${under.length} samples under load; live under load less live idle: ${(total / 1024).toFixed(0)} KB (idle ${(idle.total / 1024).toFixed(0)} KB)\nby package:\n${heaviest(mean((a) => a.byPackage), 15, total, kb)}\nby function (self):\n${heaviest(mean((a) => a.byFunction), 30, total, kb)}`);
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
    const pkg = url ? packageOf(url) : functionName;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
    const fn = `${functionName || '(anonymous)'} ${shortPath(url)}:${lineNumber}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
  });
  console.log(`by package:\n${heaviest(byPackage, 15, total)}\nby function (self time):\n${heaviest(byFunction, 20, total)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
