/**
 * The benchmark's server process: the gateway, the webapp-style baseline and the floor, on one port
 * and one driver connection, plus `/__bench/stats` (CPU time, memory, database commands so far), so
 * the runner can charge each target its own deltas. Started by bench/run.ts; not part of the gateway.
 */
import 'reflect-metadata';
import { createSecretKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import express, { type NextFunction, type Request, type Response } from 'express';
import jwt from 'jsonwebtoken';
import { connectDatabase } from '../src/db/connect';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/observability/logger';
import { createGatewayApp } from '../src/server/app';
import { listen } from '../src/server/listen';
import { startTracing } from '../src/observability/tracing';
import { floorRouter } from './baselines/floor';
import { webappStyleRouter } from './baselines/webapp-style';

/** The paths the bench's own routes answer; the gateway answers every other. */
const BENCH_PATHS = /^\/(?:__bench|baseline|floor)\//;

async function main(): Promise<void> {
  const uri = process.env.MONGODB_URI!;
  const secret = process.env.JWT_SECRET!;
  // BENCH_MONITOR_COMMANDS=0: the driver without command monitoring, as the gateway runs in
  // production (no command counts then); on by default, so that every target's commands are counted
  const monitorCommands = process.env.BENCH_MONITOR_COMMANDS !== '0';
  const database = await connectDatabase(uri, { monitorCommands });
  // Every target shares this client, so its command monitoring counts every target's commands.
  let dbCommands = 0;
  database.client.on('commandStarted', () => (dbCommands += 1));
  // the messages target's 10,000 messages are about 6 MB of JSON: over the default response budget
  // OTEL_* in its environment (BENCH_VARIANT) turns tracing on, as in production; it logs as in
  // production too (LOG_LEVEL, info: a line per request), to standard output, a pipe the bench drains
  const gateway = await createGatewayApp({ db: database.db, jwtSecret: secret, logger: createLogger(process.env.LOG_LEVEL ?? 'info'), budgets: { maxResponseBytes: 16 * 2 ** 20 }, tracing: startTracing(process.env),
    // MAX_CONCURRENT_REQUESTS (in BENCH_VARIANT: the variant's alone) read as in production
    loadShedding: { maxConcurrent: loadConfig(process.env).maxConcurrentRequests },
    // the live target's 50,000 subscriptions are past the default LIVE_MAX_SUBSCRIPTIONS (20,000)
    // (one caller's, over 500 connections: past LIVE_MAX_SUBSCRIPTIONS_PER_CALLER's 2,000 too)
    live: { intervalMs: Number(process.env.LIVE_POLL_INTERVAL_MS ?? 1000), maxSubscriptions: Number(process.env.LIVE_MAX_SUBSCRIPTIONS ?? 100_000), maxPerCaller: Number(process.env.LIVE_MAX_SUBSCRIPTIONS_PER_CALLER ?? 100_000) }, jit: process.env.GRAPHQL_JIT !== 'false' });

  // The baselines check the bearer token too, so that every target pays for authentication; with the
  // secret as a KeyObject made once, as the gateway does (given a string, jsonwebtoken parses it as a
  // key on every call: 0.48 ms of the floor's cost per request).
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const bearer = (req: Request, res: Response, next: NextFunction) => {
    try {
      const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      res.locals.accountId = (jwt.verify(token, key, { algorithms: ['HS256'] }) as jwt.JwtPayload).accountId;
      next();
    } catch {
      res.status(401).json({ message: 'unauthenticated', code: 401 });
    }
  };

  // The bench's own routes, on an app that gives its requests the gateway's app's prototypes (see below)
  const app = express();
  app.request = gateway.app.request;
  app.response = gateway.app.response;
  // BENCH_TRACE_GC=1: the collector's pauses past 50 ms, on stderr (is a stall of the event loop a GC?)
  if (process.env.BENCH_TRACE_GC === '1') {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (entry.duration > 50) process.stderr.write(`gc: ${Math.round(entry.duration)} ms (${JSON.stringify((entry as { detail?: unknown }).detail)})\n`);
    }).observe({ entryTypes: ['gc'] });
  }
  // BENCH_STALLS=1: each stall of the event loop past 100 ms (BENCH_STALL_MS), as a window of the monotonic clock in µs
  // (the clock of a --cpu-prof profile's timestamps), on stderr: what ran then is in the profile
  if (process.env.BENCH_STALLS === '1') {
    // with the process's CPU in the window (all its threads) and the main thread's time on a core and
    // waiting for one (Linux's schedstat): what stalled, the work or the machine
    const schedstat = () => readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    // each other thread's time on a core (V8's GC and compiler workers, libuv's pool)
    const threads = () => new Map(readdirSync('/proc/self/task').filter((tid) => Number(tid) !== process.pid).map((tid) => [tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0])]));
    let last = process.hrtime.bigint();
    let lastCpu = process.cpuUsage();
    let lastSched = schedstat();
    let lastThreads = threads();
    const stallNs = BigInt(Number(process.env.BENCH_STALL_MS ?? 100) * 1e6);
    setInterval(() => {
      const now = process.hrtime.bigint();
      const cpu = process.cpuUsage(lastCpu);
      const sched = schedstat();
      const others = threads();
      if (now - last > stallNs) {
        const ms = (ns: number) => Math.round(ns / 1e6);
        const busy = [...others].map(([tid, ns]) => ms(ns - (lastThreads.get(tid) ?? 0))).filter((t) => t > 0).sort((a, b) => b - a);
        process.stderr.write(`stall: ${last / 1000n} ${now / 1000n} cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms, main thread running ${ms(sched[0] - lastSched[0])} ms, waiting ${ms(sched[1] - lastSched[1])} ms; other threads running ${busy.join(', ')} ms\n`);
      }
      last = now;
      lastCpu = process.cpuUsage();
      lastSched = sched;
      lastThreads = others;
    }, 5).unref();
  }
  // the server's own event-loop delay: what holds up /healthz here, apart from the machine's other processes
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  app.get('/__bench/loop', (_req, res) => {
    res.json({ maxMs: Math.round(loop.max / 1e6), p99Ms: Math.round(loop.percentile(99) / 1e6) });
    loop.reset();
  });
  // ?gc=1: a full collection first, for the live heap (a stall of the bench's making, and its CPU)
  app.get('/__bench/stats', (req, res) => {
    if (req.query.gc === '1') (globalThis as { gc?: () => void }).gc?.();
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    res.json({
      cpuMicros: cpu.user + cpu.system,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      maxRss: process.resourceUsage().maxRSS * 1024,
      dbCommands,
      execArgv: process.execArgv,
    });
  });
  app.use(['/baseline', '/floor'], bearer);
  app.use(webappStyleRouter(database.db));
  app.use(floorRouter(database.db));
  // The gateway's app answers at the top, as in production, on requests made with its prototypes
  // (src/server/server-classes.ts). The bench's app answers on those same requests with the same
  // prototypes, and so the gateway's settings (the baselines answer with res.end either way): prototypes
  // of its own would be a change the baselines paid for and the gateway not.
  const handler = (req: IncomingMessage, res: ServerResponse) => (BENCH_PATHS.test(req.url ?? '') ? app : gateway.app)(req, res);
  const { server, url } = await listen(handler, 0, '127.0.0.1', {}, gateway.app);
  gateway.subscriptions.attach(server);
  process.stdout.write(`BENCH_SERVER_URL=${url}\n`);
  // Exit through process.exit so that `--cpu-prof` writes its profile.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
