/**
 * Quotas per caller (docs/operating.md, "Quotas"): at most RATE_LIMIT_REQUESTS requests and
 * RATE_LIMIT_COST of query cost per RATE_LIMIT_WINDOW_S, per account, API key or (anonymous) client
 * address. Past either, RATE_LIMITED: 429 with Retry-After until the window ends.
 */
import { verifyCredentials, type Credentials, type TokenRules } from '../auth/identity';
import { ErrorCode, GatewayError } from '../errors/codes';
import type { QuotaStore } from './quota-store';
import { asObjectId } from '../data-model/object-id';

const normalId = (claim: string) => asObjectId(claim)?.toHexString() ?? claim;

export interface QuotaSettings {
  /** RATE_LIMIT_REQUESTS; unset: no bound on requests. */
  requests?: number;
  /** RATE_LIMIT_COST; unset: no bound on cost. */
  cost?: number;
  /** RATE_LIMIT_WINDOW_S (60). */
  windowS: number;
}

/** A refusal that says when to come back: the window's end. */
export class RateLimitedError extends GatewayError {
  constructor(message: string, readonly retryAfterS: number) {
    super(ErrorCode.RATE_LIMITED, message);
  }

  withHttp(requestId?: string) {
    const error = super.withHttp(requestId);
    (error.extensions.http as { headers: Map<string, string> }).headers.set('retry-after', String(this.retryAfterS));
    return error;
  }
}

export type QuotaLimit = 'requests' | 'cost';

export class Quotas {
  constructor(
    readonly settings: QuotaSettings,
    private readonly store: QuotaStore,
    /** Told of each refusal, by the limit it passed (the metric). */
    private readonly onRefused: (limit: QuotaLimit) => void = () => undefined,
  ) {}

  /**
   * Who a request counts for: the API key or the account of a valid token, else the client's address
   * (anonymous, or a token that authentication will refuse).
   */
  static callerOf(authorization: string | undefined, jwtSecret: string, rules: TokenRules | undefined, address: string | undefined): string {
    let credentials: Credentials | null = null;
    try {
      credentials = verifyCredentials(authorization, jwtSecret, rules);
    } catch {
      // counted by its address; authentication answers it
    }
    return Quotas.callerOfCredentials(credentials, address);
  }

  /** The same, from credentials already checked (a WebSocket handshake checks them anyway). */
  static callerOfCredentials(credentials: Credentials | null, address: string | undefined): string {
    const claims = credentials?.claims;
    // by the id as authentication reads it (any case of its hex), so that one key or account has one quota
    if (typeof claims?.keyId === 'string') return `key:${normalId(claims.keyId)}`;
    if (typeof claims?.accountId === 'string') return `account:${normalId(claims.accountId)}`;
    return `address:${address ?? 'unknown'}`;
  }

  /**
   * Counts `requests` and `cost` for the caller; the refusal when either is past its quota now. The
   * cost of a refused operation is not counted: it does not run.
   */
  async take(caller: string, requests: number, cost: number): Promise<RateLimitedError | null> {
    const { requests: maxRequests, cost: maxCost, windowS } = this.settings;
    const counts = await this.store.add(caller, requests, cost, windowS * 1000, { requests: maxRequests, cost: maxCost });
    const limit: QuotaLimit | null = counts.passed;
    if (!limit) return null;
    this.onRefused(limit);
    const retryAfterS = Math.max(1, Math.ceil(counts.resetInMs / 1000));
    const quota = limit === 'requests' ? `${maxRequests} requests (RATE_LIMIT_REQUESTS)` : `a query cost of ${maxCost} (RATE_LIMIT_COST)`;
    return new RateLimitedError(`Rate limited: more than ${quota} in ${windowS} s; retry in ${retryAfterS} s`, retryAfterS);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
