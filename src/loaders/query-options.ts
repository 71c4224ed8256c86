/**
 * What every database read of a request carries and counts: the time left of the request's budget,
 * passed to MongoDB as `maxTimeMS` so that the server stops work nobody will wait for, and the count
 * of reads (every read of a request goes through its loaders, so this is its database commands).
 */
export interface RequestReads {
  /** Epoch ms after which the request's reads are abandoned. */
  deadline?: number;
  /** Reads issued so far. */
  count: number;
}

/** Called once per read: counts it and returns its options. */
export type QueryOptions = () => { maxTimeMS?: number };

export function readOptions(reads: RequestReads): QueryOptions {
  return () => {
    reads.count += 1;
    return reads.deadline === undefined ? {} : { maxTimeMS: Math.max(1, reads.deadline - Date.now()) };
  };
}
