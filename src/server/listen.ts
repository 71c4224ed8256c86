/**
 * Starts the HTTP server and resolves once it is listening. Node's server timeouts are set here:
 *
 * - `keepAliveTimeout` (HTTP_KEEP_ALIVE_TIMEOUT_MS, default 65 s): how long an idle keep-alive
 *   connection stays open. It must be longer than the idle timeout of the load balancer in front
 *   (60 s on AWS ALB, GCP and nginx's default upstream keepalive_timeout), so that the balancer, not
 *   the gateway, closes idle connections; otherwise the balancer may send a request on a connection the
 *   gateway is closing at that moment and answer it with a 502.
 * - `headersTimeout` (20 s): time to receive a request's headers, measured from its first byte (not
 *   from the end of the previous request, so it is independent of keepAliveTimeout on Node >= 18).
 *   Defends against slowloris-style clients; a balancer sends headers at once.
 * - `requestTimeout` (30 s): time to receive a whole request (headers and the body, at most
 *   MAX_BODY_BYTES). It does not limit how long the answer takes: REQUEST_TIMEOUT_MS does that.
 * - checked every second (`connectionsCheckingInterval`; Node's default, 30 s, would let a slow
 *   client keep a connection up to 30 s past those limits).
 *
 * Requests that Node rejects before the application sees them (a malformed request line or header,
 * headers over 16 KiB, a timeout, an HTTP/1.1 request without a Host, an expectation other than
 * 100-continue) are answered with a JSON error body too, like every other error.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { RequestListener } from 'node:http';
import { closeOnlyFlushedConnections } from './idle-connections';
import { isExpressApp, serverClasses, type AppPrototypes } from './server-classes';
import { TIME_LIMIT_DEFAULTS } from '../config';
import { legacyErrorBody } from '../errors/legacy-body';
import { noteAnsweredOnSocket } from '../observability/http-observer';

export interface ServerTimeouts {
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

const DEFAULT_SERVER_TIMEOUTS: ServerTimeouts = {
  keepAliveTimeoutMs: TIME_LIMIT_DEFAULTS.httpKeepAliveTimeoutMs,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 30_000,
};

export async function listen(
  handler: RequestListener,
  port: number,
  host: string,
  timeouts: Partial<ServerTimeouts> = {},
  // the Express app whose requests these are, when the handler is not the app itself
  app: AppPrototypes | undefined = isExpressApp(handler) ? handler : undefined,
): Promise<{ server: http.Server; url: string }> {
  const settings = { ...DEFAULT_SERVER_TIMEOUTS, ...timeouts };
  const server = http.createServer(
    {
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      headersTimeout: Math.min(settings.headersTimeoutMs, settings.requestTimeoutMs),
      requestTimeout: settings.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
      // answered below in JSON: Node would send its 400 with no body
      requireHostHeader: false,
      // an Express app's requests and responses are made with its prototypes (./server-classes.ts)
      ...(app ? serverClasses(app) : {}),
    },
    (req, res) => (req.headers.host === undefined && req.httpVersion === '1.1' ? answerJson(res, 400, 'An HTTP/1.1 request must have a Host header') : handler(req, res)),
  );
  server.on('clientError', answerClientError);
  // an Expect the server does not meet (only 100-continue is met): Node would send its 417 with no body
  server.on('checkExpectation', (_req: http.IncomingMessage, res: http.ServerResponse) => answerJson(res, 417, 'Only the expectation 100-continue is met'));
  // a drain closes idle connections only once their responses have left (./idle-connections.ts)
  closeOnlyFlushedConnections(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return { server, url: `http://${shownHost}:${address.port}` };
}

function answerJson(res: http.ServerResponse, status: number, message: string): void {
  const body = JSON.stringify(legacyErrorBody(message, status));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
}

/** What Node's parser errors become; everything else is 400. */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request took too long to arrive'],
  HPE_HEADERS_TIMEOUT: [408, 'The request took too long to arrive'],
};

/**
 * Node's default answer to a request it cannot parse is a bare status line; this one sends the
 * contract's `{message, code}` JSON instead, and closes the connection (its state is unknown).
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  const response = (socket as Socket & { _httpMessage?: http.ServerResponse })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'Bad request'];
  if (response) noteAnsweredOnSocket(response, status); // a request under way (its body too slow): logged with this status
  const body = JSON.stringify(legacyErrorBody(message, status));
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
