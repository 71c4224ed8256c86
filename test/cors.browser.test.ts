/**
 * Cross-origin access (CONTRACT §6) in a real browser: a page served from a second loopback origin
 * calls `/graphql` and the REST route with a bearer token. Allowed by CORS_ORIGINS, both work
 * (preflights included); from an origin that is not listed, Chromium blocks them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { startTestGateway, type TestGateway } from './support/gateway';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A page server on a loopback port of its own: another origin than the gateway's. */
async function servePage(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
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
    expect(yes.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/authorization.*content-type.*apollo-require-preflight.*x-apollo-operation-name/);
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
