/**
 * Which of a server's HTTP connections are idle, for a drain to close. Node's own
 * `closeIdleConnections` (which `server.close()` also calls) takes a connection whose response has
 * been ended for idle even while that response's bytes still wait in the socket, and destroys it: a
 * large answer under way at a shutdown was cut short. Here a connection is idle once its response has
 * been handed to the kernel (`finish`) and nothing of a next request has arrived since.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';

/** Replaces the server's `closeIdleConnections` (its own `close()` calls it too) with one that waits for each response's bytes. */
export function closeOnlyFlushedConnections(server: http.Server): void {
  const sockets = new Set<Socket>();
  const answering = new WeakSet<Socket>();
  /** Bytes a connection had read when its last response was flushed: more since, a request is arriving. */
  const readAtFlush = new WeakMap<Socket, number>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // an upgraded connection is its WebSocket server's to close
  server.on('upgrade', (_req: http.IncomingMessage, socket: Socket) => sockets.delete(socket));
  // one listener for every response (a response finishes once), not a closure per request
  function flushed(this: http.ServerResponse): void {
    const { socket } = this.req;
    answering.delete(socket);
    readAtFlush.set(socket, socket.bytesRead);
  }
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    answering.add(req.socket);
    res.on('finish', flushed);
  });
  server.closeIdleConnections = () => {
    for (const socket of sockets) {
      if (answering.has(socket) || socket.bytesRead > (readAtFlush.get(socket) ?? 0)) continue;
      socket.destroy();
    }
  };
}
