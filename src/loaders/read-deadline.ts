/**
 * The deadline of a unit of work's reads: the time left is passed to MongoDB as `maxTimeMS`, so that
 * the server stops work nobody will wait for, and the reads carry an AbortSignal that fires at the
 * deadline, so that a read waiting on a slow or frozen database (or for a connection) is abandoned then
 * (the driver's `signal` option). No read starts once the time has run out. Either way the work fails
 * with SERVICE_UNAVAILABLE (src/errors/classify.ts).
 */
import { setMaxListeners } from 'node:events';
import { deadlineExceeded } from '../errors/classify';

export interface ReadTiming {
  maxTimeMS?: number;
  signal?: AbortSignal;
}

/** The timing options of each read before `deadline` (epoch ms); none without a deadline. */
export function readDeadline(deadline: number | undefined): () => ReadTiming {
  let signal: AbortSignal | undefined; // made at the first read, shared by all of them
  return () => {
    if (deadline === undefined) return {};
    const left = deadline - Date.now();
    if (left <= 0) throw deadlineExceeded();
    if (!signal) {
      signal = AbortSignal.timeout(left);
      // every read of the work listens to it while it runs: a dozen at once is normal, and the
      // subscribes of a connection set up together share one context (hundreds), not a leak
      setMaxListeners(1000, signal);
    }
    return { maxTimeMS: left, signal };
  };
}
