/**
 * The tests' database server: jongodb by default, FerretDB with TEST_DATABASE=ferretdb
 * (`npm run test:ferretdb`). Every test that needs a database starts it through here.
 */
import { databaseKind, startDatabaseServer, type DatabaseServer, type DatabaseServerOptions } from '../../src/db/database-server';

export const TEST_DATABASE = databaseKind(process.env.TEST_DATABASE);

export function startTestDatabase(options: DatabaseServerOptions = {}): Promise<DatabaseServer> {
  return startDatabaseServer(TEST_DATABASE, options);
}

export type { DatabaseServer };
