/** Probes for load balancers: /healthz (the process answers) and /readyz (the database answers). */
import type { Request, Response } from 'express';
import type { Db } from 'mongodb';
import { RETRY_AFTER_SECONDS } from '../errors/codes';

export function healthz(_req: Request, res: Response): void {
  res.json({ status: 'ok' });
}

/** `readiness.ready` turns false when a graceful shutdown begins: the load balancer stops sending first. */
export function readyz(db: Db, readiness: { ready: boolean }, timeoutMs = 2000) {
  return async (_req: Request, res: Response): Promise<void> => {
    if (!readiness.ready) {
      res.status(503).set('Retry-After', String(RETRY_AFTER_SECONDS)).json({ status: 'shutting down', message: 'The gateway is shutting down' });
      return;
    }
    try {
      await withTimeout(db.command({ ping: 1 }), timeoutMs);
      res.json({ status: 'ready' });
    } catch {
      res.status(503).set('Retry-After', String(RETRY_AFTER_SECONDS)).json({ status: 'unavailable', message: 'The database is unreachable' });
    }
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
