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
 * A message subscription holds the `_id` from which it takes every message (`since`: the look-back
 * when it started) and the version it holds of each message the engine still reads; the messages there
 * when it started are held without being sent. It is sent every message from `since` on that it holds
 * no version of, whatever its `_id` (two writers' ids of one second are not in the order of their
 * writes, and a writer's clock may run ahead), and any message again when its text or `completed`
 * changes. A subscription that
 * resumes (`after`) is first replayed, oldest first, page by page under the consumer's pace: the
 * messages at or before `after` that are not completed or were written shortly before it (the resume
 * window: a reply may have ended while the client was away), then those after it; ticks leave it alone
 * meanwhile, and when the replay ends it is reconciled with what the ticks read, between two ticks, so
 * that nothing falls between the replay and the live part, nothing is sent twice, and no tick that read
 * before the replay's last page sends it an older version.
 *
 * Ticks never overlap: the next is planned `intervalMs` after the previous one started, and a tick
 * that runs longer delays the next (reported as the tick's delay).
 */
import { ObjectId } from 'mongodb';
import { viewerOf, type Viewer } from '../auth/identity';
import type { ContextFactory, RequestContext } from '../context/request-context';
import { messagesBySession } from '../data-model/collections';
import type { MessageDoc, SessionDoc } from '../data-model/documents';
import { isCompleted } from '../data-model/message-text';
import { eventsBudgetExceeded } from '../errors/budgets';
import { ErrorCode, GatewayError, subscriptionsOverWebSocketOnly } from '../errors/codes';
import type { Loaders } from '../loaders';
import type { AccessPolicy } from '../policy/access-policy';
import { readableSession } from '../policy/readable-sessions';
import { hexOf } from '../data-model/object-id';
import { DEFAULT_LIVE_OPTIONS, type LiveCaller, type LiveEvent, type LiveObserver, type LiveOptions } from './live-options';
import { LiveStream } from './live-stream';
import { Replays } from './replays';
import { timeSlicer } from './time-slicer';
import {
  absorb, forgetOldMessages, isNews, lookBackFrom, messageSeen, newWatch, noteGone, replayFrom, sessionJson,
  type KnownMessage, type MessageSubscription, type SessionSubscription, type Subscription, type Watch,
} from './watch';

/** What a subscription resolver needs of the engine, carried by the operation's context. */
export interface LiveHandle {
  engine: LiveEngine;
  caller: LiveCaller;
}

/** An operation's context over WebSocket: a request's, with the engine and the connection. */
export interface SubscriptionContext extends RequestContext {
  live: LiveHandle;
}

/** A watched session as read at a tick, with who of its subscribers' callers may read it (a promise until the policy answers). */
interface WatchAtTick {
  watch: Watch;
  session: SessionDoc;
  allowed: Map<string, boolean | Promise<boolean>>;
}

/** The watched sessions' messages a tick read, and the followed ones it asked for, by watch. */
interface ChangedMessages {
  docs: MessageDoc[];
  asked: Map<Watch, Array<[string, KnownMessage]>>;
}

/** An event of a tick, before its context is made. */
interface TickEvent {
  subscription: Subscription;
  payload: SessionDoc | MessageDoc;
}

/** A caller as checked at a tick: its viewer, or null when its credentials no longer hold. */
interface CheckedCaller {
  viewer: Viewer | null;
  policy: AccessPolicy;
}

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
  /** The replays of resuming subscriptions, their pages read together. */
  private readonly replays: Replays;
  /** A session's recent messages being read for the first subscriptions of a watch: one read for all of them. */
  private readonly recentReads = new Map<string, Promise<MessageDoc[]>>();

  constructor(
    private readonly contexts: ContextFactory,
    readonly options: LiveOptions = DEFAULT_LIVE_OPTIONS,
    private readonly observer: LiveObserver = {},
  ) {
    this.replays = new Replays(contexts, options, observer, () => this.lookBack(), () => this.running);
  }

  /** Active subscriptions. */
  get size(): number {
    return this.count;
  }

  /**
   * Why the process takes no further subscription now (shutting down, LIVE_MAX_SUBSCRIPTIONS); null
   * when it does. `settingUp`: subscriptions accepted and not yet here, which count as held.
   */
  refusal(settingUp = 0): GatewayError | null {
    if (this.stopped) return new GatewayError(ErrorCode.SERVICE_UNAVAILABLE, 'The gateway is shutting down; subscribe again shortly');
    if (this.count + settingUp >= this.options.maxSubscriptions) {
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
    // a message written from now on has an `_id` from here on, unless its writer's clock lags past the margin
    const lookBackNow = lookBackFrom(Date.now(), this.options.lateWriteMarginS).toHexString();
    const since = after ? replayFrom(after, this.options.resumeWindowS, lookBackNow) : lookBackNow;
    const present = after ? [] : await this.messagesAtStart(ctx, session, since);
    const watch = this.admit(session._id);
    const subscription: MessageSubscription = {
      kind: 'messages', caller, addedAt: this.ticks, stream: this.stream(watch, () => subscription, caller),
      since, sent: new Map(), replaying: after !== undefined,
    };
    this.add(watch, subscription);
    if (after) {
      void this.replays.run(subscription, watch, session, ctx);
      return subscription.stream;
    }
    // what is there when it starts is held, not sent; a reply in progress is followed, its next versions sent
    for (const doc of present) {
      const key = hexOf(doc._id);
      const seen = watch.known.get(key)?.doc === doc ? watch.known.get(key)!.seen : messageSeen(doc);
      subscription.sent.set(key, seen);
      if (!watch.known.has(key) && !isCompleted(doc)) watch.known.set(key, { doc, seen });
    }
    // written since and read by a tick while the start was read: sent (a newer version of one it holds
    // is left to the next tick, which reads it again: which of the two is newer is not known here)
    for (const [key, known] of watch.known) {
      if (subscription.sent.has(key) || !isNews(subscription, key, known.seen)) continue;
      subscription.sent.set(key, known.seen);
      subscription.stream.push({ payload: known.doc, context: ctx });
    }
    return subscription.stream;
  }

  /**
   * The messages there when a subscription without `after` starts, from `since` on, and the newest
   * (a reply in progress, to follow). A watch that a tick has read knows them without a read (a message
   * written since that tick is sent: it may be new). Otherwise one read, or two when the session has
   * recent messages, shared by the subscriptions that start the watch together.
   */
  private async messagesAtStart(ctx: RequestContext, session: SessionDoc, since: string): Promise<MessageDoc[]> {
    const key = hexOf(session._id);
    const watch = this.watches.get(key);
    if (watch?.ticked) return [...watch.known.values()].map((known) => known.doc);
    let read = this.recentReads.get(key);
    if (!read) {
      read = ctx.loaders.messages.recent(session, ObjectId.createFromHexString(since)).finally(() => this.recentReads.delete(key));
      this.recentReads.set(key, read);
    }
    return read;
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
      watch = newWatch(sessionId, key);
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
      watch.gone.clear();
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
    const slice = timeSlicer();
    const { present, answered } = await this.accessAt(tick, watches, sessions, callers, slice);
    const watchingMessages = present.filter(({ watch }) => watch.messageSubscriptions > 0);
    const [changed] = await Promise.all([this.changedMessages(loaders, watchingMessages), answered]);
    for (const { watch } of watchingMessages) watch.ticked = true;
    const queries = { ...reads.byCollection };
    const events = await this.newsAt(tick, present, changed, callers, slice);
    this.publish(events, callers, tick, startedAt);
    const horizon = lookBackFrom(startedAt, this.options.lateWriteMarginS).toHexString();
    const goneBefore = Date.now() - this.options.resumeWindowS * 1000;
    for (const watch of this.watches.values()) forgetOldMessages(watch, horizon, this.options.maxFollowedPerSession, goneBefore);
    this.previousTickAt = startedAt;
    this.observer.tick?.({ durationMs: performance.now() - started, delayMs, queries, events: events.length, subscriptions: this.count });
  }

  /**
   * Who still may read what: asked of the policy once per caller and session, most answers without a
   * read. A deleted session's subscriptions are revoked here. `answered`: once every answer is in.
   */
  private async accessAt(tick: number, watches: readonly Watch[], sessions: ReadonlyArray<SessionDoc | null | Error>, callers: Map<string, CheckedCaller>, slice: () => Promise<void> | undefined): Promise<{ present: WatchAtTick[]; answered: Promise<unknown> }> {
    const present: WatchAtTick[] = [];
    const pending: Array<Promise<void>> = [];
    let failure: { error: unknown } | undefined;
    for (const [i, watch] of watches.entries()) {
      await slice();
      const session = sessions[i];
      if (session instanceof Error) throw session;
      if (!session) {
        for (const subscription of watch.subscriptions) subscription.stream.revoke(); // deleted: nothing of it is sent any more
        continue;
      }
      const allowed = new Map<string, boolean | Promise<boolean>>();
      for (const subscription of watch.subscriptions) {
        if (subscription.addedAt === tick) continue;
        const id = subscription.caller.id;
        if (allowed.has(id)) continue;
        const caller = callers.get(id);
        if (!caller) continue; // no longer valid: revoked with the news
        const now = caller.policy.readableNow(session, watch.key);
        if (now !== undefined) allowed.set(id, now);
        else {
          const answer = caller.policy.canReadSession(session);
          allowed.set(id, answer);
          // handled at once: the pass may yield to the event loop before the answer is awaited, and a
          // rejection no one handles by the end of its turn stops the process
          pending.push(answer.then((value) => void allowed.set(id, value), (error: unknown) => void (failure ??= { error })));
        }
      }
      present.push({ watch, session, allowed });
    }
    const answered = Promise.all(pending).then(() => {
      if (failure) throw failure.error; // a read the policy could not make fails the tick
    });
    return { present, answered };
  }

  /**
   * What differs from what each subscriber holds, as events to push together (so that their reads are
   * batched); a subscriber that may no longer read its session is revoked, one whose news would not fit
   * in what it may have waiting is caught up page by page instead.
   */
  private async newsAt(tick: number, present: readonly WatchAtTick[], changed: ChangedMessages, callers: Map<string, CheckedCaller>, slice: () => Promise<void> | undefined): Promise<TickEvent[]> {
    const events: TickEvent[] = [];
    const changedBySession = messagesBySession(changed.docs);
    for (const { watch, session, allowed } of present) {
      await slice();
      const json = sessionJson(session);
      if (json !== watch.json) {
        watch.json = json;
        watch.version += 1;
      }
      const messages = absorb(watch, changedBySession.get(watch.key) ?? []);
      noteGone(watch, changed.asked.get(watch) ?? [], messages, Date.now());
      // (completing one removes it from the set: a Set's iteration allows that)
      for (const subscription of watch.subscriptions) {
        if (subscription.addedAt === tick || subscription.stream.done) continue;
        if (allowed.get(subscription.caller.id) !== true) {
          subscription.stream.revoke(); // access lost, or the caller's credentials no longer hold: nothing more is sent, queued or not
          continue;
        }
        if (subscription.kind === 'session') {
          if (subscription.version === watch.version) continue;
          subscription.version = watch.version;
          const seen = subscription.sentJson === json;
          subscription.sentJson = undefined;
          if (!seen) events.push({ subscription, payload: session });
        } else if (!subscription.replaying) {
          // more than its consumer may have waiting (a burst): caught up page by page instead, as a resume is
          if (messages.length > this.options.maxQueuedEvents - subscription.stream.queued && this.catchUp(subscription, watch, session, messages, callers, tick)) continue;
          for (const { key, doc, seen } of messages) {
            if (!isNews(subscription, key, seen)) continue;
            subscription.sent.set(key, seen);
            events.push({ subscription, payload: doc });
          }
        }
      }
    }
    return events;
  }

  /**
   * Each caller checked again, once per tick however many subscriptions it has: its viewer (the account
   * and API key read again) and a policy on the tick's loaders. Missing from the map: no longer valid.
   */
  private async checkCallers(loaders: Loaders): Promise<Map<string, CheckedCaller>> {
    const anonymous: CheckedCaller = { viewer: null, policy: this.contexts.policy(loaders, null) };
    const checked = new Map<string, CheckedCaller>();
    await Promise.all([...this.callers.values()].map(async ({ caller }) => {
      if (!caller.credentials) {
        checked.set(caller.id, anonymous);
        return;
      }
      try {
        const viewer = await viewerOf(caller.credentials, loaders);
        checked.set(caller.id, { viewer, policy: this.contexts.policy(loaders, viewer) });
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
  private publish(events: readonly TickEvent[], callers: Map<string, CheckedCaller>, tick: number, startedAt: number): void {
    if (events.length === 0) return;
    const { maxDocuments } = this.contexts.deps;
    // read together, one batched read per collection for all of them: a budget of one per event, shared
    const reads = this.contexts.reads({ startedAt, maxDocuments: maxDocuments === undefined ? undefined : maxDocuments * events.length });
    if (maxDocuments !== undefined) reads.overBudget = eventsBudgetExceeded(maxDocuments);
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

  /**
   * A subscription whose news this tick would not fit in what its consumer may have waiting: replayed
   * from just below the first of them, page by page at the consumer's pace, then handed back to the
   * ticks; new versions of messages older than the look-back that it holds come with the hand-over, not
   * the replay. False when the news fit after all (most of the tick's messages were held already), or
   * are only such versions (a few: the replies it follows).
   */
  private catchUp(subscription: MessageSubscription, watch: Watch, session: SessionDoc, messages: ReadonlyArray<{ key: string; seen: string }>, callers: Map<string, CheckedCaller>, tick: number): boolean {
    let news = 0;
    let first: string | undefined;
    // held versions older than the look-back may have been forgotten: a replay from below them would
    // send again what the subscriber holds (those come with the hand-over instead)
    const lookBack = this.lookBack();
    for (const { key, seen } of messages) {
      if (!isNews(subscription, key, seen)) continue;
      news += 1;
      if ((!subscription.sent.has(key) || key >= lookBack) && (first === undefined || key < first)) first = key;
    }
    if (first === undefined || news <= this.options.maxQueuedEvents - subscription.stream.queued) return false;
    subscription.replaying = true;
    const reads = this.contexts.reads();
    const ctx = this.contexts.forCaller({ requestId: `live-tick-${tick}`, reads, loaders: this.contexts.loaders(reads), viewer: callers.get(subscription.caller.id)!.viewer });
    void this.replays.run(subscription, watch, session, ctx, idBefore(first));
    return true;
  }

  /** What the watched sessions' messages are now: those new since the look-back, and the followed ones (asked for by watch). */
  private async changedMessages(loaders: Loaders, watching: ReadonlyArray<{ watch: Watch; session: SessionDoc }>): Promise<ChangedMessages> {
    const asked = new Map<Watch, Array<[string, KnownMessage]>>();
    if (watching.length === 0) return { docs: [], asked };
    const after = lookBackFrom(this.previousTickAt, this.options.lateWriteMarginS);
    const followed: ObjectId[] = [];
    for (const { watch } of watching) {
      const entries = [...watch.known].filter(([, known]) => !isCompleted(known.doc));
      asked.set(watch, entries);
      for (const [, known] of entries) followed.push(known.doc._id);
      for (const { known } of watch.gone.values()) followed.push(known.doc._id); // one that comes back is followed again
    }
    return { docs: await loaders.messages.changed(watching.map(({ session }) => session), after, followed), asked };
  }

  /** Where the next tick's read of new messages starts (its look-back), as an `_id` hex. */
  private lookBack(): string {
    return lookBackFrom(this.previousTickAt, this.options.lateWriteMarginS).toHexString();
  }
}

/** The `_id` hex just below `key` (a replay's exclusive start that takes `key` in). */
function idBefore(key: string): string | undefined {
  const value = BigInt(`0x${key}`);
  return value === 0n ? undefined : (value - 1n).toString(16).padStart(24, '0');
}

/** The engine of an operation's context; subscriptions exist only over WebSocket. */
export function liveOf(ctx: RequestContext): LiveHandle {
  const { live } = ctx as Partial<SubscriptionContext>;
  if (!live) throw subscriptionsOverWebSocketOnly();
  return live;
}
