/**
 * What every database read of a request carries and counts: the time left of the request's budget,
 * passed to MongoDB as `maxTimeMS` so that the server stops work nobody will wait for, and the count
 * of reads (every read of a request goes through its loaders, so this is its database commands).
 *
 * The budget also binds the gateway's side: no read starts once it has run out, and the reads carry an
 * AbortSignal that fires at the deadline, so a read waiting on a slow or frozen database (or for a
 * connection) is abandoned then (the driver's `signal` option). Either way the request fails with
 * SERVICE_UNAVAILABLE (src/errors/classify.ts).
 */
import { setMaxListeners } from 'node:events';
import { deadlineExceeded } from '../errors/classify';

export interface RequestReads {
  /** Epoch ms after which the request's reads are abandoned. */
  deadline?: number;
  /** Reads issued so far. */
  count: number;
  /** Told of every DataLoader batch (the metrics' batch-size histogram); loaders stay free of metrics code. */
  onBatch?: BatchObserver;
}

export type BatchObserver = (collection: string, size: number) => void;

/** A DataLoader batch: the collection it reads and how many keys it holds. */
export interface BatchInfo {
  collection: string;
  size: number;
}

/** Called once per read (with the batch, for a DataLoader's): counts it and returns its options. */
export type QueryOptions = (batch?: BatchInfo) => { maxTimeMS?: number; signal?: AbortSignal };

export function readOptions(reads: RequestReads): QueryOptions {
  let signal: AbortSignal | undefined; // made at the request's first read, shared by all of them
  return (batch) => {
    reads.count += 1;
    if (batch) reads.onBatch?.(batch.collection, batch.size);
    if (reads.deadline === undefined) return {};
    const left = reads.deadline - Date.now();
    if (left <= 0) throw deadlineExceeded();
    if (!signal) {
      signal = AbortSignal.timeout(left);
      // every read of the request listens to it while it runs (a dozen at once is normal, not a leak)
      setMaxListeners(100, signal);
    }
    return { maxTimeMS: left, signal };
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
