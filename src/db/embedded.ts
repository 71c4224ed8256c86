/**
 * Starts jongodb, an in-memory MongoDB-compatible server speaking the real wire protocol, for the
 * embedded demo and the tests. It is an optional dependency: a native Linux x64 binary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface EmbeddedMongo {
  /** A MongoDB URI naming `database`. */
  uri: string;
  port: number;
  stop(): Promise<void>;
}

const PACKAGE = '@jongodb/memory-server-bin-linux-x64-gnu';

export function embeddedBinaryPath(): string {
  let packageJson: string;
  try {
    packageJson = require.resolve(`${PACKAGE}/package.json`);
  } catch {
    throw new Error(
      `The embedded database needs the optional package ${PACKAGE} (Linux x64, glibc); ` +
        'run `npm ci` on such a machine, or set MONGODB_URI to a real MongoDB.',
    );
  }
  const binary = path.join(path.dirname(packageJson), 'bin', 'jongodb');
  if (!existsSync(binary)) throw new Error(`${binary} is missing; reinstall with \`npm ci\``);
  return binary;
}

export interface EmbeddedOptions {
  database?: string;
  /** Reuse a port (to restart a stopped server at the same address); 0 picks a free one. */
  port?: number;
  startTimeoutMs?: number;
}

export function startEmbeddedMongo(options: EmbeddedOptions = {}): Promise<EmbeddedMongo> {
  const database = options.database ?? 'agentcloud';
  const child = spawn(
    embeddedBinaryPath(),
    ['--host=127.0.0.1', `--port=${options.port ?? 0}`, `--database=${database}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error('jongodb did not start within the time limit')), options.startTimeoutMs ?? 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`jongodb exited with code ${code} before it was ready: ${output.trim()}`)));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
      const failure = /JONGODB_START_FAILURE=(.*)/.exec(output);
      if (failure) return fail(new Error(`jongodb failed to start: ${failure[1]}`));
      const ready = /JONGODB_URI=(mongodb:\/\/\S+)/.exec(output);
      if (!ready) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      const uri = ready[1];
      resolve({ uri, port: Number(new URL(uri).port), stop: () => stopChild(child) });
    });
    child.stderr!.resume();
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
