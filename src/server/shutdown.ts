/**
 * Graceful shutdown (SIGTERM, SIGINT), bounded in time:
 *
 * 0. for `readyDelayMs` (SHUTDOWN_READY_DELAY_MS), `/readyz` answers 503 while requests are still
 *    served as usual, so that a load balancer takes the instance out before its port closes;
 * 1. stop accepting connections (the listening socket closes: new connections are refused);
 * 2. let the requests in flight finish, and close WebSocket connections normally (1001, going away);
 *    idle keep-alive connections are closed at once, and a
 *    connection that finishes its request is closed as soon as it is idle (its response says
 *    `Connection: close`), once its response's bytes have all left (a server made by ./listen.ts:
 *    ./idle-connections.ts);
 * 3. then close the resources in order (the GraphQL server, the driver, the embedded database).
 *
 * All of it within `timeoutMs` (SHUTDOWN_TIMEOUT_MS): past it, the connections still open are
 * destroyed (their requests get no answer), the resources are still closed (each given a short grace),
 * and the outcome is exit code 1 instead of 0. A second signal while draining forces the same at once.
 */
import type http from 'node:http';
import type { Logger } from '../observability/logger';
import { closeConnectionsAfterAnswers } from './idle-connections';
import { SHUTDOWN_BACKSTOP_MARGIN_MS } from '../config';

export interface ShutdownResource {
  name: string;
  close(): Promise<unknown>;
}

export interface GracefulShutdownOptions {
  server: http.Server;
  /** The whole shutdown's bound; past it, connections are force-closed and the exit code is 1. */
  timeoutMs: number;
  logger: Logger;
  /** Closed in this order once no request is in flight. */
  resources?: ShutdownResource[];
  /**
   * Connections that do not end on their own (WebSocket subscriptions): closed normally as step 1
   * starts, and waited for like the requests in flight.
   */
  longLived?: ShutdownResource[];
  /** Step 0: told first, then the listener stays open this long (not counted in `timeoutMs`). */
  readiness?: { markNotReady(): void; delayMs: number };
}

export interface ShutdownResult {
  /** The process exit code: 0 when everything finished within the bound, 1 otherwise. */
  code: 0 | 1;
  /** True when connections had to be destroyed or a resource did not close in time. */
  forced: boolean;
  durationMs: number;
}

export interface GracefulShutdown {
  /** Starts the shutdown (once; later calls while it runs force it, and return the same outcome). */
  shutdown(reason: string): Promise<ShutdownResult>;
  readonly started: boolean;
}

/** How often idle connections are closed while draining (a connection becomes idle when its response is sent). */
const IDLE_SWEEP_MS = 50;
/** Time each resource still gets once the bound has passed (so that the embedded database is stopped even then). */
const FORCED_CLOSE_GRACE_MS = 1000;

export function createGracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const { server, logger } = options;
  let running: Promise<ShutdownResult> | undefined;
  let forceNow: (() => void) | undefined;

  const run = async (reason: string): Promise<ShutdownResult> => {
    const startedAt = Date.now();
    const forcedSignal = new Promise<'forced'>((resolve) => (forceNow = () => resolve('forced')));
    if (options.readiness) {
      options.readiness.markNotReady();
      logger.info({ reason, delayMs: options.readiness.delayMs }, 'shutting down: /readyz says 503, requests are still served');
      await within(options.readiness.delayMs, forcedSignal); // a second signal cuts it short
    }
    const deadline = Date.now() + options.timeoutMs;
    let forced = false;
    logger.info({ reason, timeoutMs: options.timeoutMs }, 'shutting down: no new connections, finishing requests in flight');

    // Responses sent from now on close their connection (a keep-alive client would otherwise send its
    // next request on a connection that is about to go away).
    const closeAfterResponse = (_req: http.IncomingMessage, res: http.ServerResponse) => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    };
    server.prependListener('request', closeAfterResponse);
    closeConnectionsAfterAnswers(server); // and those in progress

    const serverClosed = new Promise<void>((resolve) => {
      // Node >= 19 also closes idle connections here; the callback runs when no connection is left.
      server.close(() => resolve());
    });
    const longLivedClosed = (options.longLived ?? []).map((connections) =>
      connections.close().catch((error: unknown) => logger.error({ err: error, resource: connections.name }, 'failed to close')),
    );
    const drained = Promise.all([serverClosed, ...longLivedClosed]).then(() => undefined);
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);

    try {
      const outcome = await within(deadline - Date.now(), Promise.race([drained.then(() => 'drained' as const), forcedSignal]));
      if (outcome !== 'drained') {
        forced = true;
        logger.warn({ reason: outcome === 'forced' ? 'second signal' : `still busy after ${options.timeoutMs} ms` }, 'closing the connections still open');
        server.closeAllConnections();
        await within(FORCED_CLOSE_GRACE_MS, drained);
      }
    } finally {
      clearInterval(sweep);
    }

    for (const resource of options.resources ?? []) {
      const allowed = Math.max(deadline - Date.now(), forced ? FORCED_CLOSE_GRACE_MS : 0);
      try {
        const result = await within(Math.max(allowed, 1), resource.close().then(() => 'closed' as const));
        if (result === 'timeout') {
          forced = true;
          logger.warn({ resource: resource.name }, 'did not close in time');
        }
      } catch (error) {
        forced = true;
        logger.error({ err: error, resource: resource.name }, 'failed to close');
      }
    }

    const durationMs = Date.now() - startedAt;
    const code = forced ? 1 : 0;
    logger.info({ durationMs, exitCode: code }, forced ? 'shut down, forced' : 'shut down');
    return { code, forced, durationMs };
  };

  return {
    shutdown(reason) {
      if (running) {
        logger.warn({ reason }, 'shutdown already under way: forcing it');
        forceNow?.();
        return running;
      }
      running = run(reason);
      return running;
    },
    get started() {
      return running !== undefined;
    },
  };
}

/**
 * Runs the shutdown on SIGTERM and SIGINT, then exits with its code. A backstop exits 1 if the
 * shutdown itself gets stuck well past its bound.
 */
export function exitOnTerminationSignals(
  graceful: GracefulShutdown,
  options: { timeoutMs: number; logger: Logger; exit?: (code: number) => void },
): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const onSignal = (signal: NodeJS.Signals) => {
    if (graceful.started) {
      void graceful.shutdown(signal); // a second signal: force it
      return;
    }
    setTimeout(() => {
      options.logger.error({ signal }, 'shutdown stuck past its bound; exiting');
      exit(1);
    }, options.timeoutMs + SHUTDOWN_BACKSTOP_MARGIN_MS).unref();
    void graceful.shutdown(signal).then(
      (result) => exit(result.code),
      (error: unknown) => {
        options.logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** `promise`'s value, or 'timeout' when it takes longer than `ms`. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, ms))));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
