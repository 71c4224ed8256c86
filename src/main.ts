/**
 * `npm start`: serves MONGODB_URI, or, when it is unset, an embedded throwaway MongoDB-compatible
 * server filled with demo data, and prints how to call it.
 */
import 'reflect-metadata';
import type { Server } from 'node:http';
import { loadConfig } from './config';
import { connectDatabase } from './db/connect';
import { startEmbeddedMongo, type EmbeddedMongo } from './db/embedded';
import { createLogger } from './observability/logger';
import { generateDemoData } from './seed/generate';
import { loadDemoData } from './seed/load';
import { signLoginToken } from './auth/tokens';
import { TrustedDocuments } from './server/trusted-documents';
import { startTracing } from './observability/tracing';
import { createGatewayApp } from './server/app';
import { listen } from './server/listen';
import { createGracefulShutdown, exitOnTerminationSignals } from './server/shutdown';
import { printDemoBanner } from './server/demo-banner';
import { demoIdeOptions } from './ide';
import { MongoParseError } from 'mongodb';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);

  // Everything started so far, stopped again if the start fails (a port taken, a bad setting).
  const started: Array<{ name: string; close: () => Promise<unknown> }> = [];
  try {
    let embedded: EmbeddedMongo | undefined;
    let uri = config.mongodbUri;
    if (!uri) {
      embedded = await startEmbeddedMongo();
      started.push({ name: 'embedded database', close: () => embedded!.stop() });
      uri = embedded.uri;
      logger.info({ pid: embedded.pid, uri }, 'embedded database started');
    }
    const database = await connectDatabase(uri, {
      serverSelectionTimeoutMS: config.dbServerSelectionTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      logger,
    }).catch((error: unknown) => {
      // the driver's class, or that of the connection-string parser under it: both are named so
      const unparsable = error instanceof MongoParseError || (error as Error)?.name === 'MongoParseError';
      throw unparsable ? new Error(`MONGODB_URI is not a MongoDB connection string: ${(error as Error).message}`) : error;
    });
    started.unshift({ name: 'database driver', close: () => database.close() });
    const demo = embedded ? generateDemoData() : undefined;
    if (demo) await loadDemoData(database.db, demo);
    // The demo's token and session: printed in the banner and already filled in in the IDE.
    const demoToken = demo ? signLoginToken(demo.fixtures.accounts.owner, config.jwtSecret) : '';
    const ide = demo ? demoIdeOptions({ token: demoToken, sessionId: demo.fixtures.sessions.teamCrew.toHexString() }) : undefined;

    const gateway = await createGatewayApp({
      db: database.db, jwtSecret: config.jwtSecret, logger, introspection: config.introspection, federation: config.federation, ide,
      limits: config.limits, requestTimeoutMs: config.requestTimeoutMs, metricsEnabled: config.metricsEnabled, hstsMaxAge: config.hstsMaxAge,
      budgets: config.budgets, loadShedding: { maxConcurrent: config.maxConcurrentRequests }, federationTraces: config.federationTraces, jit: config.jit,
      tokenRules: { maxAgeS: config.jwtMaxAgeS }, corsOrigins: config.corsOrigins, live: config.live,
      trustedDocuments: config.trustedDocuments && TrustedDocuments.load(config.trustedDocuments.file, config.trustedDocuments.only), quotas: config.quotas, trustedProxies: config.trustedProxies, tracing: startTracing(process.env),
    });
    started.unshift({ name: 'graphql', close: () => gateway.stop() });
    const { server, url } = await listen(gateway.app, config.port, config.host, { keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs }).catch(onListener(''));
    started.unshift({ name: 'http server', close: () => new Promise((resolve) => server.close(resolve)) });
    gateway.subscriptions.attach(server);
    const metricsListener = gateway.metricsApp ? await listen(gateway.metricsApp, config.metricsPort, config.metricsHost).catch(onListener('METRICS')) : undefined;
    if (demo) {
      const { fixtures } = demo;
      printDemoBanner({
        url,
        databaseUri: uri,
        token: demoToken,
        teamId: fixtures.teams.acmeMain.toHexString(),
        sessionId: fixtures.sessions.teamCrew.toHexString(),
        startupMs: Date.now() - startedAt,
      });
    }

    // Last word of start-up, after the banner: whoever waits for this line finds everything printed.
    logger.info({ url, metricsUrl: metricsListener?.url, database: database.db.databaseName, embedded: Boolean(embedded), startupMs: Date.now() - startedAt }, 'session gateway listening');

    // SIGTERM / SIGINT: /readyz says 503 for SHUTDOWN_READY_DELAY_MS, then stop accepting, finish the
    // requests in flight and close the WebSocket connections normally, and close the GraphQL server, the metrics listener, the driver and the
    // embedded database; exit 0, or 1 past SHUTDOWN_TIMEOUT_MS (src/server/shutdown.ts).
    const graceful = createGracefulShutdown({
      server,
      timeoutMs: config.shutdownTimeoutMs,
      logger,
      readiness: { markNotReady: gateway.markNotReady, delayMs: config.shutdownReadyDelayMs },
      longLived: [{ name: 'subscriptions', close: () => gateway.subscriptions.close() }],
      resources: [
        { name: 'graphql', close: () => gateway.stop() },
        ...(metricsListener ? [{ name: 'metrics listener', close: () => closeServer(metricsListener.server) }] : []),
        { name: 'database driver', close: () => database.close() },
        ...(embedded ? [{ name: 'embedded database', close: () => embedded!.stop() }] : []),
      ],
    });
    exitOnTerminationSignals(graceful, { timeoutMs: config.shutdownReadyDelayMs + config.shutdownTimeoutMs, logger });
  } catch (error) {
    for (const resource of started) await resource.close().catch(() => undefined);
    throw error;
  }
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

main().catch((error: unknown) => {
  console.error(`session gateway failed to start: ${startFailure(error)}`);
  process.exit(1);
});

/** A listener's failure to start, marked with the prefix of the settings that place it (`METRICS_`, or none). */
function onListener(prefix: string): (error: unknown) => never {
  return (error) => {
    throw Object.assign(error as object, { settingsPrefix: prefix && prefix + '_' });
  };
}

/** One line: what failed, in words an operator acts on. */
function startFailure(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const prefix = (error as { settingsPrefix?: string })?.settingsPrefix ?? '';
  if (code === 'EADDRINUSE') return `the address is already in use (${(error as { address?: string; port?: number }).address}:${(error as { port?: number }).port}); set ${prefix}PORT or free it`;
  if (code === 'EACCES') return `not allowed to listen there (${(error as Error).message}); choose another ${prefix}PORT or ${prefix}HOST`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${prefix}HOST does not name this machine ("${(error as { hostname?: string }).hostname}" does not resolve)`;
  if (code === 'EADDRNOTAVAIL') return `${prefix}HOST is not an address of this machine (${(error as { address?: string }).address})`;
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}
