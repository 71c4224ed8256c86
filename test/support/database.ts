/**
 * The tests' database server: jongodb by default, FerretDB with TEST_DATABASE=ferretdb
 * (`npm run test:ferretdb`). Every test that needs a database starts it through here.
 */
import { MongoClient } from 'mongodb';
import { databaseKind, startDatabaseServer, type DatabaseServer, type DatabaseServerOptions } from '../../src/db/database-server';
import { databaseNameFromUri } from '../../src/db/database-name';
import type { DemoData } from '../../src/seed/generate';
import { loadDemoData } from '../../src/seed/load';

export const TEST_DATABASE = databaseKind(process.env.TEST_DATABASE);

export function startTestDatabase(options: DatabaseServerOptions = {}): Promise<DatabaseServer> {
  return startDatabaseServer(TEST_DATABASE, options);
}

export type { DatabaseServer };

/** A test database filled with `data` (for a gateway started as its own process). */
export async function startSeededDatabase(data: DemoData, options: DatabaseServerOptions = {}): Promise<DatabaseServer> {
  const server = await startTestDatabase(options);
  const client = new MongoClient(server.uri);
  try {
    await loadDemoData(client.db(databaseNameFromUri(server.uri)), data);
  } finally {
    await client.close();
  }
  return server;
}
