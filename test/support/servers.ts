/** Closing the HTTP servers the tests start. */
import type { Server } from 'node:http';

/**
 * Closes `server`: no new connections, idle ones closed at once. With `graceMs` 0 (the default) the
 * connections still busy are cut at once too; otherwise their requests may finish (a load test's last
 * requests can still be running when it ends), and what is left is cut after `graceMs`.
 */
export function closeServer(server: Server, graceMs = 0): Promise<void> {
  return new Promise((resolve) => {
    const cut = graceMs > 0 ? setTimeout(() => server.closeAllConnections(), graceMs) : undefined;
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
    if (graceMs <= 0) server.closeAllConnections();
  });
}
