/**
 * Runs a MongoDB-compatible server as a child process that prints one ready line with its URI (the
 * embedded jongodb, the FerretDB test server), and stops it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface DatabaseServer {
  /** A MongoDB URI naming the database. */
  uri: string;
  port: number;
  /** The server's process id. */
  pid: number;
  stop(): Promise<void>;
}

/** How a test or the benchmark starts a database server. */
export interface DatabaseServerOptions {
  database?: string;
  /** Reuse a port (to restart a stopped server at the same address); 0 picks a free one. */
  port?: number;
  startTimeoutMs?: number;
  /** At a lower CPU priority than this process (for tests that time the gateway). */
  lowPriority?: boolean;
}

export interface ServerProcessOptions {
  /** Named in errors. */
  name: string;
  binary: string;
  args: string[];
  /** Matches the ready line; its first group is the URI. */
  ready: RegExp;
  /** Matches a start failure the server reports; its first group is the reason. */
  failure: RegExp;
  startTimeoutMs?: number;
  /** Turns the printed URI into the one returned (e.g. to name a database). */
  toUri?: (printed: string) => string;
  /** Run after the process has exited, on stop or on a failed start. */
  cleanup?: () => void;
  /** Run it at a lower CPU priority (`nice`), so that a test timing the gateway times the gateway. */
  lowPriority?: boolean;
}

export function startServerProcess(options: ServerProcessOptions): Promise<DatabaseServer> {
  // nice execs the server in its own process: the pid is the server's
  const [command, args] = options.lowPriority ? ['nice', ['-n', '10', options.binary, ...options.args]] : [options.binary, options.args];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`${options.name} did not start within the time limit`)), options.startTimeoutMs ?? 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.once('exit', () => options.cleanup?.());
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`${options.name} exited with code ${code} before it was ready: ${output.trim()}`)));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
      const failure = options.failure.exec(output);
      if (failure) return fail(new Error(`${options.name} failed to start: ${failure[1]}`));
      const ready = options.ready.exec(output);
      if (!ready) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      const uri = options.toUri ? options.toUri(ready[1]) : ready[1];
      resolve({ uri, port: Number(new URL(uri).port), pid: child.pid!, stop: () => stopChild(child, options.cleanup) });
    });
    child.stderr!.resume();
  });
}

function stopChild(child: ChildProcess, cleanup?: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    cleanup?.();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    child.once('exit', () => {
      cleanup?.();
      resolve();
    });
    child.kill('SIGTERM');
  });
}
