/**
 * `npm run bench`: the gateway side by side with the webapp's way and a hand-written floor (in the
 * gateway's server process) and a peer GraphQL stack (Fastify + Mercurius + graphql-jit, its own
 * process), on the same data and connection count. Every target runs once per round, compared pairs
 * back to back, for BENCH_RUNS rounds; the table gives the median across rounds with the spread, and
 * each ratio round by round. Prints it and writes it as markdown and JSON under bench/results/.
 *
 * Settings (environment): BENCH_DURATION seconds per target (10), BENCH_WARMUP seconds of load per
 * target before the rounds (10), BENCH_CONNECTIONS (10),
 * BENCH_SCALE generated crew apps per team (333: about 1,000 documents per collection), BENCH_MESSAGES
 * messages in the long conversation of the messages targets (10,000), BENCH_RUNS
 * back-to-back runs of all targets (3; RSS after each shows whether memory keeps growing),
 * BENCH_VARIANT to measure a change interleaved with the gateway as it is: node flags and NAME=value
 * settings for a second gateway process (`--max-semi-space-size=64`, `GRAPHQL_JIT=false`, or
 * `DIST=/path/to/dist` for another build, e.g. the commit before a change), whose REST and GraphQL
 * targets run after the gateway's own, with their CPU ratio round by round;
 * MONGODB_URI to use a real MongoDB (the data goes to its database `session_gateway_bench`), or
 * BENCH_DATABASE=ferretdb to start the FerretDB test server instead of jongodb.
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpuChart } from './chart';
import path from 'node:path';
import autocannon from 'autocannon';
import { ObjectId } from 'mongodb';
import { signLoginToken } from '../src/auth/tokens';
import { connectDatabase } from '../src/db/connect';
import { databaseKind, startDatabaseServer, type DatabaseServer } from '../src/db/database-server';
import { generateDemoData, type DemoData } from '../src/seed/generate';
import { loadDemoData } from '../src/seed/load';
import { measureCommandCounts, type CommandCounts } from './command-counts';
import { crewSessions, targets, type Target } from './targets';
import { conversationOf } from './conversation';
import { median, processCpuMicros } from './process-stats';
import { measureLive, type LiveResult } from './live';

/** The heap docs/operating.md gives a copy serving 50,000 subscriptions. */
const LIVE_HEAP_FLAG = '--initial-old-space-size=384';

const settings = {
  duration: Number(process.env.BENCH_DURATION ?? 10),
  // V8 still optimized the gateway's functions 20 s into a load (10 % of its CPU then, on other threads): the rounds measure the steady state
  warmup: Number(process.env.BENCH_WARMUP ?? 10),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
  scale: Number(process.env.BENCH_SCALE ?? 333),
  runs: Number(process.env.BENCH_RUNS ?? 3),
  out: process.env.BENCH_OUT ?? path.resolve(__dirname, '..', '..', 'bench', 'results'),
  /** Comma-separated target keys, for profiling one at a time; all when unset. */
  only: process.env.BENCH_TARGETS?.split(',').filter(Boolean),
  /** Skip the command-count tables (for quick comparisons). */
  skipCounts: process.env.BENCH_SKIP_COUNTS === '1',
  /** Messages of the long conversation of the messages targets (10,000). */
  messages: Number(process.env.BENCH_MESSAGES ?? 10_000),
  /** The live target: BENCH_LIVE_SUBSCRIPTIONS over BENCH_LIVE_CONNECTIONS for BENCH_LIVE_SECONDS (50,000, 500, 20). */
  live: {
    subscriptions: Number(process.env.BENCH_LIVE_SUBSCRIPTIONS ?? 50_000),
    connections: Number(process.env.BENCH_LIVE_CONNECTIONS ?? 500),
    seconds: Number(process.env.BENCH_LIVE_SECONDS ?? 20),
    intervalMs: Number(process.env.LIVE_POLL_INTERVAL_MS ?? 1000),
    /** Node flags of the live target's own server process (BENCH_LIVE_NODE_FLAGS; empty: V8's default heap). */
    nodeFlags: (process.env.BENCH_LIVE_NODE_FLAGS ?? LIVE_HEAP_FLAG).split(/\s+/).filter(Boolean),
  },
  /** Node flags and NAME=value settings of a gateway variant measured beside it (BENCH_VARIANT). */
  variant: (process.env.BENCH_VARIANT ?? '').split(/\s+/).filter(Boolean),
  /** The server the benchmark starts when MONGODB_URI is unset: jongodb (default) or ferretdb. */
  database: databaseKind(process.env.BENCH_DATABASE),
};
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret';

interface Stats { cpuMicros: number; rss: number; maxRss: number; dbCommands: number; execArgv?: string[] }

interface TargetResult {
  key: string;
  title: string;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  dbCommandsPerRequest: number;
  cpuMsPerRequest: number;
  /** The database server's own CPU per request (jongodb or FerretDB; null on MONGODB_URI). */
  dbCpuMsPerRequest: number | null;
  rssAfterMb: number;
  /** The process's peak RSS so far, after this target (it only grows: a rise is this target's). */
  peakRssMb: number;
}

async function main(): Promise<void> {
  const started = Date.now();
  const { uri, embedded } = await startDatabase();
  const data = generateDemoData({ scale: settings.scale, conversation: settings.messages });
  const database = await connectDatabase(uri);
  await loadDemoData(database.db, data);
  const teamId = data.fixtures.teams.acmeMain.toHexString();
  const sessionIds = crewSessions(data, teamId);
  const conversation = conversationOf(data);
  await database.client.close();
  // BENCH_SERVER_NODE_FLAGS: node flags for the gateway's server processes (`--cpu-prof`, `--trace-gc`)
  const serverFlags = (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const server = await startServer(uri, 'server.js', serverFlags);
  const peer = await startServer(uri, 'peer-server.js');
  const variant = settings.variant.length > 0 ? await startServer(uri, 'server.js', settings.variant) : undefined;
  const serverOf = (target: Target) => (target.server === 'peer' ? peer : target.server === 'variant' ? variant! : server);
  const dbPid = embedded?.pid;
  try {
    const chosen = targets(teamId, sessionIds, conversation, variant !== undefined).filter((t) => !settings.only || settings.only.includes(t.key));
    const token = signLoginToken(data.fixtures.accounts.owner, JWT_SECRET);
    await assertSameAnswers(chosen, serverOf, token);
    // Warm-up: every handler's code is compiled and every connection opened before anything counts.
    // the gateway's peak through the targets before the 10,000-message bodies (which the peer does not serve)
    let sharedPeak: number | undefined;
    for (const target of chosen) {
      if (sharedPeak === undefined && target.key.startsWith('messages')) sharedPeak = (await stats(server.url)).maxRss;
      await measure(serverOf(target).url, target, token, dbPid, settings.warmup);
    }
    const runs: TargetResult[][] = [];
    for (let run = 0; run < settings.runs; run++) {
      const results: TargetResult[] = [];
      for (const target of chosen) results.push(await measure(serverOf(target).url, target, token, dbPid));
      runs.push(results);
      process.stderr.write(`run ${run + 1}/${settings.runs} done\n`);
    }
    let live: LiveResult | undefined;
    if (!settings.only || settings.only.includes('live')) {
      const writer = await connectDatabase(uri);
      try {
        // The live target writes messages, and jongodb's writes cost the square of the collection's size
        // (0.5 s each beside the 10,000 of the long conversation): its messages go first (the targets
        // that read them are done); on MongoDB this changes nothing the live target measures.
        await writer.db.collection('chat').deleteMany({ sessionId: new ObjectId(conversation.sessionId) });
        // a process of its own, as a copy that serves subscriptions is run (its heap not grown by the request targets)
        const liveServer = await startServer(uri, 'server.js', [...serverFlags, ...settings.live.nodeFlags]);
        try {
          live = await measureLive(liveServer.url, writer.db, token, teamSessions(data, teamId), settings.live, (collect) => stats(liveServer.url, collect));
          const { maxRss, execArgv = [] } = await stats(liveServer.url, false);
          live.peakRssMb = round(maxRss / 2 ** 20, 1);
          live.nodeFlags = execArgv.filter((flag) => flag !== '--expose-gc'); // the bench's own, for its forced collections
        } finally {
          liveServer.child.kill('SIGTERM');
        }
      } finally {
        await writer.client.close();
      }
      process.stderr.write(`live target done: ${JSON.stringify(live)}\n`);
    }
    const final = await stats(server.url);
    const commandCounts = settings.skipCounts ? { byCrewSize: [], byPageSize: [] } : await measureCommandCounts();
    writeReport(chosen, runs, final, await stats(peer.url), commandCounts, Date.now() - started, live, sharedPeak);
  } finally {
    server.child.kill('SIGTERM');
    peer.child.kill('SIGTERM');
    variant?.child.kill('SIGTERM');
    await embedded?.stop();
  }
}

async function startDatabase(): Promise<{ uri: string; embedded?: DatabaseServer }> {
  if (process.env.MONGODB_URI) {
    const uri = process.env.MONGODB_URI.replace(/^(mongodb(?:\+srv)?:\/\/[^/?]*)(\/[^?]*)?/, '$1/session_gateway_bench');
    return { uri };
  }
  const embedded = await startDatabaseServer(settings.database, { database: 'session_gateway_bench' });
  return { uri: embedded.uri, embedded };
}

function startServer(uri: string, script: string, variant: string[] = []): Promise<{ url: string; child: ChildProcess }> {
  const flags = variant.filter((part) => part.startsWith('--'));
  const { DIST: dist, ...env } = Object.fromEntries(variant.filter((part) => !part.startsWith('--')).map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)]));
  const child = spawn(process.execPath, ['--expose-gc', ...flags, dist ? path.join(dist, 'bench', script) : path.join(__dirname, script)], {
    env: { ...process.env, MONGODB_URI: uri, JWT_SECRET, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out: string | undefined = '';
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    // read until the URL; after it, standard output (the gateway's log) is drained, not kept
    child.stdout!.on('data', (chunk) => {
      if (out === undefined) return;
      out += chunk;
      const match = /BENCH_SERVER_URL=(\S+)/.exec(out);
      if (match) {
        out = undefined;
        resolve({ url: match[1], child });
      }
    });
    // the server's own diagnostics (`--trace-gc` writes to stdout) shown with the bench's
    if (flags.some((flag) => flag.startsWith('--trace'))) child.stdout!.pipe(process.stderr);
  });
}

/** Every session of the team (the benchmark's caller, the org owner, reads them all), newest first. */
function teamSessions(data: DemoData, teamId: string): string[] {
  return data.collections.sessions.filter((s) => String(s.teamId) === teamId).map((s) => String(s._id)).reverse();
}

async function stats(url: string, collect = true): Promise<Stats> {
  return (await fetch(`${url}/__bench/stats${collect ? '?gc=1' : ''}`)).json() as Promise<Stats>;
}

/** The peer answers byte for byte what the gateway answers (else the two would not do the same work). */
async function assertSameAnswers(chosen: Target[], serverOf: (target: Target) => { url: string }, token: string): Promise<void> {
  for (const target of chosen) {
    const peer = chosen.find((t) => t.key === target.against && t.server === 'peer');
    if (!peer) continue;
    const [mine, theirs] = await Promise.all([target, peer].map(async (t) => {
      const { path: requestPath, body } = t.request(0);
      const response = await fetch(serverOf(t).url + requestPath, { method: t.method, body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
      return (await response.text()).trimEnd(); // Apollo ends its body with a newline
    }));
    if (mine !== theirs || !mine.startsWith('{"data":{')) {
      let at = 0;
      while (mine[at] === theirs[at]) at++;
      throw new Error(`${target.key} and ${peer.key} answer differently from character ${at}:\n…${mine.slice(at - 200, at + 300)}\n…${theirs.slice(at - 200, at + 300)}`);
    }
  }
}

async function measure(url: string, target: Target, token: string, dbPid: number | undefined, duration = settings.duration): Promise<TargetResult> {
  let i = 0;
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const before = await stats(url);
  const dbBefore = processCpuMicros(dbPid);
  const result = await autocannon({
    url,
    connections: target.connections ?? settings.connections,
    duration,
    requests: [{
      method: target.method,
      headers,
      setupRequest: (request) => ({ ...request, ...target.request(i++) }),
    }],
  });
  await new Promise((resolve) => setTimeout(resolve, 100)); // let requests cut off by the deadline finish
  const after = await stats(url);
  const dbAfter = processCpuMicros(dbPid);
  const requests = result.requests.total;
  const sent = result.requests.sent;
  return {
    key: target.key,
    title: target.title,
    requests,
    errors: result.errors + result.non2xx,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    dbCommandsPerRequest: round((after.dbCommands - before.dbCommands) / Math.max(1, sent), 2),
    cpuMsPerRequest: round((after.cpuMicros - before.cpuMicros) / 1000 / Math.max(1, sent), 3),
    dbCpuMsPerRequest: dbBefore === null || dbAfter === null ? null : round((dbAfter - dbBefore) / 1000 / Math.max(1, sent), 3),
    rssAfterMb: round(after.rss / 2 ** 20, 1),
    peakRssMb: round(after.maxRss / 2 ** 20, 1),
  };
}

/** The gateway's peak through the targets before the messages bodies, beside the peer's (which serves only some of those). */
function sharedPeakText(sharedPeak: number | undefined, peerFinal: Stats): string {
  if (sharedPeak === undefined || peerFinal.maxRss === 0) return '';
  return `; through the targets before the 10,000-message bodies (their warm-up, before any round): ${round(sharedPeak / 2 ** 20, 1)} MB, ${round(sharedPeak / peerFinal.maxRss, 2)}× the peer's`;
}

function writeReport(chosen: Target[], runs: TargetResult[][], final: Stats, peerFinal: Stats, commandCounts: CommandCounts, elapsedMs: number, live?: LiveResult, sharedPeak?: number): void {
  const rounds = (key: string) => runs.map((run) => run.find((r) => r.key === key)).filter((r): r is TargetResult => r !== undefined);
  const summary = chosen.map((target) => {
    const all = rounds(target.key);
    const cpu = all.map((r) => r.cpuMsPerRequest);
    const against = target.against ? rounds(target.against) : [];
    // the ratio of each round's pair: both measured back to back, so each ratio sees one moment of the machine
    const ratios = against.length === all.length ? all.map((r, i) => r.cpuMsPerRequest / Math.max(1e-9, against[i].cpuMsPerRequest)) : [];
    const dbCpu = all.map((r) => r.dbCpuMsPerRequest).filter((v): v is number => v !== null);
    return {
      key: target.key, title: target.title, server: target.server, against: target.against ?? null,
      cpuMsPerRequest: spread(cpu, 3), dbCpuMsPerRequest: dbCpu.length ? spread(dbCpu, 3) : null, cpuRatio: ratios.length ? spread(ratios, 2) : null,
      requestsPerSecond: median(all.map((r) => r.requestsPerSecond)), p50Ms: median(all.map((r) => r.p50Ms)), p99Ms: median(all.map((r) => r.p99Ms)),
      dbCommandsPerRequest: median(all.map((r) => r.dbCommandsPerRequest)), peakRssMb: Math.max(...all.map((r) => r.peakRssMb)), errors: all.reduce((n, r) => n + r.errors, 0),
    };
  });
  const show = (s: Spread | null, unit = '') => (s ? `${s.median}${unit} (${s.min}–${s.max})` : '–');
  const dbName = process.env.MONGODB_URI ? 'MONGODB_URI' : settings.database;
  const lines = [
    `# Benchmark`,
    '',
    `${new Date().toISOString()} · Node ${process.version} · ${dbName} · ${settings.connections} connections · ${settings.duration} s per target · scale ${settings.scale} · ${runs.length} interleaved rounds: median (min–max across rounds)`,
    '',
    ...(settings.variant.length ? [`Variant: a second gateway process with \`${settings.variant.join(' ')}\`.`, ''] : []),
    `| target | server CPU ms/req | ${dbName} CPU ms/req | CPU ÷ compared target | db commands/req | req/s | p50 ms | p99 ms | peak RSS MB | errors |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...summary.map((r) => `| ${r.title} | ${show(r.cpuMsPerRequest)} | ${show(r.dbCpuMsPerRequest)} | ${r.against ? `${show(r.cpuRatio, '×')} of ${r.against}` : '–'} | ${r.dbCommandsPerRequest} | ${Math.round(r.requestsPerSecond)} | ${r.p50Ms} | ${r.p99Ms} | ${r.peakRssMb} | ${r.errors} |`),
    '',
    `Peak RSS of the gateway's server process over the whole run: ${round(final.maxRss / 2 ** 20, 1)} MB (the peer's: ${round(peerFinal.maxRss / 2 ** 20, 1)} MB)${sharedPeakText(sharedPeak, peerFinal)}. RSS of the gateway's process after each round (after a GC): ${runs.map((run) => `${run.filter((r) => chosen.find((t) => t.key === r.key)?.server === 'gateway').pop()?.rssAfterMb ?? '–'} MB`).join(', ')}.`,
    '',
    ...(live ? [
      '## Live: subscriptions',
      '',
      `${live.subscriptions} subscriptions (half sessionUpdated, half messageAdded) over ${live.connections} connections, on ${live.watchedSessions} sessions, served by a gateway process of its own (${live.nodeFlags?.length ? `node flags \`${live.nodeFlags.join(' ')}\`` : 'no node flags'}; peak RSS ${live.peakRssMb} MB); each second ${live.writesPerSecond} sessions written and ${live.writesPerSecond} messages added (1 % each), ${live.ticks} ticks of ${settings.live.intervalMs} ms measured; subscribing took ${live.subscribeSeconds} s.`,
      '',
      '| server CPU ms per tick | CPU % of one core | db commands per tick | heap per subscription KB | RSS per subscription KB: subscribed · steady | events | write → client p50 ms | p99 ms | max ms |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      `| ${live.cpuMsPerTick} | ${live.cpuPercent} | ${live.dbCommandsPerTick} | ${live.heapPerSubscriptionKb} | ${live.rssPerSubscriptionKb} · ${live.rssSteadyPerSubscriptionKb} | ${live.events} | ${live.eventP50Ms} | ${live.eventP99Ms} | ${live.eventMaxMs} |`,
      '',
      `Reconnect storm: all ${live.connections} connections dropped at once, one message missed in each of the ${live.watchedSessions} sessions, all back at once with \`messageAdded\` resumed from its last \`_id\`: every subscription caught up in ${live.stormSeconds} s, ${live.stormFailures} failed; \`/healthz\` answered within ${live.healthzMaxMs} ms at worst over ${live.healthzProbes} probes (by phase: ${Object.entries(live.healthzByPhase).map(([phase, ms]) => `${phase} ${ms} ms`).join(', ')}).`,
      '',
    ] : []),
    '## Database commands per request, as the data grows',
    '',
    '| crew size (tasks = agents) | REST | GraphQL one session |',
    '|---:|---:|---:|',
    ...commandCounts.byCrewSize.map((c) => `| ${c.size} | ${c.rest} | ${c.graphql} |`),
    '',
    '| sessions(first) with full graphs | GraphQL |',
    '|---:|---:|',
    ...commandCounts.byPageSize.map((c) => `| ${c.first} | ${c.graphql} |`),
    '',
    `(${Math.round(elapsedMs / 1000)} s in all.)`,
  ];
  const markdown = lines.join('\n') + '\n';
  process.stdout.write(markdown);
  mkdirSync(settings.out, { recursive: true });
  writeFileSync(path.join(settings.out, 'latest.md'), markdown);
  const chart = cpuChart(summary, `${settings.database} · ${settings.connections} connections · ${runs.length} interleaved rounds of ${settings.duration} s · ${new Date().toISOString().slice(0, 10)}`);
  if (chart) writeFileSync(path.join(settings.out, 'cpu.svg'), chart);
  writeFileSync(path.join(settings.out, 'latest.json'), JSON.stringify({ settings, summary, runs, live, peakRssBytes: final.maxRss, peerPeakRssBytes: peerFinal.maxRss, sharedTargetsPeakRssBytes: sharedPeak, commandCounts }, null, 2) + '\n');
}

interface Spread { median: number; min: number; max: number }

function spread(values: number[], digits: number): Spread {
  return { median: round(median(values), digits), min: round(Math.min(...values), digits), max: round(Math.max(...values), digits) };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
