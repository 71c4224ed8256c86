/**
 * Subscriptions as a client makes them: graphql-ws's own client over real sockets (`ws`), one
 * connection per `liveClient`, each subscription's events, errors and completion recorded.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Recorded {
  events: any[];
  errors: unknown[];
  completed: boolean;
  /** Resolves once `count` events have arrived (rejects after `timeoutMs`). */
  next(count: number, timeoutMs?: number): Promise<any[]>;
  /** Resolves once the subscription completed or failed (rejects after `timeoutMs`). */
  ended(timeoutMs?: number): Promise<void>;
  stop(): void;
}

export interface LiveClient {
  client: Client;
  /** `extra`: more of the subscribe payload (`extensions`, a `documentId`). */
  subscribe(query: string, variables?: Record<string, unknown>, extra?: Record<string, unknown>): Recorded;
  /** The close event of the connection, once it closes. */
  closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

export function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}/graphql`;
}

export function liveClient(httpUrl: string, token?: string | null, params?: Record<string, unknown>): LiveClient {
  let onClosed: (event: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams: params ?? (token ? { Authorization: `Bearer ${token}` } : {}),
    retryAttempts: 0,
    lazy: false,
    on: { closed: (event) => onClosed({ code: (event as { code: number }).code, reason: String((event as { reason: unknown }).reason) }) },
    onNonLazyError: () => undefined,
  });
  return {
    client,
    closed,
    subscribe(query, variables, extra) {
      const waiters: Array<() => void> = [];
      const wake = () => waiters.splice(0).forEach((fn) => fn());
      const recorded: Recorded = {
        events: [],
        errors: [],
        completed: false,
        next(count, timeoutMs = 5000) {
          return until(() => recorded.events.length >= count || recorded.completed, waiters, timeoutMs, () => `${recorded.events.length} of ${count} events`).then(() => recorded.events);
        },
        ended(timeoutMs = 5000) {
          return until(() => recorded.completed, waiters, timeoutMs, () => `not ended after ${recorded.events.length} events`);
        },
        stop: () => unsubscribe(),
      };
      const unsubscribe = client.subscribe({ query, variables, ...extra }, {
        next: (value) => {
          recorded.events.push(value);
          wake();
        },
        error: (error) => {
          recorded.errors.push(error);
          recorded.completed = true;
          wake();
        },
        complete: () => {
          recorded.completed = true;
          wake();
        },
      });
      return recorded;
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}

function until(done: () => boolean, waiters: Array<() => void>, timeoutMs: number, state: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${state()}`)), timeoutMs);
    const check = () => {
      if (done()) {
        clearTimeout(timer);
        resolve();
      } else waiters.push(check);
    };
    check();
  });
}
