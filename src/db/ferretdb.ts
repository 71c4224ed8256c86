/**
 * The FerretDB test server (test/ferretdb-server: FerretDB v1.24.2 embedded, SQLite backend), the
 * tests' and the benchmark's second, stricter MongoDB-compatible server. `npm run test:ferretdb`
 * builds it (scripts/build-ferretdb.sh); each start gets a fresh data directory, removed on stop.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServerProcess, type DatabaseServer, type DatabaseServerOptions } from './server-process';
import { DEFAULT_DATABASE_NAME } from './database-name';

function ferretDbBinaryPath(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const binary = path.join(dir, '.cache', 'ferretdb', 'ferretdb-test-server');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`sh scripts/build-ferretdb.sh\` (needs Go 1.24 or newer)`);
  return binary;
}

export function startFerretDb(options: DatabaseServerOptions = {}): Promise<DatabaseServer> {
  const database = options.database ?? DEFAULT_DATABASE_NAME;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ferretdb-'));
  return startServerProcess({
    name: 'FerretDB',
    binary: ferretDbBinaryPath(),
    args: [`-port=${options.port ?? 0}`, `-dir=${dataDir}`],
    ready: /FERRETDB_URI=(mongodb:\/\/\S+)/,
    failure: /FERRETDB_START_FAILURE=(.*)/,
    startTimeoutMs: options.startTimeoutMs,
    lowPriority: options.lowPriority,
    toUri: (printed) => `${printed.replace(/\/$/, '')}/${database}`,
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  });
}
