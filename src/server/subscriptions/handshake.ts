/**
 * A WebSocket connection's handshake: its token, from `connectionParams` (`{"Authorization": "Bearer …"}`),
 * checked as a request's header is (none is anonymous, an invalid one closes the connection with 4403),
 * its quota taken, and its account (or API key) read.
 */
import { CloseCode } from 'graphql-ws';
import type { WebSocket } from 'ws';
import { verifyCredentials, viewerOf, type Credentials } from '../../auth/identity';
import type { ContextFactory } from '../../context/request-context';
import { toGatewayError } from '../../errors/classify';
import { ErrorCode, unauthenticated } from '../../errors/codes';
import { nextTurn } from '../../loaders/fair-turns';
import type { LiveCaller } from '../../live/live-options';
import type { Logger } from '../../observability/logger';
import type { RefusalLog } from '../../observability/refusal-log';
import { Quotas } from '../../quotas/quotas';
import type { ClientAddress } from '../client-address';
import type { ConnectionContext, SubscriptionPlaces } from './connections';

export interface HandshakeOptions {
  contexts: ContextFactory;
  places: SubscriptionPlaces;
  /** The address an anonymous caller's quota is counted by. */
  addressOf: ClientAddress;
  quotas?: Quotas;
  refusals: RefusalLog;
  logger: Logger;
  /** The caller the live engine knows the connection by. */
  liveCaller(socket: WebSocket, credentials: Credentials | null): LiveCaller;
}

/** The close code of a connection the database could not serve now: WebSocket's "try again later". */
export const TRY_AGAIN_LATER = 1013;

/** The reason sent with 4403: what is wrong, without saying which account or key it concerns. */
const INVALID_CREDENTIALS_REASON = 'Invalid, expired or unknown credentials';

/** graphql-ws's `onConnect`: true once the connection is accepted; a refused one is closed here, with its reason. */
export function connectionHandshake(options: HandshakeOptions): (ctx: ConnectionContext) => Promise<boolean> {
  const { contexts, refusals, logger } = options;
  return async (ctx) => {
    const socket = ctx.extra.socket;
    // each in a turn of its own: a reconnecting fleet's handshakes arrive together, each with a read
    await nextTurn();
    try {
      // checked after its quota is taken, as a request's token is: an invalid one counts for its address
      let authorization: string | undefined;
      let credentials: Credentials | null = null;
      let invalid: unknown;
      try {
        authorization = authorizationOf(ctx.connectionParams);
        credentials = verifyCredentials(authorization, contexts.deps.jwtSecret, contexts.deps.tokenRules);
      } catch (error) {
        invalid = error;
      }
      const caller = Quotas.callerOfCredentials(credentials, options.addressOf(ctx.extra.request));
      if (options.quotas) {
        // a handshake counts as a request, before its read: a caller past its quota opens no connection
        const limited = await options.quotas.take(caller, 1, 0);
        if (limited) {
          refusals.note(`connection: ${ErrorCode.RATE_LIMITED}`);
          // graphql-ws clients do not retry 4429 on their own: the reason says when to
          socket.close(CloseCode.TooManyInitialisationRequests, limited.message);
          return false;
        }
      }
      if (invalid !== undefined) throw invalid;
      // the account (and API key) must exist now, as for a request
      if (credentials) await viewerOf(credentials, contexts.loaders());
      ctx.extra.authorization = authorization;
      ctx.extra.quotaCaller = caller;
      options.places.open(ctx.extra);
      ctx.extra.caller = options.liveCaller(socket, credentials);
      return true;
    } catch (error) {
      const safe = toGatewayError(error);
      if (safe.code === ErrorCode.UNAUTHENTICATED) {
        // closed here, for the reason; graphql-ws's own close (4403 "Forbidden") then finds it closing
        socket.close(CloseCode.Forbidden, INVALID_CREDENTIALS_REASON);
        return false;
      }
      if (safe.code === ErrorCode.INTERNAL_SERVER_ERROR) {
        logger.error({ err: error }, 'unexpected error while authenticating a WebSocket connection');
        socket.close(CloseCode.InternalServerError, safe.message);
        return false;
      }
      // an outage, which a reconnecting fleet would repeat: logged once per interval; 1013 (try again
      // later), which graphql-ws clients retry, where they give up on 4500
      refusals.note(`connection: ${safe.message}`);
      socket.close(TRY_AGAIN_LATER, safe.message);
      return false;
    }
  };
}

/**
 * `Authorization` from the connection's parameters, as a header would carry it (any case of the key).
 * A header is always text: any other value (an object, a number) is an invalid token, not anonymous.
 */
function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!params) return undefined;
  const key = Object.keys(params).find((name) => name.toLowerCase() === 'authorization');
  const value = key === undefined ? undefined : params[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw unauthenticated('Authorization in connectionParams must be a string ("Bearer <token>")');
  return value;
}
