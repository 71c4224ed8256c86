/**
 * graphql-ws's server on `ws` sockets: what `graphql-ws/use/ws` does (keep-alive pings, the
 * subprotocol, close on a socket's error), with one difference that matters at tens of thousands of
 * subscriptions. use/ws hands each message to graphql-ws from an async listener that awaits it, and
 * graphql-ws's handling of a subscribe lasts as long as the subscription: every subscription then kept
 * a suspended listener holding the frame's Buffer, and with it the socket read it was cut from. Here
 * the listener hands over the text and returns, so a subscription keeps only graphql-ws's own state.
 *
 * The frames sent to one socket in one turn of the event loop (the events of a tick, the first
 * answers of a page of subscribes) leave in one write: the socket is corked until the turn ends.
 * A write is a system call, and a reconnect storm would make one per frame.
 */
import { CloseCode, handleProtocols, makeServer, MessageType, type ServerOptions } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { responseTooLarge } from '../../errors/budgets';
import { nextTurn } from '../../loaders/fair-turns';
import type { Logger } from '../../observability/logger';
import type { RefusalLog } from '../../observability/refusal-log';
import { errorOnly } from '../refusal-response';
import { OrderedFrames, subscribing } from './ordered-frames';

const corked = new Set<Duplex>();
let uncorking = false;

function uncorkAll(): void {
  uncorking = false;
  for (const stream of corked) stream.uncork();
  corked.clear();
}

/** Holds the socket's writes until this turn of the event loop ends (ws's own cork is nested in it). */
function corkForTurn(socket: WebSocket): void {
  // ws keeps its TCP socket in `_socket` (ws 8): the one place this module reaches inside
  const stream = (socket as unknown as { _socket?: Duplex })._socket;
  if (!stream || corked.has(stream)) return;
  stream.cork();
  corked.add(stream);
  if (!uncorking) {
    uncorking = true;
    setImmediate(uncorkAll);
  }
}

/** How long a closing connection's peer has to answer the close frame before its socket is dropped. */
const CLOSE_ANSWER_MS = 2_000;

/** ws's error for a frame the client got wrong (unmasked, bad UTF-8, an unknown opcode, too large): `WS_ERR_…`. */
const isClientFrameError = (error: unknown) => typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('WS_ERR_');

/**
 * A frame as it may leave: an event past the byte budget is replaced by its refusal, no data and the
 * error alone, and the subscription goes on. Measured on the text graphql-ws made (read again only when
 * it may be past the budget), so that no event is serialized twice.
 */
function withinBudget(data: string, maxBytes: number): string {
  if (data.length * 3 <= maxBytes || Buffer.byteLength(data) <= maxBytes) return data;
  const message = JSON.parse(data) as { id?: string; type?: string };
  if (message.type !== MessageType.Next) return data;
  return JSON.stringify({ id: message.id, type: MessageType.Next, payload: errorOnly(responseTooLarge(maxBytes)) });
}

export interface WsTransportOptions {
  keepAliveMs: number;
  logger: Logger;
  /** Frames refused by ws (it closes the socket with the protocol's code): a client's doing, which any caller can repeat, so counted, not logged each. */
  frameRefusals: RefusalLog;
  /** MAX_RESPONSE_BYTES: an event past it is sent as its refusal (QUERY_TOO_COMPLEX), as an HTTP answer would be. */
  maxEventBytes?: number;
}

export function serveGraphqlWs<P extends Record<string, unknown>, E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<P, Extra & Partial<E>>,
  wss: WebSocketServer,
  { keepAliveMs, logger, frameRefusals, maxEventBytes = Infinity }: WsTransportOptions,
): { dispose: () => Promise<void> } {
  // each connection's frames in order (./ordered-frames.ts), told by graphql-ws's hooks what it handles
  const framesOf = new WeakMap<WebSocket, OrderedFrames>();
  const server = makeServer({
    ...options,
    onSubscribe: (ctx, id, payload) => {
      subscribing(id);
      return options.onSubscribe?.(ctx, id, payload);
    },
    onComplete: (ctx, id, payload) => {
      framesOf.get(ctx.extra.socket)?.ended(id);
      return options.onComplete?.(ctx, id, payload);
    },
    onError: (ctx, id, payload, errors) => {
      framesOf.get(ctx.extra.socket)?.ended(id);
      return options.onError?.(ctx, id, payload, errors);
    },
  });
  wss.options.handleProtocols = handleProtocols;
  // the cause goes to the log, not to the client
  const internalError = (socket: WebSocket, error: unknown, what: string) => {
    logger.error({ err: error }, what);
    if (socket.readyState === socket.OPEN) socket.close(CloseCode.InternalServerError, 'Internal server error');
  };

  wss.once('error', (error) => {
    logger.error({ err: error }, 'WebSocket server error');
    for (const client of wss.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
  });
  wss.on('connection', (socket, request) => {
    // by its code: ws's messages hold numbers the client chose, one cause each
    socket.once('error', (error) => (isClientFrameError(error) ? frameRefusals.note((error as Error & { code: string }).code) : internalError(socket, error, 'WebSocket socket error')));
    // a client that stops answering pings is dropped, as use/ws does
    let pongWait: NodeJS.Timeout | undefined;
    const pinging = setInterval(() => {
      if (socket.readyState !== socket.OPEN || pongWait) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.ping();
    }, keepAliveMs);
    socket.on('pong', () => {
      clearTimeout(pongWait);
      pongWait = undefined;
    });
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            corkForTurn(socket);
            // a write fails only when the client has gone: that is the connection's end (its close ends its
            // subscriptions), not an error of the operation that wrote, nor of the database
            socket.send(withinBudget(data, maxEventBytes), () => resolve());
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) => {
          const frames = new OrderedFrames(handle, () => {
            frameRefusals.note('more frames than are held while an id is being ended');
            socket.close(1008, 'Too many frames while an id was being ended');
          }, (error) => internalError(socket, error, 'unexpected error while handling a WebSocket message'));
          framesOf.set(socket, frames);
          socket.on('message', (data) => frames.receive(String(data)));
        },
      },
      { socket, request } as Extra & Partial<E>,
    );
    socket.once('close', (code, reason) => {
      framesOf.get(socket)?.close();
      clearTimeout(pongWait);
      clearInterval(pinging);
      // a connection's subscriptions end in a turn of their own: when a fleet's connections drop at
      // once, their closes arrive in one pass of the event loop, and ending them all there stalled it
      nextTurn()
        .then(() => closed(code, String(reason)))
        .catch((error: unknown) => logger.error({ err: error }, 'unexpected error while closing a WebSocket connection'));
    });
  });

  return {
    dispose: async () => {
      for (const client of wss.clients) client.close(1001, 'Going away');
      // a peer that does not answer its close (asleep, or gone without a word) is not waited for: ws
      // would wait 30 s, past a graceful shutdown's bound
      const unanswered = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, CLOSE_ANSWER_MS);
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
      clearTimeout(unanswered);
    },
  };
}
