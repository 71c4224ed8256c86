/**
 * Which of a server's HTTP connections are idle, for a drain to close. Node's own
 * `closeIdleConnections` (which `server.close()` also calls) takes a connection whose response has
 * been ended for idle even while that response's bytes still wait in the socket, and destroys it,
 * cutting the answer short. Here a connection is idle once every response it was asked for has been
 * handed to the kernel (`finish`), its last request has arrived whole, and nothing of a next one has.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';

/** The responses of each such server not yet ended: a drain makes them close their connection. */
const inFlight = new WeakMap<http.Server, Set<http.ServerResponse>>();

/**
 * The responses in progress will close their connections (`Connection: close`), as those of the
 * requests a drain receives do: a keep-alive client then sends its next request elsewhere.
 */
export function closeConnectionsAfterAnswers(server: http.Server): void {
  for (const res of inFlight.get(server) ?? []) if (!res.headersSent) res.setHeader('Connection', 'close');
}

/** Replaces the server's `closeIdleConnections` (its own `close()` calls it too) with one that waits for each response's bytes. */
export function closeOnlyFlushedConnections(server: http.Server): void {
  const sockets = new Set<Socket>();
  const responses = new Set<http.ServerResponse>();
  inFlight.set(server, responses);
  /** Responses asked for and not yet flushed, per connection (pipelined requests are several). */
  const answering = new WeakMap<Socket, number>();
  /** Bytes a connection had read when it last fell idle: more since, a request is arriving. */
  const readWhenIdle = new WeakMap<Socket, number>();
  // upgraded connections (WebSocket) are left alone: they read bytes and never finish a response
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const idleNow = (socket: Socket) => readWhenIdle.set(socket, socket.bytesRead);
  // shared listeners, not closures per request
  function requestRead(this: http.IncomingMessage): void {
    if (!answering.get(this.socket)) idleNow(this.socket);
  }
  function ended(this: http.ServerResponse): void {
    responses.delete(this);
  }
  function flushed(this: http.ServerResponse): void {
    const { req } = this;
    const left = (answering.get(req.socket) ?? 1) - 1;
    answering.set(req.socket, left);
    if (left > 0) return;
    // answered before its body arrived (a refusal): idle once Node has read and dropped the rest
    if (req.complete) idleNow(req.socket);
    else req.on('end', requestRead);
  }
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    answering.set(req.socket, (answering.get(req.socket) ?? 0) + 1);
    responses.add(res);
    res.on('finish', flushed);
    res.on('close', ended);
  });
  server.closeIdleConnections = () => {
    for (const socket of sockets) {
      if (answering.get(socket) || socket.bytesRead > (readWhenIdle.get(socket) ?? 0)) continue;
      socket.destroy();
    }
  };
}
