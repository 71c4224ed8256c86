/**
 * Opens the driver connection the whole process shares, and keeps trying when the database is down at
 * start-up: the gateway starts anyway (`/readyz` says 503, reads fail with 503 at once) and recovers by
 * itself, with no restart, when the database comes up.
 */
import { MongoClient, type Db } from 'mongodb';
import { databaseNameFromUri } from './database-name';
import { countCommands } from '../observability/command-totals';
import type { Logger } from '../observability/logger';

export interface Database {
  client: MongoClient;
  db: Db;
  /** Stops trying to connect (when the database was down at start) and closes the driver. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  /**
   * How long an operation waits for a reachable server before failing (the 503 path):
   * DB_SERVER_SELECTION_TIMEOUT_MS, default 5000. Also bounds a wait for a free pooled connection.
   */
  serverSelectionTimeoutMS?: number;
  /**
   * The request time budget (REQUEST_TIMEOUT_MS). Reads carry what is left of it as `maxTimeMS`; here
   * it sets the socket timeout, one second longer, so that a database that takes a command and never
   * answers (a frozen host, a half-open connection) fails the read as an outage instead of holding the
   * request forever. A live server stops at its `maxTimeMS` first.
   */
  requestTimeoutMs?: number;
  /** Told when the first connection fails and when it later succeeds. */
  logger?: Logger;
}

export const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5000;
/** Pauses between connection attempts while the database is down at start-up (each attempt itself lasts up to the selection timeout). */
const RETRY_DELAYS_MS = [250, 500, 1000, 2000];

/**
 * Configuration errors (a malformed URI, a bad option) are thrown; an unreachable database is not.
 *
 * Why the retry loop: when the driver's first connection fails it closes that topology for good, and
 * every later operation fails with MongoTopologyClosedError, even after the database is back (auto-
 * connect does the same). Only a new `connect()` opens a new topology. Once connected, the driver's
 * monitoring handles outages itself.
 */
export async function connectDatabase(uri: string, options: ConnectOptions = {}): Promise<Database> {
  const serverSelectionTimeoutMS = options.serverSelectionTimeoutMS ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS;
  const client = new MongoClient(uri, {
    appName: 'session-gateway',
    monitorCommands: true,
    serverSelectionTimeoutMS,
    connectTimeoutMS: Math.min(5000, serverSelectionTimeoutMS),
    waitQueueTimeoutMS: serverSelectionTimeoutMS,
    socketTimeoutMS: options.requestTimeoutMs ? options.requestTimeoutMs + 1000 : 0,
  });
  countCommands(client);
  const db = client.db(databaseNameFromUri(uri));

  let closed = false;
  let retrying: Promise<void> | undefined;
  const close = async () => {
    closed = true;
    await client.close();
    // a connection attempt that was under way may have opened a topology after close()
    await retrying;
    await client.close();
  };

  try {
    await client.connect();
  } catch (error) {
    if (isConfigurationError(error)) throw error;
    options.logger?.warn({ err: error }, 'database unreachable at start; retrying in the background');
    retrying = keepConnecting(client, () => closed, options.logger);
  }
  return { client, db, close };
}

async function keepConnecting(client: MongoClient, isClosed: () => boolean, logger?: Logger): Promise<void> {
  for (let attempt = 0; !isClosed(); attempt += 1) {
    await sleep(RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]);
    if (isClosed()) return;
    try {
      await client.connect();
      if (isClosed()) return;
      logger?.info({ attempts: attempt + 1 }, 'database connected');
      return;
    } catch (error) {
      if (isConfigurationError(error)) {
        logger?.error({ err: error }, 'database connection settings rejected; not retrying');
        return;
      }
    }
  }
}

function isConfigurationError(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'MongoParseError' || name === 'MongoInvalidArgumentError' || name === 'MongoMissingCredentialsError';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
