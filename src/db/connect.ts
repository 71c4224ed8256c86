/** Opens the driver connection the whole process shares. */
import { MongoClient, type Db } from 'mongodb';
import { databaseNameFromUri } from './database-name';
import { countCommands } from '../observability/command-totals';

export interface Database {
  client: MongoClient;
  db: Db;
}

export interface ConnectOptions {
  /** How long an operation waits for a reachable server before failing (the 503 path). */
  serverSelectionTimeoutMS?: number;
}

export async function connectDatabase(uri: string, options: ConnectOptions = {}): Promise<Database> {
  const client = new MongoClient(uri, {
    appName: 'session-gateway',
    monitorCommands: true,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000,
    connectTimeoutMS: 5000,
  });
  countCommands(client);
  // connect() is not required by the driver, but failing here turns a wrong URI into a clear start-up
  // error instead of a first-request error. An unreachable database does not stop the start (readyz
  // reports it), so only configuration errors are rethrown.
  try {
    await client.connect();
  } catch (error) {
    if ((error as Error).name === 'MongoParseError' || (error as Error).name === 'MongoInvalidArgumentError') throw error;
  }
  return { client, db: client.db(databaseNameFromUri(uri)) };
}
