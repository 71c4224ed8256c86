/**
 * What one request carries: its id, its own loaders, the caller, the access policy and the session
 * graphs gathered so far. Both surfaces build it with `createRequestContext`, so both authenticate and
 * decide access the same way.
 */
import DataLoader from 'dataloader';
import type { Db } from 'mongodb';
import { authenticate, type Viewer } from '../auth/identity';
import type { SessionDoc } from '../db/documents';
import { loadSessionGraphs, type SessionGraph } from '../graph/session-graph';
import { createLoaders, type BatchObserver, type Loaders, type RequestReads } from '../loaders';
import { AccessPolicy } from '../policy/access-policy';

export interface RequestContext {
  requestId: string;
  /** The request's database reads so far, and its deadline. */
  reads: RequestReads;
  loaders: Loaders;
  viewer: Viewer | null;
  policy: AccessPolicy;
  /** The same policy for a caller without credentials (the public share route). */
  anonymousPolicy: AccessPolicy;
  /** Session graphs, gathered together for all the sessions of a request, once each. */
  sessionGraphs: DataLoader<SessionDoc, SessionGraph, string>;
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
}

export async function createRequestContext(
  deps: ContextDependencies,
  request: { requestId: string; authorization: string | undefined },
): Promise<RequestContext> {
  const reads: RequestReads = { count: 0, deadline: deps.requestTimeoutMs ? Date.now() + deps.requestTimeoutMs : undefined, onBatch: deps.onBatch };
  const loaders = createLoaders(deps.db, reads);
  const viewer = await authenticate(request.authorization, deps.jwtSecret, loaders);
  return {
    requestId: request.requestId,
    reads,
    loaders,
    viewer,
    policy: new AccessPolicy(loaders, viewer),
    anonymousPolicy: new AccessPolicy(loaders, null),
    sessionGraphs: new DataLoader<SessionDoc, SessionGraph, string>(
      (sessions) => loadSessionGraphs(loaders, sessions),
      { cacheKeyFn: (session) => session._id.toHexString() },
    ),
  };
}
