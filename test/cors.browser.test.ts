/**
 * Cross-origin access (CONTRACT §6) in a real browser: a page served from a second loopback origin
 * calls `/graphql` and the REST route with a bearer token. Allowed by CORS_ORIGINS, both work
 * (preflights included); from an origin that is not listed, Chromium blocks them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { startTestGateway, type TestGateway } from './support/gateway';
import { closeServer } from './support/servers';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A page server on a loopback port of its own: another origin than the gateway's. */
async function servePage(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
}

let gw: TestGateway;
let allowed: Awaited<ReturnType<typeof servePage>>;
let other: Awaited<ReturnType<typeof servePage>>;
let browser: Browser;
beforeAll(async () => {
  [allowed, other] = await Promise.all([servePage(), servePage()]);
  gw = await startTestGateway({ app: { corsOrigins: [allowed.origin] } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 20_000 });
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  await Promise.all([allowed?.close(), other?.close()]);
});

/** Runs both calls from a page of `origin`, with the bearer token; what each one gave the page. */
async function callFrom(origin: string) {
  const page = await browser.newPage();
  try {
    await page.goto(origin);
    return await page.evaluate(async ({ api, token, restPath }) => {
      const attempt = async (fn: () => Promise<Response>) => {
        try {
          const response = await fn();
          return { status: response.status, body: await response.text(), requestId: response.headers.get('x-request-id') };
        } catch (error) {
          return { error: String(error) };
        }
      };
      const graphql = await attempt(() => fetch(`${api}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ viewer { name } }' }),
      }));
      const rest = await attempt(() => fetch(`${api}${restPath}`, { headers: { authorization: `Bearer ${token}` } }));
      return { graphql, rest };
    }, { api: gw.url, token: gw.tokenFor('member'), restPath: `/${gw.fixtures.teams.acmeMain.toHexString()}/session/${gw.fixtures.sessions.teamCrew.toHexString()}.json` });
  } finally {
    await page.close();
  }
}

it('an allowed origin calls /graphql and the REST route with a bearer token (preflights included)', async () => {
  const { graphql, rest } = await callFrom(allowed.origin);
  expect(graphql).toMatchObject({ status: 200, body: JSON.stringify({ data: { viewer: { name: 'Max Member' } } }) + '\n' });
  expect(graphql.requestId).toEqual(expect.any(String)); // exposed to the page
  expect(rest).toMatchObject({ status: 200 });
  expect(JSON.parse((rest as { body: string }).body).session.name).toBe('Team crew run');
}, 30_000);

it('an origin that is not allowed is blocked by the browser', async () => {
  const { graphql, rest } = await callFrom(other.origin);
  expect(graphql).toEqual({ error: expect.stringMatching(/Failed to fetch/) });
  expect(rest).toEqual({ error: expect.stringMatching(/Failed to fetch/) });
}, 30_000);

it('the preflight: 204 with the allowed headers for a listed origin, and no CORS headers for another', async () => {
  const ask = (origin: string, path: string) => fetch(`${gw.url}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,apollo-require-preflight' },
  });
  for (const path of ['/graphql', `/${gw.fixtures.teams.acmeMain.toHexString()}/session/${gw.fixtures.sessions.teamCrew.toHexString()}.json`]) {
    const yes = await ask(allowed.origin, path);
    expect(yes.status).toBe(204);
    expect(yes.headers.get('access-control-allow-origin')).toBe(allowed.origin);
    expect(yes.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/authorization.*content-type.*apollo-require-preflight.*x-apollo-operation-name.*traceparent.*tracestate/);
    expect(yes.headers.get('access-control-allow-credentials')).toBeNull();
    const no = await ask(other.origin, path);
    expect(no.headers.get('access-control-allow-origin')).toBeNull();
  }
  // unset: no cross-origin access at all
  const closed = await startTestGateway();
  try {
    const answer = await fetch(`${closed.url}/graphql`, { method: 'OPTIONS', headers: { origin: allowed.origin, 'access-control-request-method': 'POST' } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  } finally {
    await closed.stop();
  }
});

/** Opens a graphql-transport-ws socket from a page of `origin` and says how far it got. */
async function socketFrom(origin: string): Promise<{ opened: boolean; acked: boolean; events: number; closeCode?: number }> {
  const page = await browser.newPage();
  try {
    await page.goto(origin);
    return await page.evaluate(async ({ ws, session }) => {
      const outcome = { opened: false, acked: false, events: 0, closeCode: undefined as number | undefined };
      await new Promise<void>((resolve) => {
        const socket = new WebSocket(ws, 'graphql-transport-ws');
        const done = setTimeout(() => { socket.close(); resolve(); }, 3000);
        socket.onopen = () => {
          outcome.opened = true;
          socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
        };
        socket.onmessage = (event) => {
          const message = JSON.parse(String(event.data));
          if (message.type === 'connection_ack') {
            outcome.acked = true;
            socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `subscription { sessionUpdated(_id: "${session}") { name } }` } }));
          }
          if (message.type === 'next') {
            outcome.events += 1;
            clearTimeout(done);
            socket.close();
            resolve();
          }
        };
        socket.onclose = (event) => {
          outcome.closeCode ??= event.code;
          clearTimeout(done);
          resolve();
        };
      });
      return outcome;
    }, { ws: `${gw.url.replace(/^http/, 'ws')}/graphql`, session: gw.fixtures.sessions.publicChat.toHexString() });
  } finally {
    await page.close();
  }
}

it('WebSocket: a page of an allowed origin subscribes and receives events; one of another origin is refused at the handshake', async () => {
  expect(await socketFrom(allowed.origin)).toMatchObject({ opened: true, acked: true, events: 1 });
  expect(await socketFrom(other.origin)).toEqual({ opened: false, acked: false, events: 0, closeCode: 1006 });
}, 30_000);

it('WebSocket handshakes: 403 for an Origin that is neither listed nor the gateway’s own; no Origin (not a browser) and the gateway’s own pass', async () => {
  const { default: WebSocket } = await import('ws');
  const handshake = (headers: Record<string, string>, url = gw.url) =>
    new Promise<number>((resolve) => {
      const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { headers });
      socket.on('open', () => {
        socket.close();
        resolve(101);
      });
      socket.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        socket.terminate();
      });
      socket.on('error', () => undefined);
    });
  expect(await handshake({ origin: other.origin })).toBe(403);
  expect(await handshake({ origin: 'null' })).toBe(403);
  expect(await handshake({ origin: allowed.origin })).toBe(101);
  expect(await handshake({ origin: gw.url })).toBe(101);
  expect(await handshake({})).toBe(101);
  // unset: the gateway's own origin only
  const closed = await startTestGateway();
  try {
    expect(await handshake({ origin: allowed.origin }, closed.url)).toBe(403);
    expect(await handshake({ origin: closed.url }, closed.url)).toBe(101);
    expect(await handshake({}, closed.url)).toBe(101);
  } finally {
    await closed.stop();
  }
}, 30_000);
