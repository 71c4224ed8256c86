/** The live engine's settings, what it reports of its ticks and replays, and what it gives and asks of its host. */
import type { Credentials } from '../auth/identity';
import type { RequestContext } from '../context/request-context';

/** Who subscribes: a connection, with the credentials it opened with. */
export interface LiveCaller {
  /** Unique per connection: its subscriptions share one check of the caller per tick. */
  readonly id: string;
  readonly credentials: Credentials | null;
  /** One of its subscriptions has more events waiting than the bound: the connection is too slow. */
  overflow(): void;
  /**
   * A replay could not be read (the database unreachable): the connection is closed for the client to
   * reconnect and resume from the last message it holds, rather than its subscription ending quietly.
   */
  retryLater(): void;
}

/** An event and the context its selection is resolved in (the tick's loaders, the caller as checked then). */
export interface LiveEvent<T> {
  payload: T;
  context: RequestContext;
}

export interface LiveOptions {
  /** LIVE_POLL_INTERVAL_MS (1000). */
  intervalMs: number;
  /** LIVE_MAX_SUBSCRIPTIONS per process (20,000). */
  maxSubscriptions: number;
  /** Events a subscription may have waiting for its consumer before the connection counts as too slow. */
  maxQueuedEvents: number;
  /** The look-back: seconds before the previous tick that a message's id may lag its write (writers' clocks). */
  lateWriteMarginS: number;
  /** Messages a replay reads per page and subscription (at most MAX_DOCUMENTS_PER_REQUEST together; below `maxQueuedEvents`). */
  replayPageSize: number;
  /**
   * LIVE_RESUME_WINDOW_S: a resume also sends again every message written in this many seconds before
   * `after`, completed or not, so that a reply that ended while the client was away arrives final.
   */
  resumeWindowS: number;
  /** Messages not completed that a watched session keeps re-reading each tick, newest first. */
  maxFollowedPerSession: number;
}

export const DEFAULT_LIVE_OPTIONS: LiveOptions = {
  intervalMs: 1000,
  maxSubscriptions: 20_000,
  maxQueuedEvents: 1000,
  lateWriteMarginS: 5,
  replayPageSize: 400,
  resumeWindowS: 300,
  maxFollowedPerSession: 20,
};

interface TickStats {
  durationMs: number;
  /** How much later than planned the tick started (a slow tick before it, or a busy process). */
  delayMs: number;
  /** Database commands of the tick's polls and checks (the events' own reads come after), by collection. */
  queries: Record<string, number>;
  events: number;
  subscriptions: number;
}

export interface LiveObserver {
  tick?(stats: TickStats): void;
  /** A tick that failed (the database unreachable): the subscriptions stay, the next tick tries again. */
  tickFailed?(error: unknown): void;
  /** A replay that failed because the database was unreachable or too slow: its client is asked to reconnect and resume. */
  replayFailed?(error: unknown): void;
}
