/**
 * What the gateway keeps of each WebSocket connection, on graphql-ws's `extra` (beside the socket and
 * request), and the places its subscriptions hold of the per-connection and per-caller caps.
 */
import type { Context } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import type { RequestContext } from '../../context/request-context';
import type { GatewayError } from '../../errors/codes';
import type { LiveEngine } from '../../live/live-engine';
import type { LiveCaller } from '../../live/live-options';
import { nextTurn } from '../../loaders/fair-turns';
import { SubscriptionsByCaller } from './by-caller';

export type ConnectionState = {
  caller: LiveCaller;
  authorization: string | undefined;
  /** Who it is for the quotas (with RATE_LIMIT_*) and the per-caller cap: its key, its account or its address. */
  quotaCaller: string;
  /** The ids of its subscriptions accepted and not yet ended (an id is never held twice): what it holds of the caps. */
  active: Set<string>;
  /** Its subscriptions' event streams once set up: ended with the connection, whatever graphql-ws still knows of them. */
  streams: Set<AsyncIterableIterator<unknown>>;
  closed: boolean;
  /** Its subscribes accepted and not yet set up: places of the process's, given back at set-up or when it closes. */
  reserved?: number;
  setup?: SetupContext;
};

/**
 * The context a connection's subscribes are set up in while its caller is being read: a client opens
 * its subscriptions together (a page, a reconnect), and so those set up at once share the caller's read
 * and batch their sessions' reads, as the fields of one request do. A subscribe set up after that reads
 * the caller and its access afresh, as a request does: a key deleted or a session unshared a moment
 * before is seen. Each subscription lives on in the engine's ticks, which check the caller and its
 * access again.
 */
export interface SetupContext {
  context: Promise<RequestContext>;
}

/** A connection's state, filled in by its handshake. */
export type ConnectionExtra = Extra & Partial<ConnectionState>;
export type ConnectionContext = Context<Record<string, unknown>, ConnectionExtra>;

/**
 * The places of accepted subscriptions: by connection and by caller until they end or their connection
 * closes, and of the process (LIVE_MAX_SUBSCRIPTIONS) from their acceptance until the engine holds them.
 */
export class SubscriptionPlaces {
  private readonly byCaller: SubscriptionsByCaller;
  private settingUp = 0;
  /** Streams of closed connections waiting for their turn to end: the engine still counts them. */
  private ending = 0;

  constructor(
    maxPerCaller: number,
    private readonly engine: Pick<LiveEngine, 'refusal'>,
  ) {
    this.byCaller = new SubscriptionsByCaller(maxPerCaller);
  }

  /**
   * A place of the process's for a subscription about to be set up, or why there is none: a burst
   * accepted together cannot pass the cap, and so each beyond it is refused as a subscribe (an error
   * message), never as a failed event after its acceptance.
   */
  reserve(connection: Partial<ConnectionState>): GatewayError | null {
    const refusal = this.engine.refusal(this.settingUp - this.ending);
    if (!refusal) {
      this.settingUp += 1;
      connection.reserved = (connection.reserved ?? 0) + 1;
    }
    return refusal;
  }

  /** A reserved subscription is set up (the engine counts it now) or failed to be; its place was given back already if its connection closed. */
  setUpDone(connection: Partial<ConnectionState>): void {
    if (!connection.reserved) return;
    connection.reserved -= 1;
    this.settingUp -= 1;
  }

  get maxPerCaller(): number {
    return this.byCaller.max;
  }

  /** An authenticated connection: it holds nothing yet, and what graphql-ws has not completed when its socket goes is given back and ended. */
  open(connection: ConnectionExtra): void {
    connection.active = new Set();
    connection.streams = new Set();
    connection.closed = false;
    connection.socket.once('close', () => {
      connection.closed = true;
      // its subscribes still waiting for their set-up will not be set up: the living may have their places
      this.settingUp -= connection.reserved ?? 0;
      connection.reserved = 0;
      for (const id of [...connection.active!]) this.letGo(connection, id);
      // ended in a turn of their own: a fleet's closes arrive in one pass, and ending them all there stalls it
      const streams = [...connection.streams!].filter((stream) => !ended(stream));
      connection.streams!.clear();
      this.ending += streams.length;
      void nextTurn().then(() => {
        this.ending -= streams.length;
        for (const stream of streams) void stream.return?.();
      });
    });
  }

  /** A place of its caller's for the subscription `id`; false when the caller holds its most. */
  hold(connection: Partial<ConnectionState>, id: string): boolean {
    if (!this.byCaller.take(connection.quotaCaller!)) return false;
    connection.active!.add(id);
    return true;
  }

  letGo(connection: Partial<ConnectionState>, id: string): void {
    if (connection.active?.delete(id)) this.byCaller.release(connection.quotaCaller!);
  }

  /** A stream set up for a connection that has closed meanwhile ends at once; the ended are let go. */
  keep(connection: Partial<ConnectionState>, stream: AsyncIterableIterator<unknown>): void {
    if (connection.closed) {
      void stream.return?.();
      return;
    }
    const streams = connection.streams!;
    if (streams.size >= 2 * connection.active!.size + 16) for (const held of streams) if (ended(held)) streams.delete(held);
    streams.add(stream);
  }
}

/** Whether a kept stream's subscription is over (its `done`, ./event-results.ts). */
function ended(stream: AsyncIterableIterator<unknown>): boolean {
  return (stream as { done?: boolean }).done === true;
}
