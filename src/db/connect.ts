/**
 * Opens the driver connection the whole process shares, and keeps trying when the database is down at
 * start-up: the gateway starts anyway (`/readyz` says 503, reads fail with 503 at once) and recovers by
 * itself, with no restart, when the database comes up.
 */
import { MongoClient, type Db } from 'mongodb';
import { databaseNameFromUri } from './database-name';
import type { Logger } from 'pino';

export interface Database {
  client: MongoClient;
  db: Db;
  /** Stops trying to connect (when the database was down at start) and closes the driver. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  /**
   * The driver's command monitoring (`commandStarted` events): off by default, since it makes the
   * driver decode every reply a second time for the events. The gateway counts its reads
   * where it issues them (src/loaders/request-reader.ts); tests and the benchmark that watch the wire
   * turn it on.
   */
  monitorCommands?: boolean;
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

/** DB_SERVER_SELECTION_TIMEOUT_MS's default, as src/config states it: db/ imports nothing above it. */
const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5000;
/** Pauses between connection attempts while the database is down (each attempt itself lasts up to the selection timeout). */
const RETRY_DELAYS_MS = [250, 500, 1000, 2000];
/** The driver's default: how long a streaming heartbeat may wait for news from the server. */
const HEARTBEAT_FREQUENCY_MS = 10_000;

/**
 * Configuration errors (a malformed URI, a bad option) are thrown; an unreachable database is not.
 *
 * Two ways the driver (7.9) can stay down after the database is back, and what is done about them:
 * - When its first connection fails it closes that topology for good: every later operation fails
 *   with MongoTopologyClosedError (auto-connect does the same). Only a new `connect()` opens a new
 *   topology, so the gateway keeps calling it in the background until it succeeds.
 * - A server monitor whose heartbeat starts just as the server's connection closes can wait forever
 *   (a write on a socket that was destroyed meanwhile; no timeout applies to it). The server then stays
 *   "unknown" and every read fails server selection, even after the database is back. A watchdog
 *   notices a heartbeat that outlives every timeout that should end it and reconnects the driver.
 */
/** The longest delay Node's timers take (a longer one is cut to 1 ms, with a warning on stderr). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export async function connectDatabase(uri: string, options: ConnectOptions = {}): Promise<Database> {
  const serverSelectionTimeoutMS = options.serverSelectionTimeoutMS ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS;
  const connectTimeoutMS = Math.min(5000, serverSelectionTimeoutMS);
  const client = new MongoClient(uri, {
    appName: 'session-gateway',
    monitorCommands: options.monitorCommands ?? false,
    serverSelectionTimeoutMS,
    connectTimeoutMS,
    heartbeatFrequencyMS: HEARTBEAT_FREQUENCY_MS,
    waitQueueTimeoutMS: serverSelectionTimeoutMS,
    socketTimeoutMS: options.requestTimeoutMs ? Math.min(options.requestTimeoutMs + 1000, MAX_TIMER_MS) : 0,
  });
  const db = client.db(databaseNameFromUri(uri));
  const logger = options.logger;

  let closed = false;
  let connecting: Promise<void> | undefined;
  const connectInBackground = (firstDelayMs: number) => {
    connecting ??= keepConnecting(client, () => closed, firstDelayMs, logger).finally(() => (connecting = undefined));
  };

  const watchdog = watchMonitors(client, connectTimeoutMS, (address, stuckMs) => {
    if (closed || connecting) return;
    logger?.warn({ address, stuckMs }, 'database monitor stuck; reconnecting the driver');
    connecting = client
      .close()
      .catch(() => undefined)
      .then(() => {
        connecting = undefined;
        if (!closed) connectInBackground(0);
      });
  });

  const close = async () => {
    closed = true;
    clearInterval(watchdog);
    await client.close();
    // a connection attempt that was under way may have opened a topology after close()
    await connecting;
    await client.close();
  };

  try {
    await client.connect();
  } catch (error) {
    if (isConfigurationError(error)) {
      clearInterval(watchdog);
      throw error;
    }
    logger?.warn({ reason: (error as Error).message }, 'database unreachable at start; retrying in the background');
    connectInBackground(RETRY_DELAYS_MS[0]);
  }
  return { client, db, close };
}

async function keepConnecting(client: MongoClient, isClosed: () => boolean, firstDelayMs: number, logger?: Logger): Promise<void> {
  for (let attempt = 0; !isClosed(); attempt += 1) {
    await sleep(attempt === 0 ? firstDelayMs : RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]);
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

/**
 * Calls `onStuck` when a server heartbeat has been under way longer than the driver's own timeouts
 * allow: a polling heartbeat (or a new monitoring connection) is bounded by about two connect timeouts,
 * a streaming one by a connect timeout plus the heartbeat frequency.
 */
function watchMonitors(client: MongoClient, connectTimeoutMS: number, onStuck: (address: string, stuckMs: number) => void): NodeJS.Timeout {
  const started = new Map<string, { at: number; awaited: boolean }>();
  client.on('serverHeartbeatStarted', (event) => started.set(event.connectionId, { at: Date.now(), awaited: event.awaited }));
  client.on('serverHeartbeatSucceeded', (event) => started.delete(event.connectionId));
  client.on('serverHeartbeatFailed', (event) => started.delete(event.connectionId));
  client.on('topologyClosed', () => started.clear());
  const timer = setInterval(() => {
    const now = Date.now();
    for (const [address, heartbeat] of started) {
      const limit = (heartbeat.awaited ? connectTimeoutMS + HEARTBEAT_FREQUENCY_MS : 2 * connectTimeoutMS) + 1000;
      if (now - heartbeat.at > limit) {
        started.clear();
        onStuck(address, now - heartbeat.at);
        return;
      }
    }
  }, 500);
  timer.unref();
  return timer;
}

function isConfigurationError(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'MongoParseError' || name === 'MongoInvalidArgumentError' || name === 'MongoMissingCredentialsError';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
