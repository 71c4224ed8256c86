/**
 * `npm start`: serves MONGODB_URI, or, when it is unset, an embedded throwaway MongoDB-compatible
 * server filled with demo data, and prints how to call it.
 */
import 'reflect-metadata';
import { loadConfig } from './config';
import { connectDatabase } from './db/connect';
import { startEmbeddedMongo, type EmbeddedMongo } from './db/embedded';
import { createLogger } from './observability/logger';
import { generateDemoData } from './seed/generate';
import { loadDemoData } from './seed/load';
import { signLoginToken } from './auth/tokens';
import { createGatewayApp } from './server/app';
import { listen } from './server/listen';
import { createGracefulShutdown, exitOnTerminationSignals } from './server/shutdown';
import { printDemoBanner } from './server/demo-banner';
import { demoIdeOptions } from './ide';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);

  let embedded: EmbeddedMongo | undefined;
  let uri = config.mongodbUri;
  if (!uri) {
    embedded = await startEmbeddedMongo();
    uri = embedded.uri;
  }
  const database = await connectDatabase(uri, {
    serverSelectionTimeoutMS: config.dbServerSelectionTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    logger,
  });
  const demo = embedded ? generateDemoData() : undefined;
  if (demo) await loadDemoData(database.db, demo);
  // The demo's token and session: printed in the banner and already filled in in the IDE.
  const demoToken = demo ? signLoginToken(demo.fixtures.accounts.owner, config.jwtSecret) : '';
  const ide = demo ? demoIdeOptions({ token: demoToken, sessionId: demo.fixtures.sessions.teamCrew.toHexString() }) : undefined;

  const gateway = await createGatewayApp({ db: database.db, jwtSecret: config.jwtSecret, logger, introspection: config.introspection, federation: config.federation, ide, limits: config.limits, requestTimeoutMs: config.requestTimeoutMs, metricsEnabled: config.metricsEnabled, hstsMaxAge: config.hstsMaxAge });
  const { server, url } = await listen(gateway.app, config.port, config.host, { keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs });
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
  logger.info({ url, database: database.db.databaseName, embedded: Boolean(embedded), startupMs: Date.now() - startedAt }, 'session gateway listening');

  // SIGTERM / SIGINT: stop accepting, finish the requests in flight, then close the GraphQL server, the
  // driver and the embedded database; exit 0, or 1 past SHUTDOWN_TIMEOUT_MS (src/server/shutdown.ts).
  const graceful = createGracefulShutdown({
    server,
    timeoutMs: config.shutdownTimeoutMs,
    logger,
    resources: [
      { name: 'graphql', close: () => gateway.stop() },
      { name: 'database driver', close: () => database.close() },
      ...(embedded ? [{ name: 'embedded database', close: () => embedded!.stop() }] : []),
    ],
  });
  exitOnTerminationSignals(graceful, { timeoutMs: config.shutdownTimeoutMs, logger });
}

main().catch((error: unknown) => {
  console.error(`session gateway failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
