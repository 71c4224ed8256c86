/**
 * Starts jongodb, an in-memory MongoDB-compatible server speaking the real wire protocol, for the
 * embedded demo and the tests. It is an optional dependency: a native Linux x64 binary.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServerProcess, type DatabaseServer, type DatabaseServerOptions } from './server-process';
import { DEFAULT_DATABASE_NAME } from './database-name';

export type EmbeddedMongo = DatabaseServer;

const PACKAGE = '@jongodb/memory-server-bin-linux-x64-gnu';

function embeddedBinaryPath(): string {
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

export function startEmbeddedMongo(options: DatabaseServerOptions = {}): Promise<EmbeddedMongo> {
  const database = options.database ?? DEFAULT_DATABASE_NAME;
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
