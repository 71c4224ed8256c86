/**
 * The MongoDB-compatible servers the tests and the benchmark can run on: `jongodb` (the embedded
 * demo's, the default) or `ferretdb` (stricter: real projections, cursors, maxTimeMS and MongoDB's
 * error codes). Chosen by name (TEST_DATABASE, BENCH_DATABASE).
 */
import { startEmbeddedMongo } from './embedded';
import { startFerretDb } from './ferretdb';
import type { DatabaseServer, DatabaseServerOptions } from './server-process';

export type DatabaseKind = 'jongodb' | 'ferretdb';

export function databaseKind(value: string | undefined): DatabaseKind {
  if (value === undefined || value === '' || value === 'jongodb') return 'jongodb';
  if (value === 'ferretdb') return 'ferretdb';
  throw new Error(`unknown database server "${value}": use jongodb or ferretdb`);
}

export function startDatabaseServer(kind: DatabaseKind, options: DatabaseServerOptions = {}): Promise<DatabaseServer> {
  return kind === 'ferretdb' ? startFerretDb(options) : startEmbeddedMongo(options);
}

export type { DatabaseServer, DatabaseServerOptions };
