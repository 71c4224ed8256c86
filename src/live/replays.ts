/**
 * The replays of resuming `messageAdded` subscriptions: page by page under the consumer's pace, the
 * pages of all resuming subscriptions read together (a reconnect storm is a few reads), then each
 * handed over to the ticks with nothing missed and nothing sent twice.
 */
import { ObjectId } from 'mongodb';
import { DEFAULT_REQUEST_BUDGETS } from '../config/request-budgets';
import type { ContextFactory, RequestContext } from '../context/request-context';
import type { MessageDoc, SessionDoc } from '../data-model/documents';
import { isCompleted } from '../data-model/message-text';
import { hexOf } from '../data-model/object-id';
import { toGatewayError } from '../errors/classify';
import { ErrorCode } from '../errors/codes';
import { GatheredBatches } from '../loaders/gathered-batches';
import { replayKeyId, replayPagesWithin, type ReplayKey, type ReplayPage } from '../loaders/session-messages';
import type { LiveObserver, LiveOptions } from './live-options';
import { isNews, messageSeen, type MessageSubscription, type Watch } from './watch';

export class Replays {
  /** Replay pages of all resuming subscriptions, batched into few reads. */
  private readonly pages: GatheredBatches<ReplayKey, ReplayPage>;
  /** Replay pages being read, by where they start: the subscriptions resuming from the same place wait for one read. */
  private readonly reads = new Map<string, Promise<ReplayPage>>();

  constructor(
    private readonly contexts: ContextFactory,
    private readonly options: LiveOptions,
    private readonly observer: LiveObserver,
    /** Where the next tick's read of new messages starts (its look-back), as an `_id` hex. */
    private readonly lookBack: () => string,
    /** The tick under way, until it ends (it never rejects); undefined between ticks. */
    private readonly tickUnderWay: () => Promise<void> | undefined,
  ) {
    // each batch is one budget: at most MAX_DOCUMENTS_PER_REQUEST documents, so as many pages as fit with the rounds' reads
    const pagesPerBatch = replayPagesWithin(contexts.deps.maxDocuments ?? DEFAULT_REQUEST_BUDGETS.maxDocuments, options.replayPageSize);
    // not kept: a page is shared only while it is read (`reads`), then read afresh; the subscribes of a
    // reconnecting fleet arrive over a few milliseconds: their pages are read together
    this.pages = new GatheredBatches((keys) => this.contexts.loaders().messages.replay(keys), { windowMs: 5, maxBatchSize: pagesPerBatch });
  }

  /**
   * The replay of a resuming subscription, page by page as its consumer takes them, oldest first: the
   * messages after `after`, those at or before it that are not completed or fall in the resume window
   * (one range of the session from the subscription's `since`, read together); then the hand-over.
   * `after` (an `_id` hex): only the part of that range above it, what a subscription that fell behind
   * catches up on; what it holds already is not sent again.
   */
  async run(subscription: MessageSubscription, watch: Watch, session: SessionDoc, ctx: RequestContext, after?: string): Promise<void> {
    // a page fits under the bound of waiting events, and in one read's document budget
    const first = Math.max(1, Math.min(this.options.replayPageSize, Math.floor(this.options.maxQueuedEvents / 2), (this.contexts.deps.maxDocuments ?? Infinity) - 1));
    const send = (doc: MessageDoc) => {
      const key = hexOf(doc._id);
      const seen = messageSeen(doc);
      if (subscription.sent.get(key) === seen) return; // held already (a catch-up's range starts below what it holds)
      // followed from now on when it may still change, so that the ticks read it again; what a tick may
      // read again (or the watch still holds, for the hand-over) is remembered as sent, what no tick
      // will read is not (a long replay holds nothing)
      const completed = isCompleted(doc);
      if (!completed && !watch.known.has(key)) watch.known.set(key, { doc, seen });
      if (!completed || key >= this.lookBack() || watch.known.has(key)) subscription.sent.set(key, seen);
      subscription.stream.push({ payload: doc, context: ctx });
    };
    try {
      const since = ObjectId.createFromHexString(subscription.since);
      let from: ObjectId | undefined = after === undefined ? undefined : ObjectId.createFromHexString(after);
      subscription.cursor = after ?? subscription.since;
      for (;;) {
        // a page is pushed when it fits under the bound of waiting events
        await subscription.stream.room(this.options.maxQueuedEvents - first);
        if (subscription.stream.done) return;
        const page = await this.page({ session, since, from, first });
        if (subscription.stream.done) return;
        for (const doc of page.messages) send(doc);
        from = page.cursor;
        subscription.cursor = hexOf(from);
        if (!page.more) break;
      }
    } catch (error) {
      // a subscriber gone meanwhile (its connection closed, the engine stopped) asks for nothing more
      if (subscription.stream.done) return;
      const failure = toGatewayError(error);
      if (failure.code === ErrorCode.SERVICE_UNAVAILABLE) {
        // an outage or a deadline: the client reconnects and resumes, and the replay is read again
        this.observer.replayFailed?.(error);
        subscription.caller.retryLater();
        subscription.stream.complete();
      } else {
        // anything else would fail again on every resume: the subscription fails with it (a defect is logged in full)
        subscription.stream.fail(error);
      }
      return;
    }
    await handOver(subscription, watch, ctx, this.options.maxQueuedEvents, this.tickUnderWay);
  }

  /** A page of a replay; the subscriptions of a session that resume from the same place share its read. */
  private page(key: ReplayKey): Promise<ReplayPage> {
    const id = replayKeyId(key);
    let page = this.reads.get(id);
    if (!page) {
      page = this.pages.load(key).finally(() => this.reads.delete(id));
      this.reads.set(id, page);
    }
    return page;
  }
}

/** Above every `_id`: while a replay hands over, all it lacks of the session is still its to send. */
const PAST_EVERY_ID = 'f'.repeat(24);

/**
 * The replay is over: what the ticks read meanwhile is sent where the subscriber lacks it (messages
 * the replay did not reach, and final versions), in `_id` order, as the subscriber makes room for it;
 * once the rest fits, the next ticks go on from there. A version that is not final is left to the next
 * tick, which reads it again, fresher than both.
 */
async function handOver(subscription: MessageSubscription, watch: Watch, ctx: RequestContext, maxQueued: number, tickUnderWay: () => Promise<void> | undefined): Promise<void> {
  // the watch keeps what the subscriber lacks while it waits for room (./watch.ts)
  subscription.cursor = PAST_EVERY_ID;
  for (;;) {
    // A tick under way may have read before the replay's last page: handed over now, it would send
    // the subscriber its older versions. It leaves a replaying subscription alone, so the hand-over
    // waits for its end (and takes what it read), and the next tick reads after the hand-over.
    for (let tick = tickUnderWay(); tick; tick = tickUnderWay()) await tick;
    if (subscription.stream.done) return;
    const due = [...watch.known.keys()].sort().filter((key) => lacks(subscription, key, watch.known.get(key)!));
    const room = maxQueued - subscription.stream.queued;
    const now = due.length <= room ? due : due.slice(0, room);
    if (now === due) {
      subscription.replaying = false;
      subscription.cursor = undefined;
    }
    for (const key of now) {
      const known = watch.known.get(key)!;
      subscription.sent.set(key, known.seen);
      subscription.stream.push({ payload: known.doc, context: ctx });
    }
    if (now === due) return;
    await subscription.stream.room(Math.ceil(maxQueued / 2));
    if (subscription.stream.done) return;
  }
}

/** News to the subscriber that it lacks: a message it has not been sent, or the final version of one it has. */
function lacks(subscription: MessageSubscription, key: string, known: { doc: MessageDoc; seen: string }): boolean {
  return isNews(subscription, key, known.seen) && (!subscription.sent.has(key) || isCompleted(known.doc));
}
