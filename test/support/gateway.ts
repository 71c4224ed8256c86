/**
 * Starts the real gateway for a test file: a MongoDB-compatible server (jongodb, or FerretDB with
 * TEST_DATABASE=ferretdb; real wire protocol, real driver), the demo data, and the HTTP server on a
 * free port. Nothing is mocked.
 */
import 'reflect-metadata';
import type { Server } from 'node:http';
import type { Db, MongoClient } from 'mongodb';
import type { ObjectId } from 'mongodb';
import { connectDatabase } from '../../src/db/connect';
import { startTestDatabase, type DatabaseServer } from './database';
import { createLogger, type Logger } from '../../src/observability/logger';
import { generateDemoData, type DemoData, type GenerateOptions } from '../../src/seed/generate';
import { loadDemoData } from '../../src/seed/load';
import { signLoginToken } from '../../src/auth/tokens';
import { createGatewayApp, type GatewayApp, type GatewayAppOptions } from '../../src/server/app';
import type { IdeOptions } from '../../src/ide';
import type { QueryLimits } from '../../src/config/query-limits';
import { listen, type ServerTimeouts } from '../../src/server/listen';
import type { DestinationStream } from 'pino';
import { closeServer } from './servers';
import type { Fault } from './faults';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256';

export interface TestGateway {
  url: string;
  /** The metrics listener (its own port, as in production); undefined when metrics are off. */
  metricsUrl?: string;
  db: Db;
  client: MongoClient;
  mongo: DatabaseServer;
  data: DemoData;
  fixtures: DemoData['fixtures'];
  /** A login token for a named demo account. */
  tokenFor(account: keyof DemoData['fixtures']['accounts']): string;
  tokenForId(accountId: ObjectId): string;
  /** POSTs a GraphQL operation; `token` null sends no Authorization header. */
  graphql(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResult>;
  get(path: string, headers?: Record<string, string>): Promise<HttpResult>;
  /** Runs `fn` and returns how many database commands started meanwhile, also by "command collection". */
  countCommands<T>(fn: () => Promise<T>): Promise<{ result: T; total: number; byName: Record<string, number> }>;
  stop(): Promise<void>;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
}

export interface GraphQLResult extends HttpResult {
  body: { data?: any; errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }> };
}

export interface TestGatewayOptions extends GenerateOptions {
  /** Serve the Apollo Federation 2 subgraph schema (GRAPHQL_FEDERATION). */
  federation?: boolean;
  /** What the GraphQL IDE starts with (default headers, default query). */
  ide?: IdeOptions;
  /** Query and body size limits to override (the defaults otherwise). */
  limits?: Partial<QueryLimits>;
  /** Where the gateway's log lines go (at `logLevel`, default `trace`); none are kept otherwise. */
  logStream?: DestinationStream;
  logLevel?: string;
  /** Anything else createGatewayApp takes (budgets, load shedding, federation traces, token rules). */
  app?: Partial<GatewayAppOptions>;
  /** A defect to inject into the reads of one collection (./faults.ts). */
  fault?: Fault;
  /** Node's server timeouts (src/server/listen.ts); its defaults otherwise. */
  serverTimeouts?: Partial<ServerTimeouts>;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const { federation, ide, limits, logStream, logLevel, app, fault, serverTimeouts, ...generateOptions } = options;
  const mongo = await startTestDatabase();
  const database = await connectDatabase(mongo.uri, { monitorCommands: true }); // the tests count commands on the wire
  const data = generateDemoData(generateOptions);
  await loadDemoData(database.db, data);
  const logger = logStream ? createLogger(logLevel ?? 'trace', logStream) : undefined;
  // graphql-jit compiles every document at first sight here, so that every test's query runs compiled
  const jit = process.env.TEST_JIT === '0' ? false : { compileAfter: 0 };
  // a load test's last requests can still be running when it ends: they may finish
  const db = fault ? fault.wrap(database.db) : database.db;
  const served = await startGatewayApp({ db, logger, federation, ide, limits, jit, ...app }, { graceMs: 5_000, timeouts: serverTimeouts });
  const { url } = served;

  let commandLog: string[] | null = null;
  database.client.on('commandStarted', (event) => commandLog?.push(`${event.commandName} ${event.command[event.commandName]}`));

  const tokenForId = (accountId: ObjectId) => signLoginToken(accountId, TEST_JWT_SECRET);
  const get = async (path: string, headers: Record<string, string> = {}): Promise<HttpResult> => {
    const response = await fetch(url + path, { headers });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  return {
    url,
    metricsUrl: served.metricsUrl,
    db: database.db,
    client: database.client,
    mongo,
    data,
    fixtures: data.fixtures,
    tokenFor: (account) => tokenForId(data.fixtures.accounts[account]),
    tokenForId,
    async graphql(query, variables, token = null) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
    },
    get,
    async countCommands(fn) {
      commandLog = [];
      try {
        const result = await fn();
        const byName: Record<string, number> = {};
        for (const name of commandLog) byName[name] = (byName[name] ?? 0) + 1;
        return { result, total: commandLog.length, byName };
      } finally {
        commandLog = null;
      }
    },
    async stop() {
      await served.stop();
      await database.close();
      await mongo.stop();
    },
  };
}

/** A gateway app served on loopback ports: the API (with its WebSocket subscriptions) and its metrics. */
export interface ServedApp {
  gateway: GatewayApp;
  server: Server;
  url: string;
  port: number;
  /** The metrics listener; undefined when metrics are off. */
  metricsUrl?: string;
  /** Closes its sockets (live ones with 1001, as on SIGTERM), its listeners, then the app. */
  stop(): Promise<void>;
}

export type ServedAppOptions = Omit<GatewayAppOptions, 'jwtSecret' | 'logger'> & Partial<Pick<GatewayAppOptions, 'jwtSecret' | 'logger'>>;

/**
 * Builds a gateway app on `options.db` (the test secret, and a silent logger unless TEST_LOG_LEVEL,
 * by default) and serves it on 127.0.0.1: at `port` (0: a free one), its metrics on a free port.
 * `graceMs`: how long `stop` lets requests in flight finish (0: cut at once).
 */
export async function startGatewayApp(options: ServedAppOptions, listenOn: { port?: number; graceMs?: number; timeouts?: Partial<ServerTimeouts> } = {}): Promise<ServedApp> {
  const logger: Logger = options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const gateway = await createGatewayApp({ ...options, jwtSecret: options.jwtSecret ?? TEST_JWT_SECRET, logger });
  const { server, url } = await listen(gateway.app, listenOn.port ?? 0, '127.0.0.1', listenOn.timeouts);
  gateway.subscriptions.attach(server);
  const metrics = gateway.metricsApp ? await listen(gateway.metricsApp, 0, '127.0.0.1') : undefined;
  return {
    gateway,
    server,
    url,
    port: Number(new URL(url).port),
    metricsUrl: metrics?.url,
    async stop() {
      await gateway.subscriptions.close();
      await closeServer(server, listenOn.graceMs);
      if (metrics) await closeServer(metrics.server, listenOn.graceMs);
      await gateway.stop();
    },
  };
}
