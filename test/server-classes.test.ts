/**
 * The HTTP server of an Express app makes its requests and responses with the app's prototypes
 * (src/server/server-classes.ts), so that Express has none to change; everything Express gives them
 * still works, and a handler that is no Express app gets Node's own classes.
 */
import http from 'node:http';
import express from 'express';
import { listen } from '../src/server/listen';

interface Seen {
  request: object | null;
  response: object | null;
}

/** Starts `handler` with listen, noting the prototypes of each request and response as the server makes them. */
async function serve(handler: http.RequestListener, app?: Parameters<typeof listen>[4]) {
  const { server, url } = await listen(handler, 0, '127.0.0.1', {}, app);
  const seen: Seen = { request: null, response: null };
  server.prependListener('request', (req, res) => {
    seen.request = Object.getPrototypeOf(req) as object;
    seen.response = Object.getPrototypeOf(res) as object;
  });
  return { server, url, seen };
}

async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

function expressApp() {
  const app = express();
  app.set('etag', 'weak');
  app.get('/echo', (req, res) => res.json({ query: req.query, isRequest: req instanceof http.IncomingMessage }));
  app.post('/body', express.json(), (req, res) => res.status(201).json(req.body));
  return app;
}

it('makes an Express app’s requests and responses with its prototypes, and Express works as before', async () => {
  const app = expressApp();
  const { server, url, seen } = await serve(app);
  try {
    const response = await fetch(`${url}/echo?x=1`);
    expect(seen.request).toBe(app.request);
    expect(seen.response).toBe(app.response);
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toMatch(/^W\//);
    expect(await response.json()).toEqual({ query: { x: '1' }, isRequest: true });
    const posted = await fetch(`${url}/body`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' });
    expect(posted.status).toBe(201);
    expect(await posted.json()).toEqual({ a: [1, 2] });
    // HEAD, answered by Express from the GET route
    const head = await fetch(`${url}/echo`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  } finally {
    await close(server);
  }
});

it('takes the prototypes of the app a wrapping handler serves', async () => {
  const app = expressApp();
  const { server, url, seen } = await serve((req, res) => app(req, res), app);
  try {
    expect((await fetch(`${url}/echo?y=2`)).status).toBe(200);
    expect(seen.request).toBe(app.request);
    expect(seen.response).toBe(app.response);
  } finally {
    await close(server);
  }
});

it('gives a handler that is no Express app Node’s own classes', async () => {
  const { server, url, seen } = await serve((_req, res) => res.end('plain'));
  try {
    expect(await (await fetch(url)).text()).toBe('plain');
    expect(seen.request).toBe(http.IncomingMessage.prototype);
    expect(seen.response).toBe(http.ServerResponse.prototype);
  } finally {
    await close(server);
  }
});
