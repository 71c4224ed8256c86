/**
 * Starts jongodb, an in-memory MongoDB-compatible server speaking the real wire protocol, for the
 * embedded demo and the tests. It is an optional dependency: a native Linux x64 binary.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServerProcess, type DatabaseServer } from './server-process';

export type EmbeddedMongo = DatabaseServer;

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
  lowPriority?: boolean;
}

export function startEmbeddedMongo(options: EmbeddedOptions = {}): Promise<EmbeddedMongo> {
  const database = options.database ?? 'agentcloud';
  return startServerProcess({
    name: 'jongodb',
    binary: embeddedBinaryPath(),
    args: ['--host=127.0.0.1', `--port=${options.port ?? 0}`, `--database=${database}`],
    ready: /JONGODB_URI=(mongodb:\/\/\S+)/,
    failure: /JONGODB_START_FAILURE=(.*)/,
    startTimeoutMs: options.startTimeoutMs,
    lowPriority: options.lowPriority,
  });
}
