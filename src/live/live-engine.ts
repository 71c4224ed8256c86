/**
 * The live engine (CONTRACT §7): one per process, for all its subscriptions, by multiplexed polling.
 *
 * Every `intervalMs` one tick reads, with one set of loaders for all subscriptions together:
 * - the watched sessions: one `find` by `$in` of their ids;
 * - the callers, checked again: one read of `accounts` and, when API keys are among them, one of
 *   `apikeys` (a deleted, rotated or expired key, or an expired token, ends the caller's subscriptions);
 * - the sessions' access, asked of the policy for each caller as for any request (sharing changed,
 *   membership gone): the reads the policy needs (teams, orgs, apps), batched across callers;
 * - when messages are watched: one `find` of `chat` over the watched sessions, for the messages stored
 *   since shortly before the previous tick (a margin for writers whose clocks or ids lag) and the replies
 *   still streaming, whose text may change.
 * So what a tick reads depends on which collections are involved, never on how many subscriptions
 * there are. It then compares what it read with what each subscriber last received and pushes only
 * what changed; the events of one tick are resolved together, through the tick's loaders (one read
 * per collection for the fields all of them select).
 *
 * Ticks never overlap: the next is planned `intervalMs` after the previous one started, and a tick
 * that runs longer delays the next (reported as the tick's delay).
 */
import { ObjectId } from 'mongodb';
import { viewerOf, type Credentials } from '../auth/identity';
import type { ContextDependencies, RequestContext } from '../context/request-context';
import type { MessageDoc, SessionDoc } from '../data-model/documents';
import { isCompleted, isStreaming, seenText } from '../data-model/message-text';
import { badUserInput, ErrorCode, GatewayError } from '../errors/codes';
import { createLoaders, type Loaders, type RequestReads } from '../loaders';
import { createSessionGraphLoader } from '../loaders/load-plan';
import { AccessPolicy } from '../policy/access-policy';
import { readableSession } from '../policy/readable-sessions';
import { LiveStream } from './live-stream';

/** Who subscribes: a connection, with the credentials it opened with. */
export interface LiveCaller {
  /** Unique per connection: its subscriptions share one check of the caller per tick. */
  readonly id: string;
  readonly credentials: Credentials | null;
  /** One of its subscriptions has more events waiting than the bound: the connection is too slow. */
  overflow(): void;
}

/** An event and the context its selection is resolved in (the tick's loaders, the caller as checked then). */
export interface LiveEvent<T> {
  payload: T;
  context: RequestContext;
}

/** What a subscription resolver needs of the engine, carried by the operation's context. */
export interface LiveHandle {
  engine: LiveEngine;
  caller: LiveCaller;
}

export interface LiveOptions {
  /** LIVE_POLL_INTERVAL_MS (1000). */
  intervalMs: number;
  /** LIVE_MAX_SUBSCRIPTIONS per process (20,000). */
  maxSubscriptions: number;
  /** Events a subscription may have waiting for its consumer before the connection counts as too slow. */
  maxQueuedEvents: number;
  /** Seconds before the previous tick that a message's id may lag its write (clock skew between writers). */
  lateWriteMarginS: number;
}

export const DEFAULT_LIVE_OPTIONS: LiveOptions = {
  intervalMs: 1000,
  maxSubscriptions: 20_000,
  maxQueuedEvents: 1000,
  lateWriteMarginS: 5,
};

export interface TickStats {
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
}

interface SessionSubscription {
  kind: 'session';
  caller: LiveCaller;
  /** The subscribe's context: for events of a tick that started before the subscription. */
  context: RequestContext;
  stream: LiveStream<LiveEvent<SessionDoc>>;
  /** The stored document as last sent (its JSON). */
  lastSent: string;
}

interface MessageSubscription {
  kind: 'messages';
  caller: LiveCaller;
  /** The subscribe's context: for events of a tick that started before the subscription. */
  context: RequestContext;
  stream: LiveStream<LiveEvent<MessageDoc>>;
  /** The session's newest message when the subscription started: every later one is sent. */
  cut: ObjectId | null;
}

type Subscription = SessionSubscription | MessageSubscription;

interface KnownMessage {
  doc: MessageDoc;
  /** What a reader sees of it, as last sent. */
  seen: string;
}

/** Everything watched of one session. */
interface Watch {
  id: ObjectId;
  subscriptions: Set<Subscription>;
  /** Messages read by recent ticks (or still streaming), to tell new and changed ones from repeats. */
  known: Map<string, KnownMessage>;
}

const sessionJson = (doc: SessionDoc) => JSON.stringify(doc);
const messageSeen = (doc: MessageDoc) => `${isStreaming(doc) ? 's' : 'w'}${isCompleted(doc) ? 'c' : '-'}:${seenText(doc) ?? ''}`;

export class LiveEngine {
  private readonly watches = new Map<string, Watch>();
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private nextAt = 0;
  /** When the previous tick started: messages are read from shortly before it. */
  private previousTickAt = 0;
  private ticks = 0;

  constructor(
    private readonly deps: ContextDependencies,
    readonly options: LiveOptions = DEFAULT_LIVE_OPTIONS,
    private readonly observer: LiveObserver = {},
  ) {}

  /** Active subscriptions. */
  get size(): number {
    return this.count;
  }

  /** Why the process takes no further subscription now (shutting down, LIVE_MAX_SUBSCRIPTIONS); null when it does. */
  refusal(): GatewayError | null {
    if (this.stopped) return new GatewayError(ErrorCode.SERVICE_UNAVAILABLE, 'The gateway is shutting down; subscribe again shortly');
    if (this.count >= this.options.maxSubscriptions) {
      return new GatewayError(ErrorCode.SERVICE_UNAVAILABLE, `This gateway serves its most subscriptions (LIVE_MAX_SUBSCRIPTIONS, ${this.options.maxSubscriptions}); retry shortly`);
    }
    return null;
  }

  /** `sessionUpdated(_id)`: the session now, then whenever its stored document changes. */
  async watchSession(ctx: RequestContext, caller: LiveCaller, id: ObjectId): Promise<AsyncIterableIterator<LiveEvent<SessionDoc>>> {
    const session = await readableSession(ctx, id);
    if (!session) return this.ended<SessionDoc>();
    const watch = this.admit(session._id);
    const subscription: SessionSubscription = { kind: 'session', caller, context: ctx, stream: this.stream(watch, () => subscription, caller), lastSent: sessionJson(session) };
    this.add(watch, subscription);
    subscription.stream.push({ payload: session, context: ctx });
    return subscription.stream;
  }

  /** `messageAdded(sessionId)`: every message stored from now on, and again whenever its text changes. */
  async watchMessages(ctx: RequestContext, caller: LiveCaller, sessionId: ObjectId): Promise<AsyncIterableIterator<LiveEvent<MessageDoc>>> {
    const session = await readableSession(ctx, sessionId);
    if (!session) return this.ended<MessageDoc>();
    const newest = await ctx.loaders.messages.newest(session);
    const watch = this.admit(session._id);
    const subscription: MessageSubscription = { kind: 'messages', caller, context: ctx, stream: this.stream(watch, () => subscription, caller), cut: newest?._id ?? null };
    this.add(watch, subscription);
    // a reply still streaming when the subscription starts: its next pieces are sent
    if (newest && isStreaming(newest) && !watch.known.has(newest._id.toHexString())) {
      watch.known.set(newest._id.toHexString(), { doc: newest, seen: messageSeen(newest) });
    }
    // messages a tick read while this subscription was being set up
    for (const known of watch.known.values()) {
      if (isAfter(known.doc._id, subscription.cut)) subscription.stream.push({ payload: known.doc, context: ctx });
    }
    return subscription.stream;
  }

  /** Ends every subscription (they complete) and stops ticking; waits for a tick under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const watch of [...this.watches.values()]) for (const subscription of [...watch.subscriptions]) subscription.stream.complete();
    await this.running;
  }

  private ended<T>(): AsyncIterableIterator<LiveEvent<T>> {
    const stream = new LiveStream<LiveEvent<T>>(0, () => undefined, () => undefined);
    stream.complete();
    return stream;
  }

  private admit(sessionId: ObjectId): Watch {
    const refusal = this.refusal();
    if (refusal) throw refusal;
    const key = sessionId.toHexString();
    let watch = this.watches.get(key);
    if (!watch) this.watches.set(key, (watch = { id: sessionId, subscriptions: new Set(), known: new Map() }));
    return watch;
  }

  private stream<T>(watch: Watch, subscription: () => Subscription, caller: LiveCaller): LiveStream<LiveEvent<T>> {
    return new LiveStream<LiveEvent<T>>(this.options.maxQueuedEvents, () => this.remove(watch, subscription()), () => caller.overflow());
  }

  private add(watch: Watch, subscription: Subscription): void {
    watch.subscriptions.add(subscription);
    this.count += 1;
    if (!this.timer && !this.running) {
      // from idle: the first tick one interval from now, reading messages from one interval before
      const now = Date.now();
      this.previousTickAt = now - this.options.intervalMs;
      this.nextAt = now + this.options.intervalMs;
      this.schedule();
    }
  }

  private remove(watch: Watch, subscription: Subscription): void {
    if (!watch.subscriptions.delete(subscription)) return;
    this.count -= 1;
    if (watch.subscriptions.size === 0) this.watches.delete(watch.id.toHexString());
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.running || this.count === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const startedAt = Date.now();
      const delayMs = Math.max(0, startedAt - this.nextAt);
      this.running = this.tick(startedAt, delayMs)
        .catch((error: unknown) => this.observer.tickFailed?.(error))
        .finally(() => {
          this.running = undefined;
          this.nextAt = startedAt + this.options.intervalMs;
          this.schedule();
        });
    }, Math.max(0, this.nextAt - Date.now()));
  }

  private async tick(startedAt: number, delayMs: number): Promise<void> {
    const started = performance.now();
    this.ticks += 1;
    const reads: RequestReads = { count: 0, byCollection: {}, deadline: this.deps.requestTimeoutMs ? startedAt + this.deps.requestTimeoutMs : undefined, onBatch: this.deps.onBatch, onCommand: this.deps.onCommand };
    const loaders = createLoaders(this.deps.db, reads);
    const watches = [...this.watches.values()];
    // The subscriptions the tick checks; those that start while it reads were checked at their
    // subscribe and are compared from the next tick on (messages new to them are sent at once).
    const checked = new Set(watches.flatMap((watch) => [...watch.subscriptions]));
    const sessions = await loaders.sessions.loadMany(watches.map((watch) => watch.id));
    const contexts = await this.callerContexts(checked, loaders, reads);

    const present: Array<{ watch: Watch; session: SessionDoc }> = [];
    watches.forEach((watch, i) => {
      const session = sessions[i];
      if (session instanceof Error) throw session;
      if (session) present.push({ watch, session });
      else for (const subscription of [...watch.subscriptions]) subscription.stream.complete(); // deleted
    });

    // who still may read what (the same policy as every request)
    const checks: Array<Promise<void>> = [];
    for (const { watch, session } of present) {
      for (const subscription of watch.subscriptions) {
        if (!checked.has(subscription)) continue;
        const ctx = contexts.get(subscription.caller.id);
        if (!ctx) {
          subscription.stream.complete(); // the token expired, the key or the account is gone
          continue;
        }
        checks.push(ctx.policy.canReadSession(session).then((allowed) => {
          if (!allowed) subscription.stream.complete();
        }));
      }
    }
    const watchingMessages = present.filter(({ watch }) => watchesMessages(watch));
    const [changed] = await Promise.all([this.changedMessages(loaders, watchingMessages), ...checks]);
    const queries = { ...reads.byCollection };
    const contextOf = (subscription: Subscription) => (checked.has(subscription) ? contexts.get(subscription.caller.id) : undefined) ?? subscription.context;

    // what changed, for whom: pushed together, so that the events' reads are batched
    const events: Array<() => void> = [];
    for (const { watch, session } of present) {
      const json = sessionJson(session);
      for (const subscription of watch.subscriptions) {
        if (subscription.kind !== 'session' || !checked.has(subscription) || subscription.stream.done || subscription.lastSent === json) continue;
        subscription.lastSent = json;
        const context = contextOf(subscription);
        events.push(() => subscription.stream.push({ payload: session, context }));
      }
    }
    const watchOf = new Map(watchingMessages.map(({ watch }) => [watch.id.toHexString(), watch]));
    for (const doc of changed) {
      const watch = watchOf.get(doc.sessionId!.toHexString())!;
      const key = doc._id.toHexString();
      const before = watch.known.get(key);
      const seen = messageSeen(doc);
      watch.known.set(key, { doc, seen });
      if (before?.seen === seen) continue;
      for (const subscription of watch.subscriptions) {
        // new: for those who started before it; changed: for everyone
        if (subscription.kind !== 'messages' || subscription.stream.done || (!before && !isAfter(doc._id, subscription.cut))) continue;
        const context = contextOf(subscription);
        events.push(() => subscription.stream.push({ payload: doc, context }));
      }
    }
    for (const push of events) push();
    // from now on, the subscribe's own loaders are let go: the tick's are shared by all
    for (const subscription of checked) {
      const context = contexts.get(subscription.caller.id);
      if (context) subscription.context = context;
    }

    this.forgetOldMessages(startedAt);
    this.previousTickAt = startedAt;
    this.observer.tick?.({ durationMs: performance.now() - started, delayMs, queries, events: events.length, subscriptions: this.count });
  }

  /**
   * Each caller checked again, once per tick however many subscriptions it has, and its context for the
   * tick (the tick's loaders, its own policy). Missing from the map: the caller is no longer valid.
   */
  private async callerContexts(subscriptions: ReadonlySet<Subscription>, loaders: Loaders, reads: RequestReads): Promise<Map<string, RequestContext>> {
    const callers = new Map<string, LiveCaller>();
    for (const subscription of subscriptions) callers.set(subscription.caller.id, subscription.caller);
    const sessionGraph = createSessionGraphLoader(loaders);
    const anonymousPolicy = new AccessPolicy(loaders, null);
    const requestId = `live-tick-${this.ticks}`;
    const contexts = new Map<string, RequestContext>();
    await Promise.all([...callers.values()].map(async (caller) => {
      try {
        const viewer = caller.credentials ? await viewerOf(caller.credentials, loaders) : null;
        const policy = viewer ? new AccessPolicy(loaders, viewer) : anonymousPolicy;
        contexts.set(caller.id, { requestId, reads, loaders, viewer, policy, anonymousPolicy, sessionGraph });
      } catch (error) {
        // no longer valid: left out; anything else (the database) fails the tick
        if (!(error instanceof GatewayError && error.code === ErrorCode.UNAUTHENTICATED)) throw error;
      }
    }));
    return contexts;
  }

  private async changedMessages(loaders: Loaders, watching: ReadonlyArray<{ watch: Watch; session: SessionDoc }>): Promise<MessageDoc[]> {
    if (watching.length === 0) return [];
    const after = ObjectId.createFromTime(Math.max(0, Math.floor(this.previousTickAt / 1000) - this.options.lateWriteMarginS));
    const streaming = watching.flatMap(({ watch }) => [...watch.known.values()].filter((known) => isStreaming(known.doc)).map((known) => known.doc._id));
    return loaders.messages.changed(watching.map(({ session }) => session), after, streaming);
  }

  /** Messages older than the next tick's read and no longer streaming cannot come back: forgotten. */
  private forgetOldMessages(tickAt: number): void {
    const horizon = Math.floor(tickAt / 1000) - this.options.lateWriteMarginS;
    for (const watch of this.watches.values()) {
      for (const [key, known] of watch.known) {
        if (known.doc._id.getTimestamp().getTime() / 1000 < horizon && !isStreaming(known.doc)) watch.known.delete(key);
      }
    }
  }
}

function watchesMessages(watch: Watch): boolean {
  for (const subscription of watch.subscriptions) if (subscription.kind === 'messages') return true;
  return false;
}

const isAfter = (id: ObjectId, cut: ObjectId | null) => cut === null || id.toHexString() > cut.toHexString();

/** The engine of an operation's context; subscriptions exist only over WebSocket. */
export function liveOf(ctx: RequestContext): LiveHandle {
  if (!ctx.live) throw badUserInput('Subscriptions are served over WebSocket at /graphql (the graphql-transport-ws protocol)');
  return ctx.live;
}
