/**
 * What the live engine holds: per watched session a watch, with its subscriptions and the messages
 * recent ticks read of it; per subscription what it was sent. And how a tick's messages update them.
 */
import { ObjectId } from 'mongodb';
import type { MessageDoc, SessionDoc } from '../data-model/documents';
import { isCompleted, isStreaming, seenText } from '../data-model/message-text';
import { hexOf } from '../data-model/object-id';
import type { LiveCaller, LiveEvent } from './live-options';
import type { LiveStream } from './live-stream';

interface SubscriptionBase {
  caller: LiveCaller;
  /** The tick during which it was added: that tick leaves it to the next (it was checked at subscribe). */
  addedAt: number;
}

export interface SessionSubscription extends SubscriptionBase {
  kind: 'session';
  stream: LiveStream<LiveEvent<SessionDoc>>;
  /** The watch's version of the session it was sent last. */
  version: number;
  /** What it was sent, when that is not a version the watch had (it read the session itself at subscribe). */
  sentJson?: string;
}

export interface MessageSubscription extends SubscriptionBase {
  kind: 'messages';
  stream: LiveStream<LiveEvent<MessageDoc>>;
  /**
   * The `_id` hex from which it takes every message: the look-back when it started, or, resuming, its
   * replay's start. A message from there on that it holds no version of is news to it, whatever its
   * `_id` (writers' ids are not in the order of their writes); one below it was there before it.
   */
  since: string;
  /** The version it was sent of each message the engine still reads (`_id` hex → what a reader sees). */
  sent: Map<string, string>;
  /** Being replayed: ticks leave it alone until the replay hands it over. */
  replaying: boolean;
  /** While replaying, the `_id` hex its replay has read up to: what is above is still to be read by it. */
  cursor?: string;
}

export type Subscription = SessionSubscription | MessageSubscription;

export interface KnownMessage {
  doc: MessageDoc;
  /** What a reader sees of it, as the engine last read it. */
  seen: string;
}

/** Everything watched of one session. */
export interface Watch {
  id: ObjectId;
  key: string;
  subscriptions: Set<Subscription>;
  messageSubscriptions: number;
  /** The session's stored document as last read (its JSON), and a number that changes with it. */
  json: string | undefined;
  version: number;
  /** Messages read by recent ticks, or followed until completed: to tell new and changed ones from repeats. */
  known: Map<string, KnownMessage>;
  /**
   * Followed messages a tick did not find in the session (deleted, moved, unreadable for a moment), and
   * since when (epoch ms): still asked for, so that one that comes back is followed again, but sent to no
   * one meanwhile; forgotten after a while (`forgetOldMessages`).
   */
  gone: Map<string, { known: KnownMessage; since: number }>;
  /** A tick has read its messages: `known` holds every message since the look-back, and those followed. */
  ticked: boolean;
}

export function newWatch(id: ObjectId, key: string): Watch {
  return { id, key, subscriptions: new Set(), messageSubscriptions: 0, json: undefined, version: 0, known: new Map(), gone: new Map(), ticked: false };
}

export const sessionJson = (doc: SessionDoc) => JSON.stringify(doc);

/** What a subscriber holds of a message: whether it is complete, and its text. */
export const messageSeen = (doc: MessageDoc) => `${isCompleted(doc) ? 'c' : isStreaming(doc) ? 's' : 'w'}:${seenText(doc) ?? ''}`;

/** The first `_id` a read of new messages made at `at` looks at: the late-write margin before it (writers' clocks). */
export function lookBackFrom(at: number, lateWriteMarginS: number): ObjectId {
  return ObjectId.createFromTime(Math.max(0, Math.floor(at / 1000) - lateWriteMarginS));
}

/** Where a resume's replay starts: the resume window before `after`, and never after the look-back now. */
export function replayFrom(after: ObjectId, resumeWindowS: number, lookBackNow: string): string {
  const window = ObjectId.createFromTime(Math.max(0, Math.floor(after.getTimestamp().getTime() / 1000) - resumeWindowS)).toHexString();
  return window < lookBackNow ? window : lookBackNow;
}

/** Whether a message a subscription is shown (as `seen`) is news to it: a version it lacks, and not older than it. */
export function isNews(subscription: MessageSubscription, key: string, seen: string): boolean {
  const held = subscription.sent.get(key);
  return held !== seen && (held !== undefined || key >= subscription.since);
}

/** The messages a tick read of one watch, remembered; returns them with what a reader sees of each. */
export function absorb(watch: Watch, docs: readonly MessageDoc[]): Array<{ key: string; doc: MessageDoc; seen: string }> {
  return docs.map((doc) => {
    const key = hexOf(doc._id);
    const seen = messageSeen(doc);
    watch.known.set(key, { doc, seen });
    watch.gone.delete(key);
    return { key, doc, seen };
  });
}

/**
 * Followed messages a tick asked for and did not find in the session: moved to `gone`, so that no
 * hand-over or resume sends them as its news. `asked` holds the entries as they were when the tick
 * asked; one a replay replaced meanwhile stays.
 */
export function noteGone(watch: Watch, asked: ReadonlyArray<readonly [string, KnownMessage]>, found: ReadonlyArray<{ key: string }>, now: number): void {
  if (asked.length === 0) return;
  const there = new Set(found.map((message) => message.key));
  for (const [key, known] of asked) {
    if (there.has(key) || watch.known.get(key) !== known) continue;
    watch.known.delete(key);
    watch.gone.set(key, { known, since: now });
  }
}

/**
 * Messages older than the next tick's read (`horizon`) and completed cannot come back: forgotten, by
 * the watch and its subscribers. Of those not completed, the newest `maxFollowed` stay followed. A
 * message that a subscription being replayed lacks in this version, and that its replay will not read
 * (a reply it holds that ended meanwhile, one whose `_id` lags below the replay's cursor), is kept until
 * the replay hands over: the hand-over sends what the ticks read meanwhile, and a forgotten message
 * would reach it by no other way. What a replaying subscription was sent stays remembered until then.
 * Messages gone since before `goneBefore` (epoch ms) are forgotten, and the newest `maxFollowed` of
 * the others stay asked for; what subscribers were sent of them is remembered while they are.
 */
export function forgetOldMessages(watch: Watch, horizon: string, maxFollowed: number, goneBefore: number): void {
  const forgotten: string[] = [];
  const followed: string[] = [];
  const replaying: MessageSubscription[] = [];
  for (const subscription of watch.subscriptions) if (subscription.kind === 'messages' && subscription.replaying) replaying.push(subscription);
  const awaited = (key: string, known: KnownMessage) =>
    replaying.some((subscription) => isNews(subscription, key, known.seen) && (subscription.sent.has(key) || key <= (subscription.cursor ?? subscription.since)));
  for (const [key, known] of watch.known) {
    if (key >= horizon || (replaying.length > 0 && awaited(key, known))) continue;
    if (isCompleted(known.doc)) forgotten.push(key);
    else followed.push(key);
  }
  if (followed.length > maxFollowed) forgotten.push(...followed.sort().slice(0, followed.length - maxFollowed));
  for (const key of forgotten) watch.known.delete(key);
  if (watch.gone.size > 0) {
    const recent = [...watch.gone].filter(([, gone]) => gone.since >= goneBefore).map(([key]) => key).sort();
    const kept = new Set(maxFollowed > 0 ? recent.slice(-maxFollowed) : []);
    for (const key of [...watch.gone.keys()]) {
      if (kept.has(key)) continue;
      watch.gone.delete(key);
      forgotten.push(key);
    }
  }
  for (const subscription of watch.subscriptions) {
    // a replay's hand-over compares what it sent with what the ticks read: kept until then
    if (subscription.kind !== 'messages' || subscription.replaying) continue;
    for (const key of forgotten) subscription.sent.delete(key);
    // what a replay sent that no tick read, and that is past the look-back now
    if (subscription.sent.size > watch.known.size) for (const key of subscription.sent.keys()) if (key < horizon && !watch.known.has(key) && !watch.gone.has(key)) subscription.sent.delete(key);
  }
}
