/**
 * Load shedding (docs/limits.md): at most MAX_CONCURRENT_REQUESTS requests of the API in progress per
 * process, from their turn until their answer is handed to Node. The next ones wait in a short queue (as many places as requests in progress, for at most
 * a second), then get 503 with Retry-After, so that overload costs the excess an early
 * answer instead of stalling everyone. The probes are mounted before this and never wait behind it.
 */
import type { NextFunction, Request, Response } from 'express';
import { ErrorCode, GatewayError } from '../errors/codes';
import { sendRefusal } from './refusal-response';
import { DEFAULT_MAX_CONCURRENT_REQUESTS } from '../config/request-budgets';
import { TIME_LIMIT_DEFAULTS } from '../config';

export interface LoadSheddingOptions {
  maxConcurrent: number;
  /** Longest wait in the queue, in ms. */
  maxWaitMs: number;
  /**
   * How long a request whose client hung up may keep its place before it is let go whatever its work
   * (which its deadline ends first: REQUEST_TIMEOUT_MS and a margin).
   */
  abandonedAfterMs: number;
}

/** Past the default deadline: the app passes its own REQUEST_TIMEOUT_MS's. */
export const DEFAULT_LOAD_SHEDDING = { maxConcurrent: DEFAULT_MAX_CONCURRENT_REQUESTS, maxWaitMs: 1000, abandonedAfterMs: abandonedAfter(TIME_LIMIT_DEFAULTS.requestTimeoutMs) } as const;

/** When a request whose client hung up is let go whatever its work: its deadline, and a second. */
export function abandonedAfter(requestTimeoutMs: number): number {
  return requestTimeoutMs + 1_000;
}

const MESSAGE = 'The gateway is overloaded; retry shortly';

export function loadShedding(options: LoadSheddingOptions) {
  const maxQueued = options.maxConcurrent; // as many places in the queue as requests in progress
  let running = 0;
  const queue: Array<() => void> = [];

  const release = () => {
    const next = queue.shift();
    if (next) next();
    else running -= 1;
  };

  return (req: Request, res: Response, next: NextFunction): void => {
    const start = () => {
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          release();
        }
      };
      // in progress until its answer is handed to Node (however slowly the client then reads it), and
      // while its work goes on after the client hung up (the work does not stop with it)
      res.once('prefinish', finish);
      res.once('close', () => {
        if (!done) setTimeout(finish, options.abandonedAfterMs).unref();
      });
      // a client that hung up while its request waited is not served
      if (req.socket.destroyed) finish();
      else next();
    };
    if (running < options.maxConcurrent) {
      running += 1;
      start();
      return;
    }
    if (queue.length >= maxQueued) return shed(req, res);
    let timer: NodeJS.Timeout | undefined = undefined;
    const waiting = () => {
      clearTimeout(timer);
      start(); // the slot passes from the request that finished to this one
    };
    timer = setTimeout(() => {
      const at = queue.indexOf(waiting);
      if (at >= 0) queue.splice(at, 1);
      shed(req, res);
    }, options.maxWaitMs);
    queue.push(waiting);
    res.once('close', () => {
      const at = queue.indexOf(waiting);
      if (at >= 0) {
        queue.splice(at, 1);
        clearTimeout(timer);
      }
    });
  };
}

function shed(req: Request, res: Response): void {
  sendRefusal(req, res, new GatewayError(ErrorCode.SERVICE_UNAVAILABLE, MESSAGE));
}
