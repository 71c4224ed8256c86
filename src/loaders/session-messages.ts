/**
 * A session's messages (its conversation, data-model/collections.ts), oldest first (`_id` ascending), filtered by the session's
 * team as well as its id: another team's message that names the session is never one of them.
 *
 * Pages of many sessions are read together: one `find` over all their ids, sorted by session then
 * `_id`, limited to what the pages can hold together (sessions × (first + 1), at most
 * MAX_BATCHED_PAGE_READ). A session whose messages fill the limit goes on alone from its last document
 * read (usable or not, so that each read moves on), and the sessions sorted after it, left without
 * theirs, are read in a next round, and past two rounds each alone, all at once: a request reads one
 * `find` for ordinary conversations, one or two more for a long one among them, and one per session
 * left when many are long.
 */
import { ObjectId, type Db, type Filter } from 'mongodb';
import type { MessageDoc, SessionDoc } from '../data-model/documents';
import { CONVERSATION, isUsableDocument, messagesBySession, sessionOfMessage } from '../data-model/collections';
import { CHANGE_TIME_PATHS, changedSince, isCompleted } from '../data-model/message-text';
import { BatchedLoads, keyedBy } from './batched-loads';
import { wholeBatch } from './query-options';
import type { RequestReader } from './request-reader';
import type { TeamScopedLoader } from './team-scoped-loader';
import { ANY_OBJECT_ID, hexOf, uniqueIds } from '../data-model/object-id';

export interface MessagePageKey {
  session: SessionDoc;
  /** Only messages after this one. */
  after?: ObjectId;
  /** The page size; the page holds up to `first + 1` messages, the last telling whether more follow. */
  first: number;
}

/** One page of a resumed subscription's replay (`messageAdded(after:)`). */
export interface ReplayKey {
  session: SessionDoc;
  /**
   * The start of the resume window before the client's cursor. A replay is every message after it (the
   * newer ones, and those the client may hold in an older version, such as a reply that ended while it
   * was away), every message not completed, and every older one that changed since the window's start
   * (a long reply that ended while the client was away), however old: one range of the session,
   * oldest first.
   */
  since: ObjectId;
  /** Pages after the first: only messages after this one. */
  from?: ObjectId;
  /** Messages per page. */
  first: number;
}

/** What tells replay pages apart: two keys with the same id are the same page. */
export function replayKeyId(key: ReplayKey): string {
  return `${hexOf(key.session._id)}:${hexOf(key.since)}:${key.from ? hexOf(key.from) : ''}:${key.first}`;
}

const SESSION_KEY = CONVERSATION.sessionKey;
/** The order of the conversation index: by session, then oldest first. */
const BY_SESSION_THEN_ID = { [SESSION_KEY]: 1, _id: 1 } as const;

/**
 * Recent messages a live watch starts with at most: a few seconds' worth, well within a subscribe's
 * document budget (past them, older recent ones count as new: sent once more, never lost).
 */
const RECENT_MAX = 100;

/**
 * A batched read of pages: at most this many documents, and at most so many rounds of it, after which
 * each session left is read alone (all at once). Sorted by session, one long conversation fills what a
 * batched read holds: these bound what long conversations cost a request (its documents: about two
 * such reads beyond what its pages hold; its rounds: three), whatever their number and length.
 */
const MAX_BATCHED_PAGE_READ = 1_000;
const BATCHED_PAGE_ROUNDS = 2;

/** How the pages of one kind of key are read: together, or one key alone. */
interface PageReads<K> {
  /** The filter of a batched read of these keys' pages. */
  together(keys: readonly K[]): Filter<MessageDoc>;
  /** The filter of one key's page read alone, from `from` on (from the key's own start when none). */
  alone(key: K, from: ObjectId | undefined): Filter<MessageDoc>;
  /** What of the documents read for a key counts for its page. */
  keep(key: K, docs: MessageDoc[]): MessageDoc[];
}

/** Replay keys read by one `find` at most: each is a clause of its `$or`. */
const MAX_REPLAY_CLAUSES = 100;

/** What a replay key reads of its session: its range, from `from` on (docs of ReplayKey.since). */
function replayClause(key: ReplayKey): Filter<MessageDoc> {
  return {
    teamId: key.session.teamId,
    [SESSION_KEY]: key.session._id,
    _id: key.from ? { $gt: key.from } : ANY_OBJECT_ID,
    $or: [
      { completed: { $ne: true }, 'message.completed': { $ne: true } },
      { _id: { $gt: key.since } },
      ...CHANGE_TIME_PATHS.map((path) => ({ [path]: { $gte: key.since.getTimestamp().getTime() } })),
    ],
  };
}

/** Whether a message read for a batch of replay keys is in this key's range (its clause, in code). */
function inReplay(key: ReplayKey): (doc: MessageDoc) => boolean {
  const from = key.from ? hexOf(key.from) : '';
  const since = hexOf(key.since);
  const sinceMs = key.since.getTimestamp().getTime();
  return (doc) => {
    if (!(doc._id instanceof ObjectId)) return false;
    const id = hexOf(doc._id);
    return id > from && (id > since || !isCompleted(doc) || changedSince(doc, sinceMs));
  };
}

export interface SessionMessages {
  /** Up to `first + 1` messages of the session after `after`, oldest first. */
  page: BatchedLoads<MessagePageKey, MessageDoc[]>;
  /**
   * Every message of the session after `after`, oldest first (the legacy `messages.json`), handed on
   * batch by batch and kept by nobody here.
   */
  each(session: SessionDoc, after: ObjectId | undefined, onBatch: (docs: MessageDoc[]) => void): Promise<void>;
  /**
   * What a live watch of the session's messages starts with: its messages from `since` on (up to
   * RECENT_MAX, newest first), or its newest message when none is that recent; none when it has none.
   */
  recent(session: SessionDoc, since: ObjectId): Promise<MessageDoc[]>;
  /**
   * For the live engine, one read for all the watched sessions: their messages stored after `after`,
   * and the messages `ids` (replies still streaming, whose text may change), oldest first.
   */
  changed(sessions: readonly SessionDoc[], after: ObjectId, ids: readonly ObjectId[]): Promise<MessageDoc[]>;
  /**
   * Pages of resumed subscriptions, oldest first, many keys (sessions, cursors) per `find`: one clause
   * each, sorted by session then `_id` and limited to what the pages hold together; keys the limit cut
   * into are read again in a next round.
   */
  replay(keys: readonly ReplayKey[]): Promise<ReplayPage[]>;
}

/** A page of a replay: its usable messages, whether more follow, and where the next page starts. */
export interface ReplayPage {
  messages: MessageDoc[];
  more: boolean;
  cursor: ObjectId;
}

/** A page's key: its session, where it starts and its size. */
const byPage = keyedBy<MessagePageKey>((key) => `${hexOf(key.session._id)}:${key.after ? hexOf(key.after) : ''}:${key.first}`);

export function createSessionMessages(db: Db, reader: RequestReader, chat: TeamScopedLoader<MessageDoc>): SessionMessages {
  const collection = db.collection<MessageDoc>(CONVERSATION.collection);
  // `prime`: keep them in the request's cache too (pages: fields below may ask again; not a whole conversation)
  const usable = (docs: MessageDoc[], session: SessionDoc, prime = true) => {
    const mine = docs.filter((doc) => isUsableDocument(CONVERSATION.collection, doc) && doc.teamId.equals(session.teamId) && sessionOfMessage(doc)?.equals(session._id));
    if (prime) for (const doc of mine) chat.prime({ teamId: doc.teamId, id: doc._id }, doc);
    return mine;
  };
  const filterOf = (sessions: readonly SessionDoc[], after?: ObjectId): Filter<MessageDoc> => ({
    teamId: { $in: uniqueIds(sessions.map((s) => s.teamId)) },
    [SESSION_KEY]: { $in: sessions.map((s) => s._id) },
    _id: after ? { $gt: after } : ANY_OBJECT_ID,
  });

  async function pages(keys: readonly MessagePageKey[]): Promise<MessageDoc[][]> {
    const results = new Map<MessagePageKey, MessageDoc[]>();
    // one round per group of keys that ask for the same page (the same `after` and `first`)
    const groups = groupBy(keys, (key) => `${key.after ? hexOf(key.after) : ''}:${key.first}`);
    await Promise.all([...groups.values()].map(async (group) => {
      const { after, first } = group[0];
      const read = await readPages(group, first + 1, {
        together: (pending) => filterOf(pending.map((key) => key.session), after),
        alone: (key, from) => filterOf([key.session], from ?? after),
        keep: (key, docs) => usable(docs, key.session),
      });
      for (const [key, page] of read) results.set(key, page);
    }));
    return keys.map((key) => results.get(key) ?? []);
  }

  /**
   * The pages of keys of one kind (`wanted` documents each), read together: one `find` for them all,
   * sorted by session then `_id` and limited to what their pages hold together, at most
   * MAX_BATCHED_PAGE_READ. Sessions sorted after the one the limit cut into have their turn in the next
   * round; the one it cut into goes on alone from its last document read, usable or not, beside the
   * next rounds. After BATCHED_PAGE_ROUNDS rounds each key left is read alone, all at once.
   */
  async function readPages<K extends { session: SessionDoc }>(keys: readonly K[], wanted: number, how: PageReads<K>): Promise<Map<K, MessageDoc[]>> {
    const results = new Map<K, MessageDoc[]>();
    const alone: Array<Promise<void>> = [];
    const readAlone = (key: K, kept: MessageDoc[], from: ObjectId | undefined) =>
      alone.push(handled(readOn((at) => how.alone(key, at), (docs) => how.keep(key, docs), kept, wanted, from).then((page) => void results.set(key, page))));
    let pending = keys;
    for (let round = 0; pending.length > 0; round++) {
      if (round === BATCHED_PAGE_ROUNDS) {
        for (const key of pending) readAlone(key, [], undefined);
        break;
      }
      const limit = Math.min(pending.length * wanted, MAX_BATCHED_PAGE_READ);
      const docs = await reader.find(collection, how.together(pending), { sort: BY_SESSION_THEN_ID, limit, ...wholeBatch(limit) });
      // cut: the sessions after the last one read wait for the next round, and that one (or, when no
      // document read names its session as an ObjectId, each) goes on alone from its last document read
      const cut = docs.length === limit;
      const last = cut ? lastSessionOf(docs) : undefined;
      const bySession = messagesBySession(docs);
      const next: K[] = [];
      for (const key of pending) {
        const hex = hexOf(key.session._id);
        if (last !== undefined && hex > last) {
          next.push(key);
          continue;
        }
        const raw = bySession.get(hex) ?? [];
        const kept = how.keep(key, raw).slice(0, wanted);
        if (cut && (last === undefined || hex === last) && kept.length < wanted) readAlone(key, kept, lastIdOf(raw));
        else results.set(key, kept);
      }
      pending = next;
    }
    await Promise.all(alone);
    return results;
  }

  /**
   * Reads on for one key alone, from `from` (from the start when none), as many as are still wanted
   * each time, until `kept` holds `wanted` or the documents end (`keep` tells what of a read counts).
   */
  async function readOn(filterFrom: (from: ObjectId | undefined) => Filter<MessageDoc>, keep: (docs: MessageDoc[]) => MessageDoc[], kept: MessageDoc[], wanted: number, from: ObjectId | undefined): Promise<MessageDoc[]> {
    do {
      const want = wanted - kept.length;
      const docs = await reader.find(collection, filterFrom(from), { sort: BY_SESSION_THEN_ID, limit: want, ...wholeBatch(want) });
      kept.push(...keep(docs).slice(0, want));
      const next = docs.length === want ? lastIdOf(docs) : undefined;
      from = next && (!from || hexOf(next) > hexOf(from)) ? next : undefined;
    } while (from && kept.length < wanted);
    return kept;
  }

  async function replay(keys: readonly ReplayKey[]): Promise<ReplayPage[]> {
    const results = new Map<string, ReplayPage>();
    const unique = [...new Map(keys.map((key) => [replayKeyId(key), key])).values()];
    const groups = groupBy(unique, (key) => key.first);
    const rounds: ReplayKey[][] = [];
    for (const group of groups.values()) for (let i = 0; i < group.length; i += MAX_REPLAY_CLAUSES) rounds.push(group.slice(i, i + MAX_REPLAY_CLAUSES));
    await Promise.all(rounds.map(async (round) => {
      const inRange = new Map(round.map((key) => [key, inReplay(key)]));
      const read = await readPages(round, round[0].first + 1, {
        together: (pending) => ({ $or: pending.map((key) => replayClause(key)) }) as Filter<MessageDoc>,
        alone: (key, from) => replayClause({ ...key, from: from ?? key.from }),
        keep: (key, docs) => docs.filter(inRange.get(key)!),
      });
      for (const [key, matched] of read) results.set(replayKeyId(key), replayPage(key, matched));
    }));
    return keys.map((key) => results.get(replayKeyId(key))!);
  }

  /** A replay page of a key's messages in range (up to `first + 1`, the last telling whether more follow). */
  const replayPage = (key: ReplayKey, matched: readonly MessageDoc[]): ReplayPage => {
    const page = matched.slice(0, key.first);
    return { messages: usable(page, key.session, false), more: matched.length > key.first, cursor: page.length > 0 ? page[page.length - 1]._id : (key.from ?? key.since) };
  };

  return {
    replay,
    page: new BatchedLoads(pages, byPage),
    each(session, after, onBatch) {
      return reader.each(collection, filterOf([session], after), { sort: { _id: 1 }, batchSize: 1000 }, (docs) => onBatch(usable(docs, session, false)));
    },
    async recent(session, since) {
      // the newest first: a session without recent messages (most) costs one read of one document
      const newest = usable(await reader.find(collection, filterOf([session]), { sort: { _id: -1 }, limit: 1, ...wholeBatch(1) }), session, false);
      if (newest.length === 0 || newest[0]._id.toHexString() < since.toHexString()) return newest;
      const filter = { ...filterOf([session]), _id: { $gte: since } };
      return usable(await reader.find(collection, filter, { sort: { _id: -1 }, limit: RECENT_MAX, ...wholeBatch(RECENT_MAX) }), session, false);
    },
    async changed(sessions, after, ids) {
      if (sessions.length === 0) return [];
      const { _id: _ignored, ...scope } = filterOf(sessions);
      const filter: Filter<MessageDoc> = { ...scope, $or: [{ _id: { $gt: after } }, ...(ids.length > 0 ? [{ _id: { $in: [...ids] } }] : [])] };
      const bySession = new Map(sessions.map((session) => [hexOf(session._id), session]));
      // one reply for what a tick ordinarily finds, so that the tick's commands do not depend on it
      const docs = await reader.find(collection, filter, { sort: { _id: 1 }, batchSize: 5000 });
      return docs.filter((doc) => {
        const sessionId = sessionOfMessage(doc);
        const session = sessionId && bySession.get(hexOf(sessionId));
        return session !== undefined && usable([doc], session, false).length === 1;
      });
    },
  };
}

/** The session of the last of these messages that names one as an ObjectId, as hex: where a limit cut them. */
function lastSessionOf(docs: readonly MessageDoc[]): string | undefined {
  // a message whose session is stored otherwise (a list sorts by its least element) says nothing of where the read stopped
  for (let i = docs.length - 1; i >= 0; i--) {
    const session = sessionOfMessage(docs[i]);
    if (session) return hexOf(session);
  }
  return undefined;
}

/** The `_id` of the last of these documents that has an ObjectId one: where a read that a limit cut goes on from. */
function lastIdOf(docs: readonly MessageDoc[]): ObjectId | undefined {
  for (let i = docs.length - 1; i >= 0; i--) if (docs[i]._id instanceof ObjectId) return docs[i]._id;
  return undefined;
}

/** A read awaited later, after the rounds: one that fails meanwhile is not an unhandled rejection (a later round's failure ends the batch first). */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** The items by key, each group in the items' order (appended in place: a storm's batch has thousands). */
function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/**
 * How many replay pages of `first` messages one batch of replays takes within a budget of
 * `maxDocuments`: their pages, and what the batched rounds may read beyond them (`readPages`).
 */
export function replayPagesWithin(maxDocuments: number, first: number): number {
  const page = first + 1;
  // pages whose batched reads are not cut by MAX_BATCHED_PAGE_READ: each round may read them all again
  const uncut = Math.min(Math.floor(maxDocuments / ((BATCHED_PAGE_ROUNDS + 1) * page)), Math.floor(MAX_BATCHED_PAGE_READ / page));
  // more pages than a batched read holds: the rounds read at most MAX_BATCHED_PAGE_READ each
  const cut = Math.floor((maxDocuments - BATCHED_PAGE_ROUNDS * MAX_BATCHED_PAGE_READ) / page);
  return Math.max(1, uncut, cut * page > MAX_BATCHED_PAGE_READ ? cut : 0);
}
