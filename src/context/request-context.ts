/**
 * What one unit of work carries (a request, a subscribe, a live event): its id, its reads under a
 * deadline and a document budget, its own loaders, the caller, the access policy and the session
 * graph loader. Every surface gets it from one ContextFactory, so all of them authenticate, decide
 * access and bound their reads the same way.
 */
import type { Db } from 'mongodb';
import { authenticate, type TokenRules, type Viewer } from '../auth/identity';
import { createLoaders, type BatchObserver, type Loaders, type RequestReads } from '../loaders';
import type { ReadTrace } from '../loaders/request-reads';
import type { RequestTrace } from '../observability/tracing';
import { createSessionGraphLoader, type SessionGraphLoader } from '../loaders/session-graph-loader';
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
  /** What the request reads below its sessions, batched across them. */
  sessionGraph: SessionGraphLoader;
  /** Who the request counts for in the quotas (RATE_LIMIT_*), when they are on. */
  quotaCaller?: string;
  /** The request's trace, when tracing is on: its reads and its operation are spans below it. */
  trace?: RequestTrace;
}

export interface ContextDependencies {
  db: Db;
  jwtSecret: string;
  /** Time budget of one unit of work in ms (REQUEST_TIMEOUT_MS), carried to MongoDB as maxTimeMS. */
  requestTimeoutMs: number;
  /** Told of each loader batch (the batch-size metric). */
  onBatch?: BatchObserver;
  /** Told of each database command the reads issue (the command-count metric). */
  onCommand?: RequestReads['onCommand'];
  /** Most documents one unit of work may read (MAX_DOCUMENTS_PER_REQUEST); unset: no bound. */
  maxDocuments?: number;
  /** JWT_MAX_AGE_S and the other rules tokens are checked by beyond their signature. */
  tokenRules?: TokenRules;
  /** The spans of a traced request's reads. */
  traceReads?: (trace: RequestTrace) => ReadTrace;
  /** Most relations from its session a document reached by id (`node`, `_entities`) is looked for: GRAPHQL_MAX_DEPTH, as far as fields reach. */
  maxGraphLevels?: number;
}

export interface ReadsOptions {
  /** When the work started: its deadline runs from here (now by default). */
  startedAt?: number;
  /** Its document budget: MAX_DOCUMENTS_PER_REQUEST by default; `unbounded` for work bounded otherwise. */
  maxDocuments?: number | 'unbounded';
  /** Count its reads by collection too. */
  byCollection?: boolean;
  /** The request's trace: each read a span below it. */
  trace?: RequestTrace;
}

/**
 * The time kept, within the request's budget, for answering once its reads are given up: an answer
 * leaves within REQUEST_TIMEOUT_MS of the request's arrival, not just after it.
 */
export function answerAllowanceMs(requestTimeoutMs: number): number {
  return Math.min(50, Math.floor(requestTimeoutMs / 10));
}

export class ContextFactory {
  constructor(readonly deps: ContextDependencies) {}

  /** The reads of one unit of work: its deadline, its budget, and the metrics' observers. */
  reads(options: ReadsOptions = {}): RequestReads {
    const { startedAt = Date.now(), maxDocuments = this.deps.maxDocuments } = options;
    return {
      count: 0,
      byCollection: options.byCollection ? {} : undefined,
      deadline: startedAt + this.deps.requestTimeoutMs - answerAllowanceMs(this.deps.requestTimeoutMs),
      onBatch: this.deps.onBatch,
      onCommand: this.deps.onCommand,
      maxDocuments: maxDocuments === 'unbounded' ? undefined : maxDocuments,
      trace: options.trace && this.deps.traceReads?.(options.trace),
    };
  }

  /** Loaders over `reads` (a fresh unit of work's by default). */
  loaders(reads: RequestReads = this.reads()): Loaders {
    return createLoaders(this.deps.db, reads);
  }

  /** A request's context: its caller authenticated from the Authorization it came with. */
  async forRequest(request: { requestId: string; authorization: string | undefined; trace?: RequestTrace; receivedAt?: number }): Promise<RequestContext> {
    const reads = this.reads({ trace: request.trace, startedAt: request.receivedAt });
    const loaders = this.loaders(reads);
    const viewer = await authenticate(request.authorization, this.deps.jwtSecret, loaders, this.deps.tokenRules);
    return this.forCaller({ requestId: request.requestId, reads, loaders, viewer, trace: request.trace });
  }

  /** A caller's access policy over loaders already set up (a live tick's checks of its callers). */
  policy(loaders: Loaders, viewer: Viewer | null): AccessPolicy {
    return new AccessPolicy(loaders, viewer, this.deps.maxGraphLevels);
  }

  /** A context over reads already set up (a live tick's, shared by its events), for a caller already checked. */
  forCaller(scope: { requestId: string; reads: RequestReads; loaders: Loaders; viewer: Viewer | null; trace?: RequestTrace }): RequestContext {
    return {
      requestId: scope.requestId,
      reads: scope.reads,
      loaders: scope.loaders,
      viewer: scope.viewer,
      policy: this.policy(scope.loaders, scope.viewer),
      anonymousPolicy: this.policy(scope.loaders, null),
      sessionGraph: createSessionGraphLoader(scope.loaders),
      trace: scope.trace,
    };
  }
}
