/**
 * The benchmark runs end to end with tiny settings: every target answers without errors, the report
 * is written, and database commands per request stay constant as crews and pages grow. (Throughput is
 * not asserted: speed is shown by `npm run bench`, not by tests.)
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { latestCodeWins } from '../bench/perf-report';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..');
const LIVE_INTERVAL_MS = 250;

it('runs every target once with tiny settings and writes its report', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-'));
  await run(process.execPath, [path.join(ROOT, 'dist', 'bench', 'run.js')], {
    env: { ...withoutLiveFlags(process.env), BENCH_DURATION: '1', BENCH_WARMUP: '1', BENCH_RUNS: '1', BENCH_SCALE: '3', BENCH_MESSAGES: '300', BENCH_CONNECTIONS: '2', BENCH_OUT: out, MONGODB_URI: '',
      BENCH_LIVE_SUBSCRIPTIONS: '200', BENCH_LIVE_CONNECTIONS: '4', BENCH_LIVE_SECONDS: '3', LIVE_POLL_INTERVAL_MS: String(LIVE_INTERVAL_MS) },
    timeout: 110_000,
  });
  const report = JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8'));
  const results = report.runs[0];
  expect(results.map((r: { key: string }) => r.key)).toEqual(['rest', 'floor', 'graphql-one', 'peer-one', 'graphql-page', 'peer-page', 'graphql-stack', 'peer-stack', 'graphql-list', 'webapp', 'messages-rest', 'messages-floor', 'messages-graphql']);
  // the compared pairs carry a CPU ratio; the database server's own CPU is reported too
  const summary = Object.fromEntries(report.summary.map((r: { key: string }) => [r.key, r]));
  for (const [key, against] of [['rest', 'floor'], ['graphql-one', 'peer-one'], ['graphql-page', 'peer-page'], ['graphql-stack', 'peer-stack'], ['messages-rest', 'messages-floor']]) {
    expect(summary[key].against).toBe(against);
    expect(summary[key].cpuRatio.median).toBeGreaterThan(0);
    // every one of these reads the database: its server's CPU was measured, and is some
    expect({ key, dbCpuMsPerRequest: summary[key].dbCpuMsPerRequest?.median }).toEqual({ key, dbCpuMsPerRequest: expect.any(Number) });
    expect(summary[key].dbCpuMsPerRequest.median).toBeGreaterThan(0);
  }
  // the list view reads what it shows (accounts, sessions, apps) and at most the policy's teams, orgs and apps
  expect(results.find((r: { key: string }) => r.key === 'graphql-list').dbCommandsPerRequest).toBeLessThanOrEqual(6);
  for (const result of results) {
    expect(result.requests).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
    expect(result.cpuMsPerRequest).toBeGreaterThan(0);
  }
  const commands = report.commandCounts;
  expect(commands.byCrewSize.map((c: { size: number }) => c.size)).toEqual([5, 20, 50]);
  for (const row of commands.byCrewSize) expect([row.rest, row.graphql]).toEqual([10, 10]);
  // one read per collection, plus the policy's for a member: teams and orgs (admin check), apps (owner mode)
  expect(commands.byPageSize.map((c: { graphql: number }) => c.graphql)).toEqual([13, 13, 13]);
  expect(readFileSync(path.join(out, 'latest.md'), 'utf8')).toContain('| REST compat route |');
  // the gateway's peak before the messages bodies, the figure held against the peer's
  expect(report.sharedTargetsPeakRssBytes).toBeGreaterThan(0);
  expect(report.sharedTargetsPeakRssBytes).toBeLessThanOrEqual(report.peakRssBytes);
  // the chart: each compared target beside the one it is held to
  const chart = readFileSync(path.join(out, 'cpu.svg'), 'utf8');
  expect(chart).toMatch(/^<svg /);
  for (const title of ['REST compat route', 'Floor: hand-written batched handler', 'GraphQL: one session, full graph', 'Peer: sessions(first: 20), full graphs']) expect(chart).toContain(`>${title}</text>`);
  // the live target: its subscriptions served, the writes' events received
  expect(report.live).toMatchObject({ subscriptions: 200, connections: 4 });
  expect(report.live.events).toBeGreaterThan(0);
  // a few ticks, not never: the contract's bound (a tick + 500 ms) is held alone by live-latency.solo.test.ts
  expect(report.live.eventP99Ms).toBeLessThan(10 * LIVE_INTERVAL_MS);
  expect(report.live.cpuMsPerTick).toBeGreaterThan(0);
  // served by a process of its own, started with the heap a copy serving subscriptions is given (docs/operating.md):
  // the flags are the process's own (its execArgv), and so is its peak
  expect(report.live.nodeFlags).toEqual(['--initial-old-space-size=384']);
  expect(report.live.peakRssMb).toBeGreaterThan(0);
  expect(readFileSync(path.join(out, 'latest.md'), 'utf8')).toContain('served by a gateway process of its own (node flags `--initial-old-space-size=384`');
}, 120_000);

/** The environment without a developer's BENCH_LIVE_NODE_FLAGS: the test is of the default. */
function withoutLiveFlags(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { BENCH_LIVE_NODE_FLAGS: _flags, ...rest } = env;
  return rest;
}

it('names a profile sample by the code V8 wrote last at its address, not by what ran there at start-up', () => {
  const map = path.join(mkdtempSync(path.join(tmpdir(), 'perf-map-')), 'perf-1.map');
  writeFileSync(map, [
    '1000 100 JS:~ /app/startup.js:1:1', // freed, then reused by the next two
    '1000 40 JS:*hot /app/loader.js:5:3',
    '1040 20 JS:*other /app/loader.js:9:3',
    '2000 10 JS:*kept /app/kept.js:1:1',
    '1fff 2 JS:*straddles /app/new.js:1:1', // newer, across the start of `kept`
  ].join('\n'));
  const recorded = readFileSync(map).length;
  appendFileSync(map, '\n1000 100 JS:~shutdown /app/exit.js:1:1\n'); // written after the recording stopped
  latestCodeWins(map, recorded + 1);
  expect(readFileSync(map, 'utf8').trim().split('\n')).toEqual([
    '1000 40 JS:*hot /app/loader.js:5:3',
    '1040 20 JS:*other /app/loader.js:9:3',
    '1fff 2 JS:*straddles /app/new.js:1:1',
  ]);
});
