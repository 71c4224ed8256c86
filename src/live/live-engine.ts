/**
 * The live engine: one per process, for all its subscriptions, by multiplexed polling.
 *
 * Every `intervalMs` one tick reads, for all subscriptions together:
 * - the watched sessions: one `find` by `$in` of their ids;
 * - the callers, checked again: one read of `accounts` and, when API keys are among them, one of
 *   `apikeys` (a deleted, rotated or expired key, or an expired token, ends the caller's subscriptions);
 * - the sessions' access, asked of the policy once per caller and session (sharing changed, membership
 *   gone); most answers need no read, and those that do (the admin check, owner mode) are batched;
 * - when messages are watched: one `find` of `chat` over the watched sessions, for the messages stored
 *   since shortly before the previous tick (the look-back, for writers whose ids lag) and the messages
 *   still followed (not completed), whose text may change.
 * So what a tick reads depends on which collections are involved, never on how many subscriptions
 * there are. It compares what it read with what each subscriber holds and pushes only what differs;
 * the events of one tick are resolved together, in contexts that share the tick's event loaders and a
 * document budget of MAX_DOCUMENTS_PER_REQUEST per event.
 *
 * A message subscription holds a floor (`after`, or the newest message when it started) and the
 * version it was sent of each message the engine still reads: it is sent every message above its
 * floor, and any message it holds again when its text or `completed` changes. A subscription that
 * resumes (`after`) is first replayed, oldest first, page by page under the consumer's pace: the
 * messages at or before `after` that are not completed or were written shortly before it (the resume
 * window: a reply may have ended while the client was away), then those after it; ticks leave it alone
 * meanwhile, and when the replay ends it is reconciled with what the ticks read, so that nothing falls
 * between the replay and the live part and nothing is sent twice.
 *
 * Ticks never overlap: the next is planned `intervalMs` after the previous one started, and a tick
 * that runs longer delays the next (reported as the tick's delay).
 */
import DataLoader from 'dataloader';
import { ObjectId } from 'mongodb';
import { viewerOf, type Credentials, type Viewer } from '../auth/identity';
import type { ContextFactory, RequestContext } from '../context/request-context';
import { messagesBySession } from '../data-model/collections';
import type { MessageDoc, SessionDoc } from '../data-model/documents';
import { isCompleted, isStreaming, seenText } from '../data-model/message-text';
import { ErrorCode, GatewayError, subscriptionsOverWebSocketOnly } from '../errors/codes';
import type { Loaders } from '../loaders';
import { nextTurn } from '../loaders/fair-turns';
import { replayKeyId, type ReplayKey, type ReplayPage } from '../loaders/session-messages';
import { AccessPolicy } from '../policy/access-policy';
import { readableSession } from '../policy/readable-sessions';
import { LiveStream } from './live-stream';
import { hexOf } from '../data-model/object-id';
import { DEFAULT_REQUEST_BUDGETS } from '../config/request-budgets';

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

/** What a subscription resolver needs of the engine, carried by the operation's context. */
export interface LiveHandle {
  engine: LiveEngine;
  caller: LiveCaller;
}

/** An operation's context over WebSocket: a request's, with the engine and the connection. */
export interface SubscriptionContext extends RequestContext {
  live: LiveHandle;
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
  /** A replay that failed (the database unreachable, past its budget): its subscription ends with the error. */
  replayFailed?(error: unknown): void;
}

interface SubscriptionBase {
  caller: LiveCaller;
  /** The tick during which it was added: that tick leaves it to the next (it was checked at subscribe). */
  addedAt: number;
}

interface SessionSubscription extends SubscriptionBase {
  kind: 'session';
  stream: LiveStream<LiveEvent<SessionDoc>>;
  /** The watch's version of the session it was sent last. */
  version: number;
  /** What it was sent, when that is not a version the watch had (it read the session itself at subscribe). */
  sentJson?: string;
}

interface MessageSubscription extends SubscriptionBase {
  kind: 'messages';
  stream: LiveStream<LiveEvent<MessageDoc>>;
  /** Every message above it is sent (the client's `after`, or the newest when the subscription started). */
  floor: string;
  /** The version it was sent of each message the engine still reads (`_id` hex → what a reader sees). */
  sent: Map<string, string>;
  /** Being replayed: ticks leave it alone until the replay hands it over. */
  replaying: boolean;
}

type Subscription = SessionSubscription | MessageSubscription;

interface KnownMessage {
  doc: MessageDoc;
  /** What a reader sees of it, as the engine last read it. */
  seen: string;
}

/** Everything watched of one session. */
interface Watch {
  id: ObjectId;
  key: string;
  subscriptions: Set<Subscription>;
  messageSubscriptions: number;
  /** The session's stored document as last read (its JSON), and a number that changes with it. */
  json: string | undefined;
  version: number;
  /** Messages read by recent ticks, or followed until completed: to tell new and changed ones from repeats. */
  known: Map<string, KnownMessage>;
  /** A tick has read its messages: `known` holds every message since the look-back, and those followed. */
  ticked: boolean;
}

/** A caller as checked at a tick: its viewer, or null when its credentials no longer hold. */
interface CheckedCaller {
  viewer: Viewer | null;
  policy: AccessPolicy;
}

const sessionJson = (doc: SessionDoc) => JSON.stringify(doc);
/** What a subscriber holds of a message: whether it is complete, and its text. */
const messageSeen = (doc: MessageDoc) => `${isCompleted(doc) ? 'c' : isStreaming(doc) ? 's' : 'w'}:${seenText(doc) ?? ''}`;
const ZERO_ID = '000000000000000000000000';

export class LiveEngine {
  private readonly watches = new Map<string, Watch>();
  /** The connections that have subscriptions, checked once per tick each. */
  private readonly callers = new Map<string, { caller: LiveCaller; subscriptions: number }>();
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private nextAt = 0;
  /** When the previous tick started: messages are read from shortly before it. */
  private previousTickAt = 0;
  private ticks = 0;
  /** Replay pages of all resuming subscriptions, batched into few reads (a reconnect storm is one). */
  private readonly replayPages: DataLoader<ReplayKey, ReplayPage>;
  /** Replay pages being read, by where they start: the subscriptions resuming from the same place wait for one read. */
  private readonly replayReads = new Map<string, Promise<ReplayPage>>();
  /** A session's newest message being read for the first subscriptions of a watch: one read for all of them. */
  private readonly newestReads = new Map<string, Promise<MessageDoc | null>>();

  constructor(
    private readonly contexts: ContextFactory,
    readonly options: LiveOptions = DEFAULT_LIVE_OPTIONS,
    private readonly observer: LiveObserver = {},
  ) {
    // each batch is one budget: at most MAX_DOCUMENTS_PER_REQUEST documents, so as many pages as fit
    const pagesPerBatch = Math.max(1, Math.floor((contexts.deps.maxDocuments ?? DEFAULT_REQUEST_BUDGETS.maxDocuments) / (options.replayPageSize + 1)));
    this.replayPages = new DataLoader((keys) => this.readReplayPages(keys), {
      // not cached: a page is shared only while it is read (`replayReads`), then read afresh
      cache: false,
      maxBatchSize: pagesPerBatch,
      // the subscribes of a reconnecting fleet arrive over a few milliseconds: read their pages together
      batchScheduleFn: (callback) => setTimeout(callback, 5),
    });
  }

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
    const json = sessionJson(session);
    const current = watch.json === json;
    const subscription: SessionSubscription = {
      kind: 'session', caller, addedAt: this.ticks, stream: this.stream(watch, () => subscription, caller),
      version: current ? watch.version : -1, sentJson: current ? undefined : json,
    };
    this.add(watch, subscription);
    subscription.stream.push({ payload: session, context: ctx });
    return subscription.stream;
  }

  /**
   * `messageAdded(sessionId, after)`: with `after`, the replay (the messages at or before it that are
   * not completed or within the resume window, then every message after it), then live; without,
   * every message stored from now on. Either way a message again whenever what a reader sees of it changes, until it is completed.
   */
  async watchMessages(ctx: RequestContext, caller: LiveCaller, sessionId: ObjectId, after?: ObjectId): Promise<AsyncIterableIterator<LiveEvent<MessageDoc>>> {
    const session = await readableSession(ctx, sessionId);
    if (!session) return this.ended<MessageDoc>();
    const start = after ? { floor: hexOf(after) } : await this.newestMessage(ctx, session);
    const watch = this.admit(session._id);
    const subscription: MessageSubscription = {
      kind: 'messages', caller, addedAt: this.ticks, stream: this.stream(watch, () => subscription, caller),
      floor: start.floor, sent: new Map(), replaying: after !== undefined,
    };
    this.add(watch, subscription);
    if (after) {
      void this.replay(subscription, watch, session, after, ctx);
      return subscription.stream;
    }
    // a reply in progress when the subscription starts: its next versions are sent
    const inProgress = start.inProgress;
    if (inProgress && !watch.known.has(start.floor)) watch.known.set(start.floor, { doc: inProgress, seen: messageSeen(inProgress) });
    for (const [key, known] of watch.known) {
      if (key > subscription.floor) subscription.stream.push({ payload: known.doc, context: ctx }); // read by a tick meanwhile
      if (key > subscription.floor || !isCompleted(known.doc)) subscription.sent.set(key, known.seen);
    }
    return subscription.stream;
  }

  /**
   * Where a subscription without `after` starts: the session's newest message. A watch that a tick has
   * read knows it without a read (its newest known message, or the look-back when none is that recent:
   * every later one is read by the next tick). Otherwise one read, shared by the subscriptions that
   * start the watch together; a reply in progress found there is followed.
   */
  private async newestMessage(ctx: RequestContext, session: SessionDoc): Promise<{ floor: string; inProgress?: MessageDoc }> {
    const key = hexOf(session._id);
    const watch = this.watches.get(key);
    if (watch?.ticked) {
      let floor = this.lookBack();
      for (const known of watch.known.keys()) if (known > floor) floor = known;
      return { floor };
    }
    let read = this.newestReads.get(key);
    if (!read) {
      read = ctx.loaders.messages.newest(session).finally(() => this.newestReads.delete(key));
      this.newestReads.set(key, read);
    }
    const newest = await read;
    if (!newest) return { floor: ZERO_ID };
    return { floor: hexOf(newest._id), inProgress: isCompleted(newest) ? undefined : newest };
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
    const key = hexOf(sessionId);
    let watch = this.watches.get(key);
    if (!watch) {
      watch = { id: sessionId, key, subscriptions: new Set(), messageSubscriptions: 0, json: undefined, version: 0, known: new Map(), ticked: false };
      this.watches.set(key, watch);
    }
    return watch;
  }

  private stream<T>(watch: Watch, subscription: () => Subscription, caller: LiveCaller): LiveStream<LiveEvent<T>> {
    return new LiveStream<LiveEvent<T>>(this.options.maxQueuedEvents, () => this.remove(watch, subscription()), () => caller.overflow());
  }

  private add(watch: Watch, subscription: Subscription): void {
    watch.subscriptions.add(subscription);
    if (subscription.kind === 'messages') watch.messageSubscriptions += 1;
    this.count += 1;
    const caller = this.callers.get(subscription.caller.id);
    if (caller) caller.subscriptions += 1;
    else this.callers.set(subscription.caller.id, { caller: subscription.caller, subscriptions: 1 });
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
    if (subscription.kind === 'messages' && --watch.messageSubscriptions === 0) {
      // no tick reads its messages any more: what it knows goes stale
      watch.ticked = false;
      watch.known.clear();
    }
    this.count -= 1;
    if (watch.subscriptions.size === 0) this.watches.delete(watch.key);
    const caller = this.callers.get(subscription.caller.id);
    if (caller && --caller.subscriptions === 0) this.callers.delete(subscription.caller.id);
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
    const tick = ++this.ticks;
    // a tick reads about one document per watched session, bounded by LIVE_MAX_SUBSCRIPTIONS, not by a request's budget
    const reads = this.contexts.reads({ startedAt, maxDocuments: 'unbounded', byCollection: true });
    const loaders = this.contexts.loaders(reads);
    const watches = [...this.watches.values()];
    const sessions = await loaders.sessions.loadMany(watches.map((watch) => watch.id));
    const callers = await this.checkCallers(loaders);

    // who still may read what: once per caller and session, most answers without a read
    const present: Array<{ watch: Watch; session: SessionDoc; allowed: Map<string, boolean | Promise<boolean>> }> = [];
    const pending: Array<Promise<unknown>> = [];
    const slice = timeSlicer();
    for (const [i, watch] of watches.entries()) {
      await slice();
      const session = sessions[i];
      if (session instanceof Error) throw session;
      if (!session) {
        for (const subscription of watch.subscriptions) subscription.stream.complete(); // deleted
        continue;
      }
      const allowed = new Map<string, boolean | Promise<boolean>>();
      for (const subscription of watch.subscriptions) {
        if (subscription.addedAt === tick) continue;
        const id = subscription.caller.id;
        if (allowed.has(id)) continue;
        const caller = callers.get(id);
        if (!caller) continue; // no longer valid: completed below
        const now = caller.policy.readableNow(session, watch.key);
        if (now !== undefined) allowed.set(id, now);
        else {
          const answer = caller.policy.canReadSession(session);
          allowed.set(id, answer);
          pending.push(answer.then((value) => allowed.set(id, value)));
        }
      }
      present.push({ watch, session, allowed });
    }
    const watchingMessages = present.filter(({ watch }) => watch.messageSubscriptions > 0);
    const [changed] = await Promise.all([this.changedMessages(loaders, watchingMessages), ...pending]);
    for (const { watch } of watchingMessages) watch.ticked = true;
    const queries = { ...reads.byCollection };

    // what differs from what each subscriber holds: pushed together, so that the events' reads are batched
    const events: Array<{ subscription: Subscription; payload: SessionDoc | MessageDoc }> = [];
    const changedBySession = messagesBySession(changed);
    for (const { watch, session, allowed } of present) {
      await slice();
      const json = sessionJson(session);
      if (json !== watch.json) {
        watch.json = json;
        watch.version += 1;
      }
      const messages = this.absorb(watch, changedBySession.get(watch.key) ?? []);
      // (completing one removes it from the set: a Set's iteration allows that)
      for (const subscription of watch.subscriptions) {
        if (subscription.addedAt === tick || subscription.stream.done) continue;
        if (allowed.get(subscription.caller.id) !== true) {
          subscription.stream.complete(); // access lost, or the caller's credentials no longer hold
          continue;
        }
        if (subscription.kind === 'session') {
          if (subscription.version === watch.version) continue;
          subscription.version = watch.version;
          const seen = subscription.sentJson === json;
          subscription.sentJson = undefined;
          if (!seen) events.push({ subscription, payload: session });
        } else if (!subscription.replaying) {
          for (const { key, doc, seen } of messages) {
            if (subscription.sent.get(key) === seen || (key <= subscription.floor && !subscription.sent.has(key))) continue;
            subscription.sent.set(key, seen);
            events.push({ subscription, payload: doc });
          }
        }
      }
    }
    this.publish(events, callers, tick, startedAt);
    this.forgetOldMessages(startedAt);
    this.previousTickAt = startedAt;
    this.observer.tick?.({ durationMs: performance.now() - started, delayMs, queries, events: events.length, subscriptions: this.count });
  }

  /**
   * Each caller checked again, once per tick however many subscriptions it has: its viewer (the account
   * and API key read again) and a policy on the tick's loaders. Missing from the map: no longer valid.
   */
  private async checkCallers(loaders: Loaders): Promise<Map<string, CheckedCaller>> {
    const anonymous: CheckedCaller = { viewer: null, policy: new AccessPolicy(loaders, null) };
    const checked = new Map<string, CheckedCaller>();
    await Promise.all([...this.callers.values()].map(async ({ caller }) => {
      if (!caller.credentials) {
        checked.set(caller.id, anonymous);
        return;
      }
      try {
        const viewer = await viewerOf(caller.credentials, loaders);
        checked.set(caller.id, { viewer, policy: new AccessPolicy(loaders, viewer) });
      } catch (error) {
        // no longer valid: left out; anything else (the database) fails the tick
        if (!(error instanceof GatewayError && error.code === ErrorCode.UNAUTHENTICATED)) throw error;
      }
    }));
    return checked;
  }

  /**
   * The tick's events, each resolved in a context of its caller on the event loaders of this tick
   * (one read per collection for all the events' fields), under a document budget per event.
   */
  private publish(events: ReadonlyArray<{ subscription: Subscription; payload: SessionDoc | MessageDoc }>, callers: Map<string, CheckedCaller>, tick: number, startedAt: number): void {
    if (events.length === 0) return;
    const { maxDocuments } = this.contexts.deps;
    const reads = this.contexts.reads({ startedAt, maxDocuments: maxDocuments === undefined ? undefined : maxDocuments * events.length });
    const loaders = this.contexts.loaders(reads);
    const contexts = new Map<string, RequestContext>();
    for (const { subscription, payload } of events) {
      // every subscription with an event was allowed at this tick, so its caller was checked
      const caller = callers.get(subscription.caller.id)!;
      let context = contexts.get(subscription.caller.id);
      if (!context) contexts.set(subscription.caller.id, (context = this.contexts.forCaller({ requestId: `live-tick-${tick}`, reads, loaders, viewer: caller.viewer })));
      (subscription.stream as LiveStream<LiveEvent<unknown>>).push({ payload, context });
    }
  }

  private async changedMessages(loaders: Loaders, watching: ReadonlyArray<{ watch: Watch; session: SessionDoc }>): Promise<MessageDoc[]> {
    if (watching.length === 0) return [];
    const after = this.lookBackFrom(this.previousTickAt);
    const followed = watching.flatMap(({ watch }) => [...watch.known.values()].filter((known) => !isCompleted(known.doc)).map((known) => known.doc._id));
    return loaders.messages.changed(watching.map(({ session }) => session), after, followed);
  }

  /** The messages a tick read of one watch, remembered; returns them with what a reader sees of each. */
  private absorb(watch: Watch, docs: readonly MessageDoc[]): Array<{ key: string; doc: MessageDoc; seen: string }> {
    return docs.map((doc) => {
      const key = hexOf(doc._id);
      const seen = messageSeen(doc);
      watch.known.set(key, { doc, seen });
      return { key, doc, seen };
    });
  }

  /**
   * Messages older than the next tick's read and completed cannot come back: forgotten, by the watch and
   * its subscribers. Of those not completed, the newest `maxFollowedPerSession` stay followed.
   */
  private forgetOldMessages(tickAt: number): void {
    const horizon = this.lookBackFrom(tickAt).toHexString();
    for (const watch of this.watches.values()) {
      const forgotten: string[] = [];
      const followed: string[] = [];
      for (const [key, known] of watch.known) {
        if (key >= horizon) continue;
        if (isCompleted(known.doc)) forgotten.push(key);
        else followed.push(key);
      }
      if (followed.length > this.options.maxFollowedPerSession) forgotten.push(...followed.sort().slice(0, followed.length - this.options.maxFollowedPerSession));
      for (const key of forgotten) watch.known.delete(key);
      for (const subscription of watch.subscriptions) {
        if (subscription.kind !== 'messages') continue;
        for (const key of forgotten) subscription.sent.delete(key);
        // what a replay sent that no tick read, and that is past the look-back now
        if (subscription.sent.size > watch.known.size) for (const key of subscription.sent.keys()) if (key < horizon && !watch.known.has(key)) subscription.sent.delete(key);
      }
    }
  }

  /**
   * The replay of a resuming subscription, page by page as its consumer takes them, oldest first: the
   * messages after `after`, those at or before it that are not completed or fall in the resume window
   * (one range of the session, read together); then the hand-over.
   */
  private async replay(subscription: MessageSubscription, watch: Watch, session: SessionDoc, after: ObjectId, ctx: RequestContext): Promise<void> {
    // a page fits under the bound of waiting events, and in one read's document budget
    const first = Math.max(1, Math.min(this.options.replayPageSize, Math.floor(this.options.maxQueuedEvents / 2), (this.contexts.deps.maxDocuments ?? Infinity) - 1));
    const send = (doc: MessageDoc) => {
      const key = hexOf(doc._id);
      const seen = messageSeen(doc);
      // followed from now on when it may still change, so that the ticks read it again; what a tick may
      // read again is remembered as sent, what no tick will read is not (a long replay holds nothing)
      const completed = isCompleted(doc);
      if (!completed && !watch.known.has(key)) watch.known.set(key, { doc, seen });
      if (!completed || key >= this.lookBack()) subscription.sent.set(key, seen);
      subscription.stream.push({ payload: doc, context: ctx });
    };
    try {
      const since = ObjectId.createFromTime(Math.max(0, after.getTimestamp().getTime() / 1000 - this.options.resumeWindowS));
      let from: ObjectId | undefined;
      for (;;) {
        // a page is pushed when it fits under the bound of waiting events
        await subscription.stream.room(this.options.maxQueuedEvents - first);
        if (subscription.stream.done) return;
        const page = await this.replayPage({ session, since, from, first });
        if (subscription.stream.done) return;
        for (const doc of page.messages) send(doc);
        from = page.cursor;
        if (!page.more) break;
      }
    } catch (error) {
      this.observer.replayFailed?.(error);
      subscription.caller.retryLater();
      subscription.stream.complete();
      return;
    }
    this.handOver(subscription, watch, ctx);
  }

  /** Where the next tick's read of new messages starts (its look-back), as an `_id` hex. */
  private lookBack(): string {
    return this.lookBackFrom(this.previousTickAt).toHexString();
  }

  /** The first `_id` a read made at `at` looks at: the late-write margin before it (writers' clocks). */
  private lookBackFrom(at: number): ObjectId {
    return ObjectId.createFromTime(Math.max(0, Math.floor(at / 1000) - this.options.lateWriteMarginS));
  }

  /**
   * The replay is over: what the ticks read meanwhile is sent where the subscriber lacks it (messages
   * the replay did not reach, and final versions), in `_id` order; the next ticks go on from there.
   * A version that is not final is left to the next tick, which reads it again, fresher than both.
   */
  private handOver(subscription: MessageSubscription, watch: Watch, ctx: RequestContext): void {
    subscription.replaying = false;
    const keys = [...watch.known.keys()].sort();
    for (const key of keys) {
      const known = watch.known.get(key)!;
      const held = subscription.sent.get(key);
      if (held === known.seen) continue;
      const missing = held === undefined && key > subscription.floor;
      const final = held !== undefined && isCompleted(known.doc);
      if (!missing && !final) continue;
      subscription.sent.set(key, known.seen);
      subscription.stream.push({ payload: known.doc, context: ctx });
    }
  }

  /** A page of a replay; the subscriptions of a session that resume from the same place share its read. */
  private replayPage(key: ReplayKey): Promise<ReplayPage> {
    const id = replayKeyId(key);
    let page = this.replayReads.get(id);
    if (!page) {
      page = this.replayPages.load(key).finally(() => this.replayReads.delete(id));
      this.replayReads.set(id, page);
    }
    return page;
  }

  private async readReplayPages(keys: readonly ReplayKey[]): Promise<ReplayPage[]> {
    return this.contexts.loaders().messages.replay(keys);
  }
}

/**
 * A tick's work on tens of thousands of subscriptions runs in slices of a few milliseconds, each in a
 * turn of the event loop of its own (src/loaders/fair-turns.ts), so that `/healthz` and requests are
 * served in between rather than after the whole tick.
 */
function timeSlicer(sliceMs = 5): () => Promise<void> | undefined {
  let sliceStarted = performance.now();
  return () => {
    if (performance.now() - sliceStarted < sliceMs) return undefined;
    return nextTurn().then(() => {
      sliceStarted = performance.now();
    });
  };
}

/** The engine of an operation's context; subscriptions exist only over WebSocket. */
export function liveOf(ctx: RequestContext): LiveHandle {
  const { live } = ctx as Partial<SubscriptionContext>;
  if (!live) throw subscriptionsOverWebSocketOnly();
  return live;
}
