/**
 * What every database read of a request carries and counts: the time left of the request's budget,
 * passed to MongoDB as `maxTimeMS` so that the server stops work nobody will wait for, the count of
 * reads (every read of a request goes through its loaders, so this is its database commands), and
 * the count of documents read, bounded by the request's document budget (MAX_DOCUMENTS_PER_REQUEST):
 * past it, the read that crossed it fails, no further read starts, and the request is answered
 * QUERY_TOO_COMPLEX with no partial data (`reads.exceeded` tells the surfaces).
 *
 * The budget also binds the gateway's side: no read starts once it has run out, and the reads carry an
 * AbortSignal that fires at the deadline, so a read waiting on a slow or frozen database (or for a
 * connection) is abandoned then (the driver's `signal` option). Either way the request fails with
 * SERVICE_UNAVAILABLE (src/errors/classify.ts).
 */
import { setMaxListeners } from 'node:events';
import type { Collection, Document, Filter, FindOptions } from 'mongodb';
import { deadlineExceeded } from '../errors/classify';
import { documentBudgetExceeded } from '../errors/budgets';
import { nextTurn } from './fair-turns';
import type { GatewayError } from '../errors/codes';

export interface RequestReads {
  /** Epoch ms after which the request's reads are abandoned. */
  deadline?: number;
  /** Reads issued so far. */
  count: number;
  /** The same, by collection, when asked for (the live engine's per-tick figures). */
  byCollection?: Record<string, number>;
  /** Told of every database command a read issues (`find`, `getMore`): the metrics' command count. */
  onCommand?: (command: 'find' | 'getMore') => void;
  /** Told of every DataLoader batch (the metrics' batch-size histogram); loaders stay free of metrics code. */
  onBatch?: BatchObserver;
  /** Documents received so far. */
  documents?: number;
  /** Most documents the request may read; unset: no bound. */
  maxDocuments?: number;
  /** Set once the request went past a budget: the error it is answered with. */
  exceeded?: GatewayError;
}


export type BatchObserver = (collection: string, size: number) => void;

/** A DataLoader batch: the collection it reads and how many keys it holds. */
export interface BatchInfo {
  collection: string;
  size: number;
}

/** Runs every read of a request: counts it, gives it what is left of the deadline, counts what it returns. */
export interface RequestReader {
  find<T extends Document>(collection: Collection<T>, filter: Filter<T>, options?: FindOptions, batch?: BatchInfo): Promise<T[]>;
  /**
   * Reads the documents batch by batch, handing each batch on and keeping none, so that a long result
   * (a conversation) is never held whole; the budget counts every batch as it arrives.
   */
  each<T extends Document>(collection: Collection<T>, filter: Filter<T>, options: FindOptions, onBatch: (docs: T[]) => void): Promise<void>;
}

export function requestReader(reads: RequestReads): RequestReader {
  let signal: AbortSignal | undefined; // made at the request's first read, shared by all of them
  const deadlineOptions = (): { maxTimeMS?: number; signal?: AbortSignal } => {
    if (reads.deadline === undefined) return {};
    const left = reads.deadline - Date.now();
    if (left <= 0) throw deadlineExceeded();
    if (!signal) {
      signal = AbortSignal.timeout(left);
      // every read of the request listens to it while it runs: a dozen at once is normal, and the
      // subscribes of a connection set up together share one context (hundreds), not a leak
      setMaxListeners(1000, signal);
    }
    return { maxTimeMS: left, signal };
  };
  const received = (count: number) => {
    reads.documents = (reads.documents ?? 0) + count;
    if (reads.maxDocuments !== undefined && reads.documents > reads.maxDocuments) {
      reads.exceeded ??= documentBudgetExceeded(reads.maxDocuments);
      throw reads.exceeded;
    }
  };
  return {
    async each<T extends Document>(collection: Collection<T>, filter: Filter<T>, options: FindOptions, onBatch: (docs: T[]) => void): Promise<void> {
      if (reads.exceeded) throw reads.exceeded;
      const cursor = collection.find(filter, { ...options, ...deadlineOptions() });
      const counted = reads.count;
      try {
        while (await cursor.hasNext()) {
          reads.onCommand?.(reads.count === counted ? 'find' : 'getMore');
          reads.count += 1; // the find, then each getMore
          if (reads.byCollection) reads.byCollection[collection.collectionName] = (reads.byCollection[collection.collectionName] ?? 0) + 1;
          await nextTurn(); // ./fair-turns.ts
          const docs = cursor.readBufferedDocuments() as T[];
          received(docs.length);
          onBatch(docs);
        }
      } finally {
        await cursor.close();
      }
    },
    async find<T extends Document>(collection: Collection<T>, filter: Filter<T>, options?: FindOptions, batch?: BatchInfo): Promise<T[]> {
      if (reads.exceeded) throw reads.exceeded;
      const timing = deadlineOptions();
      reads.count += 1;
      reads.onCommand?.('find');
      if (reads.byCollection) reads.byCollection[collection.collectionName] = (reads.byCollection[collection.collectionName] ?? 0) + 1;
      if (batch) reads.onBatch?.(batch.collection, batch.size);
      const docs = (await collection.find(filter, { ...options, ...timing }).toArray()) as T[];
      await nextTurn(); // ./fair-turns.ts
      received(docs.length);
      return docs;
    },
  };
}

/**
 * A first batch larger than the most documents a find can return (its ids, or its limit), so that the
 * server sends them all in its first reply and closes the cursor: no `getMore` for batches of more than
 * 101 ids, no `killCursors` after a limit, on MongoDB and on stricter servers alike.
 */
export function wholeBatch(most: number): { batchSize: number } {
  return { batchSize: most + 1 };
}
