/**
 * A subscribe's checks, before anything is read: the caps, the limits, its token's expiry, the quotas.
 * Every subscribe counts as a request, as an HTTP request does whatever its answer; a refused one is
 * logged by its code, once per interval, with a count.
 */
import type { ExecutionArgs, GraphQLError, GraphQLSchema } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { QueryLimits } from '../../config/query-limits';
import { toGatewayError } from '../../errors/classify';
import { badUserInput, ErrorCode, unauthenticated } from '../../errors/codes';
import type { RefusalLog } from '../../observability/refusal-log';
import type { RequestTrace } from '../../observability/tracing';
import type { Quotas } from '../../quotas/quotas';
import { operationChecker } from '../limits/operation-check';
import type { ConnectionContext, ConnectionExtra, SubscriptionPlaces } from './connections';
import type { DocumentRequest, TrustedDocuments } from '../trusted-documents';

export interface SubscribeCheckOptions {
  schema: GraphQLSchema;
  limits: QueryLimits;
  places: SubscriptionPlaces;
  /** LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION. */
  maxPerConnection: number;
  quotas?: Quotas;
  trustedDocuments?: TrustedDocuments;
  refusals: RefusalLog;
}

/** What a checked subscribe carries until its turn comes to make its context. */
export interface PendingContext {
  connection: ConnectionExtra;
  trace?: RequestTrace;
}

/** The execution arguments of an accepted subscribe (its context still to make), or the errors it is refused with. */
export type SubscribeCheck = (ctx: ConnectionContext, id: string, payload: SubscribePayload, trace: RequestTrace | undefined) => Promise<ExecutionArgs | readonly GraphQLError[]>;

export function subscribeChecker(options: SubscribeCheckOptions): SubscribeCheck {
  const { schema, places, maxPerConnection, quotas, trustedDocuments, refusals } = options;
  const check = operationChecker(schema, options.limits);
  return async (ctx, id, payload, trace) => {
    const refuse = async (errors: readonly GraphQLError[], cause?: string): Promise<readonly GraphQLError[]> => {
      const limited = await quotas?.take(ctx.extra.quotaCaller!, 1, 0);
      if (limited) return quotaRefusal(limited);
      for (const error of errors) {
        // SERVICE_UNAVAILABLE is noted by its message on its way out (../graphql-errors.ts)
        const code = String(error.extensions?.code ?? ErrorCode.BAD_USER_INPUT);
        if (code !== ErrorCode.SERVICE_UNAVAILABLE) refusals.note(cause ?? `subscribe: ${code}`);
      }
      return errors;
    };
    const quotaRefusal = (limited: GraphQLError) => {
      refusals.note(`subscribe: ${ErrorCode.RATE_LIMITED}`);
      return [limited];
    };
    // an id completed while its subscription is still set up is held back by the transport until that
    // ends (./ordered-frames.ts); checked here too, so that two subscriptions never share a place's id
    if (ctx.extra.active!.has(id)) return refuse([badUserInput(`The id ${JSON.stringify(id.slice(0, 40))} is still held by a subscription that has not ended; subscribe with another id`)]);
    if (ctx.extra.active!.size >= maxPerConnection) {
      const cap = badUserInput(`At most ${maxPerConnection} subscriptions per connection (LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION); complete one or open another connection`);
      return refuse([cap], cap.message); // a cap, logged as the process-wide one is
    }
    // the place is taken at once: a burst of subscribes, each waiting below, cannot all pass the caps
    if (!places.hold(ctx.extra, id)) {
      const cap = badUserInput(`At most ${places.maxPerCaller} subscriptions per caller (LIVE_MAX_SUBSCRIPTIONS_PER_CALLER); complete one`);
      return refuse([cap], cap.message);
    }
    let accepted = false;
    let reserved = false;
    try {
      const trusted = trustedDocuments?.resolve(payload as DocumentRequest);
      if (trusted !== undefined) (payload as { query: string }).query = trusted;
      const checked = check(payload);
      if (Array.isArray(checked)) return await refuse(checked as GraphQLError[]);
      const { document, operation, query, cost } = checked as Exclude<ReturnType<typeof check>, readonly GraphQLError[]>;
      trace?.span.setAttributes({ 'graphql.operation.cost': cost, ...(operation.name ? { 'graphql.operation.name': operation.name.value } : {}) });
      // graphql-ws keeps the subscribe message while the subscription lives: its text, the shared one
      (payload as { query: string }).query = query;
      if (operation.operation !== 'subscription') return await refuse([badUserInput('Only subscriptions are served over WebSocket; send queries to POST /graphql')]);
      if ((ctx.extra.caller?.credentials?.validUntil ?? Infinity) <= Date.now()) return await refuse([unauthenticated('The token has expired')]);
      const full = places.reserve(ctx.extra);
      if (full) return await refuse([full]);
      reserved = true; // given back by its set-up once accepted
      const limited = await quotas?.take(ctx.extra.quotaCaller!, 1, cost);
      if (limited) return quotaRefusal(limited);
      // the context is made when the subscribe's turn comes (below): its reads wait for that
      const pending: PendingContext = { connection: ctx.extra, trace };
      const args: ExecutionArgs = { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: pending };
      accepted = true;
      return args;
    } catch (error) {
      return await refuse([toGatewayError(error)]);
    } finally {
      if (!accepted) places.letGo(ctx.extra, id);
      if (!accepted && reserved) places.setUpDone(ctx.extra);
    }
  };
}
