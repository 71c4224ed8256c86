/**
 * The deadline of a unit of work's reads: the time left is passed to MongoDB as `maxTimeMS`, so that
 * the server stops work nobody will wait for, and a read still unanswered at the deadline is abandoned
 * then, so that a read waiting on a slow or frozen database (or for a connection) never holds its work
 * past it. No read starts once the time has run out. Either way the work fails with
 * SERVICE_UNAVAILABLE (src/errors/classify.ts).
 *
 * An abandoned read runs on in the driver until it ends: the server stops it at its `maxTimeMS` (later
 * by as long as it waited for a connection, at most DB_SERVER_SELECTION_TIMEOUT_MS), a frozen server's
 * connection is closed by the socket timeout, the budget plus one second (src/db/connect.ts), and its
 * connection goes back to the pool. Each read gets a timer rather than the driver's `signal` option,
 * which adds and removes an abort listener at every step of a read (server selection, connection
 * checkout, the cursor, each reply) and closes the connection of a read it aborts.
 */
import { deadlineExceeded } from '../errors/classify';

export interface ReadTiming {
  maxTimeMS?: number;
}

const NO_TIMING: ReadTiming = Object.freeze({});

/** The timing options of a read starting now, before `deadline` (epoch ms); none without a deadline. */
export function readTiming(deadline: number | undefined): ReadTiming {
  return deadline === undefined ? NO_TIMING : { maxTimeMS: timeLeft(deadline) };
}

/** The ms left before `deadline`; the deadline's error when none are, so that no read starts then. */
export function timeLeft(deadline: number): number {
  const left = deadline - Date.now();
  if (left <= 0) throw deadlineExceeded();
  return left;
}

/** What `read` gives, or the deadline's error if the deadline comes first; `read` itself without one. */
export function beforeDeadline<T>(read: Promise<T>, deadline: number | undefined): Promise<T> {
  if (deadline === undefined) return read;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(expire, deadline - Date.now(), reject);
    timer.unref(); // the read itself keeps the process up; its deadline should not
    read.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function expire(reject: (error: Error) => void): void {
  reject(deadlineExceeded());
}
