/**
 * Helpers of the resilience tests (outage, shutdown): free ports, a TCP proxy that can slow down or
 * freeze a database's answers, the built gateway (`dist/src/main.js`) as a child process (for every
 * test that runs it: start, the live shutdown, the fleet, the overload), and a small
 * bounded-concurrency load generator that records every answer.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DemoData } from '../../src/seed/generate';
import { startSeededDatabase, type DatabaseServer } from './database';
import { sleep } from './wait';

export const ROOT = path.resolve(__dirname, '..', '..');
export const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

/**
 * A free port for a server the test starts later (a gateway copy, Redis), taken below the kernel's
 * ephemeral range: a port from that range can be handed to some outgoing connection (a copy's link to
 * the database) between this check and the server's bind, so the server would find it in use.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const low = Math.max(1024, ephemeralLow - 12_000);
  // no room below the range (it starts near 1024): a port the kernel picks, as before
  if (ephemeralLow - low < 1000) return kernelPort();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (ephemeralLow - low));
    if (handedOut.has(port)) continue;
    handedOut.add(port); // before the check: calls made together never get the same port
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found in ${low}–${ephemeralLow - 1}`);
}

/** Ports this process has handed out (a test may not have bound its port yet). */
const handedOut = new Set<number>();

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low, high];
  } catch {
    // not Linux: the common default
  }
  return [32768, 60999];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The error code of a TCP connection attempt ('connected' when it succeeds). */
export function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

export type ProxyMode = 'pass' | 'slow' | 'frozen';

/**
 * A TCP proxy in front of a database. In `slow` mode every chunk the database sends is delivered
 * `delayMs` late (in order); in `frozen` mode nothing is delivered (the connections stay open, like a
 * frozen host) until the mode changes, when what was held back goes out. Requests always reach the
 * database at once.
 */
export class TcpProxy {
  private mode: ProxyMode = 'pass';
  private delayMs = 0;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket; held: Buffer[] }>();

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => proxy.pipe(client, targetPort));
    return proxy;
  }

  setMode(mode: ProxyMode, delayMs = 0): void {
    this.mode = mode;
    this.delayMs = delayMs;
    if (mode === 'frozen') return;
    for (const pair of this.pairs) for (const chunk of pair.held.splice(0)) pair.client.write(chunk);
  }

  private pipe(client: net.Socket, targetPort: number): void {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    const pair = { client, upstream, held: [] as Buffer[] };
    this.pairs.add(pair);
    let deliverAt = 0;
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (this.mode === 'frozen') {
        pair.held.push(chunk);
        return;
      }
      if (this.mode === 'pass' && deliverAt <= Date.now()) {
        client.write(chunk);
        return;
      }
      deliverAt = Math.max(Date.now() + this.delayMs, deliverAt);
      setTimeout(() => client.writable && client.write(chunk), deliverAt - Date.now());
    });
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------------
// The built gateway as a child process

const run = promisify(execFile);

function newestSourceTime(): number {
  let newest = 0;
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  visit(path.join(ROOT, 'src'));
  for (const file of ['tsconfig.json', 'tsconfig.build.json']) newest = Math.max(newest, statSync(path.join(ROOT, file)).mtimeMs);
  return newest;
}

/** Builds `dist` when a source is newer than `dist/src/main.js`. */
export async function ensureBuilt(): Promise<void> {
  if (!existsSync(MAIN) || statSync(MAIN).mtimeMs < newestSourceTime()) {
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 90_000 });
  }
  if (!existsSync(MAIN)) throw new Error(`${MAIN} was not built`);
}

export interface StartedMain {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves with the URL of the "listening" log line (rejects, with the output, if it exits first or after `ms`). */
  listening(ms?: number): Promise<string>;
  /** Resolves once `test` holds for the standard output so far (rejects, with the output, if it exits first or after `ms`). */
  printed(test: (stdout: string) => boolean, ms: number, what: string): Promise<void>;
}

const children: ChildProcess[] = [];

/**
 * A copy of this environment without the settings that change what starts (NODE_ENV too: Jest sets it
 * to "test", which `npm start` never has), plus `env`.
 */
export function mainEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // METRICS_PORT 0: several gateways run at once in the tests, and 9464 can only be had by one
  // SHUTDOWN_READY_DELAY_MS 0: the tests that want the readiness delay set it
  const base: NodeJS.ProcessEnv = { ...process.env, PORT: '0', METRICS_PORT: '0', SHUTDOWN_READY_DELAY_MS: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  for (const name of ['MONGODB_URI', 'JWT_SECRET', 'GRAPHQL_INTROSPECTION', 'NODE_OPTIONS', 'NODE_ENV']) delete base[name];
  return { ...base, ...env };
}

/** Spawns `node dist/src/main.js` in its own process group (so a failed test can kill it and its database). */
export function startMain(env: NodeJS.ProcessEnv): StartedMain {
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  const logs = () =>
    out.split('\n').filter((line) => line.startsWith('{')).flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const printed = async (test: (stdout: string) => boolean, ms: number, what: string) => {
    const until = Date.now() + ms;
    for (;;) {
      if (test(out)) return;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before ${what}:\n${out}\n${err}`);
      if (Date.now() > until) throw new Error(`no ${what} within ${ms} ms:\n${out}\n${err}`);
      await sleep(25);
    }
  };
  const listeningLine = () => logs().find((entry) => entry.msg === 'session gateway listening');
  const listening = async (ms = 15_000) => {
    await printed(() => listeningLine() !== undefined, ms, 'the "listening" line');
    return String(listeningLine()!.url);
  };
  return { child, stdout: () => out, stderr: () => err, logs, exited, listening, printed };
}

/** Kills every child still running, with its process group (its embedded database included). */
export function killChildren(): void {
  for (const child of children.splice(0)) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Load

export interface LoadRequest {
  kind: string;
  path: string;
  init: RequestInit;
}

export interface LoadResult {
  kind: string;
  startedAt: number;
  endedAt: number;
  status: number;
  /** Set when no HTTP answer arrived (connection error, or no answer within the client's bound). */
  failure?: string;
  headers?: Headers;
  text?: string;
}

/**
 * Sends requests from `next()` with `concurrency` workers until `until()` says stop; each request is
 * abandoned (and recorded as a failure) after `abandonAfterMs`.
 */
export async function runLoad(options: {
  baseUrl: string;
  concurrency: number;
  next: (i: number) => LoadRequest;
  until: () => boolean;
  abandonAfterMs: number;
  onResult?: (result: LoadResult) => void;
}): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  let i = 0;
  const worker = async () => {
    while (!options.until()) {
      const request = options.next(i++);
      const startedAt = Date.now();
      let result: LoadResult;
      try {
        const response = await fetch(options.baseUrl + request.path, { ...request.init, signal: AbortSignal.timeout(options.abandonAfterMs) });
        const text = await response.text();
        result = { kind: request.kind, startedAt, endedAt: Date.now(), status: response.status, headers: response.headers, text };
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        result = { kind: request.kind, startedAt, endedAt: Date.now(), status: 0, failure: `${(error as Error).name}: ${cause?.code ?? (error as Error).message}` };
      }
      results.push(result);
      options.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return results;
}

/**
 * For a test file that starts the built gateway (`startMain`): the build made, a database seeded with
 * `data` before its tests, and after them every gateway it started killed and the database stopped.
 */
export function seededDatabaseForMain(data: DemoData): { uri(): string } {
  let mongo: DatabaseServer | undefined;
  beforeAll(async () => {
    await ensureBuilt();
    mongo = await startSeededDatabase(data);
  }, 120_000);
  afterAll(async () => {
    killChildren();
    await mongo?.stop();
  });
  return { uri: () => mongo!.uri };
}
