/**
 * Load shedding (docs/limits.md): at most MAX_CONCURRENT_REQUESTS requests of the API in progress per
 * process. The next ones wait in a short queue (as many places as requests in progress, for at most
 * a second), then get 503 with Retry-After, so that overload costs the excess an early
 * answer instead of stalling everyone. The probes are mounted before this and never wait behind it.
 */
import type { NextFunction, Request, Response } from 'express';
import { ErrorCode, GatewayError } from '../errors/codes';
import { sendRefusal } from './refusal-response';
import { DEFAULT_MAX_CONCURRENT_REQUESTS } from '../config/request-budgets';

export interface LoadSheddingOptions {
  maxConcurrent: number;
  /** Longest wait in the queue, in ms. */
  maxWaitMs: number;
}

export const DEFAULT_LOAD_SHEDDING = { maxConcurrent: DEFAULT_MAX_CONCURRENT_REQUESTS, maxWaitMs: 1000 } as const;

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
      res.once('finish', finish);
      res.once('close', finish);
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
