/**
 * A checked subscribe, in its turn: its context, shared by the connection's subscribes while its caller
 * is read (./connections.ts, SetupContext), then its source stream, whose events run in contexts of
 * their own (./event-results.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import type { ContextFactory, RequestContext } from '../../context/request-context';
import { toGatewayError } from '../../errors/classify';
import type { LiveEngine, SubscriptionContext } from '../../live/live-engine';
import type { EventExecutor } from '../jit/event-executor';
import { subscribeWithEventContexts } from './event-results';
import type { PendingContext } from './subscribe-check';

export type SetUp = (args: ExecutionArgs, pending: PendingContext) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;

export function subscriptionSetUp(contexts: ContextFactory, engine: LiveEngine, executeEvent: EventExecutor): SetUp {
  return async (args, { connection, trace }) => {
    if (!connection.setup) {
      const context = contexts.forRequest({ requestId: `ws-${randomUUID()}`, authorization: connection.authorization, trace });
      const setup = (connection.setup = { context });
      // shared until the caller is read, and by what resumes with that read; then let go (a connection
      // lives for hours, and the context holds every document its subscribes read)
      const release = () => void setImmediate(() => connection.setup === setup && (connection.setup = undefined));
      context.then(release, release);
    }
    let context: RequestContext;
    try {
      context = await connection.setup.context;
    } catch (error) {
      return { errors: [toGatewayError(error)] };
    }
    const operation: SubscriptionContext = { ...context, live: { engine, caller: connection.caller! } };
    return subscribeWithEventContexts({ ...args, contextValue: operation }, executeEvent);
  };
}
