/**
 * What one request carries: its id, its own loaders, the caller, the access policy and the session
 * graph loader. Every surface builds it with `createRequestContext`, so all of them authenticate and
 * decide access the same way.
 */
import type { Db } from 'mongodb';
import { authenticate, type TokenRules, type Viewer } from '../auth/identity';
import { createLoaders, type BatchObserver, type Loaders, type RequestReads } from '../loaders';
import { createSessionGraphLoader, type SessionGraphLoader } from '../loaders/load-plan';
import { AccessPolicy } from '../policy/access-policy';
import type { LiveHandle } from '../live/live-engine';

export interface RequestContext {
  requestId: string;
  /** The request's database reads so far, and its deadline. */
  reads: RequestReads;
  loaders: Loaders;
  viewer: Viewer | null;
  policy: AccessPolicy;
  /** The same policy for a caller without credentials (the public share route). */
  anonymousPolicy: AccessPolicy;
  /** What the request reads below its sessions, batched across them. */
  sessionGraph: SessionGraphLoader;
  /** Operations over WebSocket: the live engine and the connection they subscribe for. */
  live?: LiveHandle;
}

export interface ContextDependencies {
  db: Db;
  jwtSecret: string;
  /** Server secret the csrf tokens derive from; the JWT secret when unset. */
  csrfSecret?: string;
  /** Time budget of one request in ms, carried to MongoDB as maxTimeMS. */
  requestTimeoutMs?: number;
  /** Told of each DataLoader batch (the batch-size metric). */
  onBatch?: BatchObserver;
  /** Told of each database command the reads issue (the command-count metric). */
  onCommand?: RequestReads['onCommand'];
  /** Most documents one request may read (MAX_DOCUMENTS_PER_REQUEST); unset: no bound. */
  maxDocuments?: number;
  /** JWT_MAX_AGE_S and the other rules tokens are checked by beyond their signature. */
  tokenRules?: TokenRules;
}

export async function createRequestContext(
  deps: ContextDependencies,
  request: { requestId: string; authorization: string | undefined },
): Promise<RequestContext> {
  const reads: RequestReads = {
    count: 0,
    deadline: deps.requestTimeoutMs ? Date.now() + deps.requestTimeoutMs : undefined,
    onBatch: deps.onBatch,
    onCommand: deps.onCommand,
    maxDocuments: deps.maxDocuments,
  };
  const loaders = createLoaders(deps.db, reads);
  const viewer = await authenticate(request.authorization, deps.jwtSecret, loaders, deps.tokenRules);
  return {
    requestId: request.requestId,
    reads,
    loaders,
    viewer,
    policy: new AccessPolicy(loaders, viewer),
    anonymousPolicy: new AccessPolicy(loaders, null),
    sessionGraph: createSessionGraphLoader(loaders),
  };
}

/**
 * A context over reads already set up (the live engine's event loaders, shared by the events of a
 * tick), for a caller already checked.
 */
export function createEventContext(scope: { requestId: string; reads: RequestReads; loaders: Loaders; viewer: Viewer | null }): RequestContext {
  return {
    requestId: scope.requestId,
    reads: scope.reads,
    loaders: scope.loaders,
    viewer: scope.viewer,
    policy: new AccessPolicy(scope.loaders, scope.viewer),
    anonymousPolicy: new AccessPolicy(scope.loaders, null),
    sessionGraph: createSessionGraphLoader(scope.loaders),
  };
}
