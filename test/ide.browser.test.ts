/**
 * The GraphQL IDE (CONTRACT §5, last bullet): `GET /graphql` from a browser opens GraphiQL served
 * entirely by the gateway (it must work with no internet), with the schema docs and a place for the
 * bearer token.
 *
 * The browser part drives Debian's Chromium (/usr/bin/chromium, installed by `npm test`'s pretest,
 * scripts/ensure-chromium.sh) through playwright-core: it runs the default query with the default
 * headers, opens the docs, records every request the page makes (none may leave 127.0.0.1) and saves
 * a screenshot to test/artifacts/ide.png.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { signLoginToken } from '../src/auth/tokens';
import { IDE_PAGE_TITLE, loadIdeAssets, renderIdePage } from '../src/ide';
import { generateDemoData } from '../src/seed/generate';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from './support/gateway';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = path.resolve(__dirname, 'artifacts');
const SCREENSHOT = path.join(ARTIFACTS, 'ide.png');

// Demo ids are deterministic: the fixtures are known before the gateway starts.
const { fixtures } = generateDemoData();
const memberToken = signLoginToken(fixtures.accounts.member, TEST_JWT_SECRET);
const sessionId = fixtures.sessions.teamCrew.toHexString();
const defaultHeaders = JSON.stringify({ Authorization: `Bearer ${memberToken}` }, null, 2);
const defaultQuery = `query TeamCrew {\n  session(_id: "${sessionId}") {\n    _id\n    name\n    status\n    app {\n      name\n    }\n  }\n}\n`;

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ ide: { defaultHeaders, defaultQuery } });
});

afterAll(async () => {
  await gw?.stop();
});

/** The page's script and stylesheet URLs, in document order. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((url) => !url.startsWith('data:'));
}

describe('GET /graphql from a browser, over plain HTTP', () => {
  let html: string;
  let contentType: string | null;

  beforeAll(async () => {
    const response = await gw.get('/graphql', { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
    expect(response.status).toBe(200);
    html = response.text;
    contentType = response.headers.get('content-type');
  });

  it('answers with our GraphiQL page, not Apollo’s CDN landing page', () => {
    expect(contentType).toMatch(/^text\/html/);
    expect(html).toContain(`<title>${IDE_PAGE_TITLE}</title>`);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('id="graphiql"');
    expect(html.toLowerCase()).not.toContain('cdn');
    expect(html).not.toContain('apollographql.com');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}\//i); // no protocol-relative URL either
  });

  it('has no inline script: every script has a same-origin src, except the JSON config block', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThanOrEqual(5);
    for (const [, attributes, body] of scripts) {
      if (attributes.includes('type="application/json"')) continue;
      expect(attributes).toMatch(/\bsrc="\/graphql\/ide\/[^"]+\.js"/);
      expect(body).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+=/i); // no inline event handlers
    const policy = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).not.toContain('unsafe-eval');
  });

  it('carries its settings as JSON: endpoint, introspection, default headers and query', () => {
    const json = /<script type="application\/json" id="ide-config">([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(json).toBeDefined();
    const config = JSON.parse(json!);
    expect(config).toMatchObject({ endpoint: '/graphql', introspection: true, defaultHeaders, defaultQuery });
  });

  it('serves React 18, ReactDOM, GraphiQL, graphql-ws and its own script and style from /graphql/ide/ with long cache headers', async () => {
    const urls = assetUrls(html);
    expect(urls).toHaveLength(7);
    const expected: Array<[RegExp, RegExp]> = [
      [/\/graphiql\.min\.[0-9a-f]{16}\.css$/, /^text\/css/],
      [/\/ide\.[0-9a-f]{16}\.css$/, /^text\/css/],
      [/\/react\.production\.min\.[0-9a-f]{16}\.js$/, /^text\/javascript/],
      [/\/react-dom\.production\.min\.[0-9a-f]{16}\.js$/, /^text\/javascript/],
      [/\/graphiql\.min\.[0-9a-f]{16}\.js$/, /^text\/javascript/],
      [/\/graphql-ws\.min\.[0-9a-f]{16}\.js$/, /^text\/javascript/],
      [/\/ide\.[0-9a-f]{16}\.js$/, /^text\/javascript/],
    ];
    for (const [index, url] of urls.entries()) {
      const [name, type] = expected[index];
      expect(url).toMatch(name);
      expect(url.startsWith('/graphql/ide/')).toBe(true);
      const response = await gw.get(url);
      expect({ url, status: response.status }).toEqual({ url, status: 200 });
      expect(response.headers.get('content-type')).toMatch(type);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.text.length).toBeGreaterThan(100);
      // nothing these files fetch by themselves lives elsewhere: fonts are data: URLs, no @import
      if (url.endsWith('.css')) {
        expect(response.text).not.toMatch(/@import|url\(\s*['"]?(?:https?:)?\/\//);
      }
    }
    const assets = loadIdeAssets();
    expect((await gw.get(assets.react.url)).text).toContain('React');
    expect((await gw.get(assets.graphiqlScript.url)).text).not.toContain('sourceMappingURL');
  });

  it('compresses the assets for clients that accept gzip and answers 304 to a matching If-None-Match', async () => {
    const { graphiqlScript } = loadIdeAssets();
    const response = await fetch(gw.url + graphiqlScript.url); // Node's fetch asks for gzip and decodes it
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('vary')).toMatch(/accept-encoding/i);
    expect((await response.arrayBuffer()).byteLength).toBe(graphiqlScript.body.length);
    const etag = response.headers.get('etag')!;
    // (fetch adds "Cache-Control: no-cache", which forbids a 304, to conditional requests unless told otherwise)
    const again = await fetch(gw.url + graphiqlScript.url, { headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } });
    expect(again.status).toBe(304);
  });

  it('answers 404 (not a GraphQL error) for an unknown file under /graphql/ide/', async () => {
    for (const file of ['/graphql/ide/nope.js', '/graphql/ide/react.production.min.js', '/graphql/ide/', '/graphql/ide/a/b']) {
      const response = await gw.get(file);
      expect({ file, status: response.status }).toEqual({ file, status: 404 });
      expect(JSON.parse(response.text)).toEqual({ message: 'Not found', code: 404 });
    }
  });

  it('leaves GraphQL over HTTP alone: JSON GETs and POSTs, and CSRF prevention', async () => {
    const get = await gw.get('/graphql?query=%7B__typename%7D', { accept: 'application/json', 'apollo-require-preflight': 'true' });
    expect(get.status).toBe(200);
    expect(JSON.parse(get.text)).toEqual({ data: { __typename: 'Query' } });
    const csrf = await gw.get('/graphql?query=%7B__typename%7D', { accept: 'application/json' });
    expect(csrf.status).toBe(400);
    const post = await gw.graphql(`{ session(_id: "${sessionId}") { name } }`, undefined, memberToken);
    expect(post.body).toEqual({ data: { session: { name: 'Team crew run' } } });
  });

  it('tells GraphiQL not to ask for the schema when introspection is off', () => {
    const page = renderIdePage(loadIdeAssets(), { endpoint: '/graphql', introspection: false });
    const config = JSON.parse(/id="ide-config">([\s\S]*?)<\/script>/.exec(page)![1]);
    expect(config.introspection).toBe(false);
    expect(config.defaultHeaders).toBe(''); // no token outside the demo
    expect(config.defaultQuery).toMatch(/Authorization/);
  });

  it('keeps the config block inside its script element, whatever the defaults contain', () => {
    const page = renderIdePage(loadIdeAssets(), { endpoint: '/graphql', introspection: true, defaultQuery: '# </script><script>alert(1)</script>\n{ a }' });
    expect(page.match(/<\/script>/g)).toHaveLength(6);
    const config = JSON.parse(/id="ide-config">([\s\S]*?)<\/script>/.exec(page)![1]);
    expect(config.defaultQuery).toBe('# </script><script>alert(1)</script>\n{ a }');
  });
});

describe('GraphiQL in Chromium (no request leaves 127.0.0.1)', () => {
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  const requests: Request[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (npm test's pretest does)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    // playwright gives the browser a fresh, temporary --user-data-dir and removes it on close
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 20_000 });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    context.setDefaultTimeout(15_000);
    context.on('request', (request) => requests.push(request));
    // Belt and braces: anything for another host is recorded above, then refused, never sent.
    await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient')));
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console.${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('renders GraphiQL, runs the default query with the default headers, and shows the docs', async () => {
    const response = await page.goto(`${gw.url}/graphql`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    // helmet's Content-Security-Policy header is on, next to the page's meta policy: GraphiQL works under both
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(await page.title()).toBe(IDE_PAGE_TITLE);

    // GraphiQL is up, with the default query and the default headers in their editors
    await page.locator('.graphiql-container').waitFor();
    await page.locator('.graphiql-query-editor', { hasText: 'TeamCrew' }).waitFor();
    await page.locator('.graphiql-editor-tool', { hasText: 'Bearer' }).waitFor();

    // run it: the result pane shows the session
    await page.getByRole('button', { name: /^Execute query/ }).click();
    await page.locator('.graphiql-response', { hasText: 'Team crew run' }).waitFor();

    // the docs explorer lists Query's fields (introspection worked)
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await page.locator('.graphiql-doc-explorer .graphiql-doc-explorer-type-name', { hasText: /^Query$/ }).first().click();
    await page.locator('.graphiql-doc-explorer-title', { hasText: /^Query$/ }).waitFor();
    const fields = await page.locator('.graphiql-doc-explorer .graphiql-doc-explorer-field-name').allTextContents();
    expect(fields).toEqual(expect.arrayContaining(['session', 'sessions', 'viewer']));

    await page.screenshot({ path: SCREENSHOT });

    // every request stayed on the gateway; the GraphQL ones were JSON POSTs with the default token
    const urls = requests.map((request) => request.url());
    const elsewhere = urls.filter((url) => new URL(url).hostname !== '127.0.0.1');
    expect(elsewhere).toEqual([]);
    expect(urls.every((url) => url.startsWith(gw.url + '/'))).toBe(true);
    const graphqlPosts = requests.filter((request) => request.method() === 'POST');
    const operations: Record<string, Record<string, string>> = {};
    for (const request of graphqlPosts) {
      expect(request.url()).toBe(`${gw.url}/graphql`);
      const headers = await request.allHeaders(); // headers() leaves out Authorization
      expect(headers['content-type']).toBe('application/json');
      operations[JSON.parse(request.postData() ?? '{}').operationName] = headers;
    }
    expect(Object.keys(operations).sort()).toEqual(['IntrospectionQuery', 'TeamCrew']);
    expect(operations.TeamCrew.authorization).toBe(`Bearer ${memberToken}`);
    // GraphiQL 4 introspects on mount, before its headers editor exists: that request goes without
    // the default headers (introspection needs no token here), any later one with the editor's.
    expect([undefined, `Bearer ${memberToken}`]).toContain(operations.IntrospectionQuery.authorization);
    // no CSP violation, no failed load, no script error
    expect(problems).toEqual([]);
  }, 60_000);

  it('runs a subscription over WebSocket and shows each event as it comes', async () => {
    await page.goto(`${gw.url}/graphql`, { waitUntil: 'load' });
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
    const subscription = `subscription Watch {\n  sessionUpdated(_id: "${sessionId}") {\n    name\n    status\n  }\n}\n`;
    await page.locator('.graphiql-query-editor .CodeMirror').first().evaluate((editor, text) => (editor as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(text), subscription);
    // GraphiQL picks the operation name up from the edited document after a short debounce
    await page.waitForTimeout(1000);
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    await page.getByRole('button', { name: /^Execute query/ }).click();
    await page.locator('.graphiql-response', { hasText: 'RUNNING' }).waitFor();
    const stored = (await gw.db.collection('sessions').findOne({ _id: fixtures.sessions.teamCrew }))!;
    try {
      await gw.db.collection('sessions').updateOne({ _id: fixtures.sessions.teamCrew }, { $set: { status: 'waiting' } });
      await page.locator('.graphiql-response', { hasText: 'WAITING' }).waitFor({ timeout: 5000 });
    } finally {
      await gw.db.collection('sessions').updateOne({ _id: fixtures.sessions.teamCrew }, { $set: { status: stored.status } });
    }
    expect(sockets).toEqual([`${gw.url.replace('http', 'ws')}/graphql`]);
    expect(problems).toEqual([]);
  }, 60_000);

  it('sends an anonymous subscription written after a fragment over WebSocket too, and names the close of a refused connection', async () => {
    await page.goto(`${gw.url}/graphql`, { waitUntil: 'load' });
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
    const setEditor = (selector: string, text: string, holding?: string) =>
      page.locator(selector, holding ? { hasText: holding } : {}).first().evaluate((editor, value) => (editor as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(value), text);
    await setEditor('.graphiql-query-editor .CodeMirror', `fragment Seen on Session {\n  name\n  status\n}\n\nsubscription {\n  sessionUpdated(_id: "${sessionId}") {\n    ...Seen\n  }\n}\n`);
    await page.waitForTimeout(1000);
    await page.getByRole('button', { name: /^Execute query/ }).click();
    await page.locator('.graphiql-response', { hasText: 'RUNNING' }).waitFor();

    // a token the gateway refuses: the connection closes with 4403, which the result pane names
    await page.getByRole('button', { name: /^Stop/ }).click().catch(() => undefined);
    await setEditor('.graphiql-editor-tool .CodeMirror', '{"Authorization": "Bearer not-a-valid-token"}', 'Authorization');
    await page.waitForTimeout(500);
    await page.getByRole('button', { name: /^Execute query/ }).click();
    await page.locator('.graphiql-response', { hasText: 'The connection closed (4403: Invalid, expired or unknown credentials)' }).waitFor();
  }, 60_000);
});
