/**
 * The GraphQL operations being executed: a client that hung up does not stop one, so a graceful stop
 * waits for them (a bounded while) before it stops the server they run in.
 */
import type { RequestHandler } from 'express';

export interface InFlight {
  /** `handler`, counted while it runs. */
  count(handler: RequestHandler): RequestHandler;
  /** Resolves once none runs, or after `mostMs`. */
  drained(mostMs: number): Promise<void>;
}

export function inFlight(): InFlight {
  let executing = 0;
  return {
    count: (handler) => async (req, res, next) => {
      executing += 1;
      try {
        await handler(req, res, next);
      } finally {
        executing -= 1;
      }
    },
    async drained(mostMs) {
      for (const until = Date.now() + mostMs; executing > 0 && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 10));
    },
  };
}
