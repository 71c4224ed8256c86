/**
 * The legacy `.json` routes, byte for byte (CONTRACT §4). Success bodies are compared with the golden
 * files in test/golden/rest (the csrf value, new on every call, is checked by pattern and replaced by
 * "<csrf>"); error bodies with the expected text inline. Golden files were written from a run and then
 * read against the contract; `UPDATE_GOLDEN=1` rewrites them after a deliberate change.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { faultOnReadsOf } from './support/faults';
import { startTestGateway, type HttpResult, type TestGateway } from './support/gateway';

const GOLDEN_DIR = path.join(__dirname, 'golden', 'rest');
const CSRF = /^\{"csrf":"([0-9A-Za-z]{8}-[A-Za-z0-9_-]{27})",/;

let gw: TestGateway;
const logLines: Array<Record<string, any>> = [];
const fault = faultOnReadsOf('accounts');
beforeAll(async () => {
  gw = await startTestGateway({ fault, logLevel: 'warn', logStream: { write: (chunk: string) => void logLines.push(...chunk.split('\n').filter(Boolean).map((line) => JSON.parse(line))) } });
});
afterAll(() => gw.stop());

const auth = (account: Parameters<TestGateway['tokenFor']>[0]) => ({ authorization: `Bearer ${gw.tokenFor(account)}` });
const sessionPath = (team: ObjectId, session: ObjectId) => `/${team.toHexString()}/session/${session.toHexString()}.json`;

/** The body with its csrf value (checked) replaced by a placeholder. */
function withoutCsrf(response: HttpResult): string {
  expect(response.text).toMatch(CSRF);
  return response.text.replace(CSRF, '{"csrf":"<csrf>",');
}

function expectGolden(name: string, response: HttpResult): void {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  const actual = withoutCsrf(response);
  const file = path.join(GOLDEN_DIR, `${name}.json`);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual + '\n');
  expect(actual).toBe(readFileSync(file, 'utf8').trimEnd());
}

function expectError(response: HttpResult, status: number, body: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(response.text).toBe(body);
}

describe('success bodies', () => {
  it('a chat app: the agent, its tools and models, variables always set, the agent’s avatar', async () => {
    const f = gw.fixtures;
    const response = await gw.get(sessionPath(f.teams.acmeMain, f.sessions.publicChat), auth('member'));
    expectGolden('chat-session', response);
    const body = JSON.parse(response.text);
    expect(Object.keys(body)).toEqual(['csrf', 'session', 'app', 'avatarMap', 'tasks', 'tools', 'agents', 'models', 'datasources']);
    expect(body.avatarMap).toEqual({ 'support bot': 'support.png' });
    expect(body.app.variables).toEqual([{ name: 'language', defaultValue: expect.anything(), id: f.variables.language.toHexString() }]);
  });

  it('a crew app: crew appended, task variables once then agent variables with repeats, an agent without icon left out', async () => {
    const f = gw.fixtures;
    const response = await gw.get(sessionPath(f.teams.acmeMain, f.sessions.teamCrew), auth('member'));
    expectGolden('crew-session', response);
    const body = JSON.parse(response.text);
    const appKeys = Object.keys(body.app);
    expect(appKeys.slice(-2)).toEqual(['crew', 'variables']);
    // tasks: research [topic], draft [audience, topic] -> topic, audience; agents: researcher
    // [topic, audience], writer [tone, topic], appended as they come
    expect(body.app.variables.map((v: { name: string }) => v.name)).toEqual(['topic', 'audience', 'topic', 'audience', 'tone', 'topic']);
    expect(body.avatarMap).toEqual({ researcher: 'researcher.png' });
    expect(body.tasks.map((t: { name: string }) => t.name)).toEqual(['Research', 'Draft', 'Review']);
    expect(body.tools.map((t: { name: string }) => t.name)).toEqual(['Docs search', 'Search Wikipedia', 'Publish post']);
    expect(body.models.map((m: { name: string }) => m.name)).toEqual(['GPT-4o', 'Claude', 'Embedder']);
    // secrets are removed, not blanked, and nothing else is
    expect(body.models[0]).not.toHaveProperty('config');
    expect(body.datasources[0]).not.toHaveProperty('connectionSettings');
    expect(body.tools[2].data).not.toHaveProperty('environmentVariables');
    expect(body.tools[2].data).toHaveProperty('parameters');
    for (const secret of f.secrets) expect(response.text).not.toContain(secret);
  });

  it('a session whose app was deleted: null app, no crew, empty lists', async () => {
    const f = gw.fixtures;
    expectGolden('deleted-app-session', await gw.get(sessionPath(f.teams.acmeMain, f.sessions.deletedApp), auth('member')));
  });

  it('a crew app whose crew is missing: no crew key, no variables, no tasks or agents', async () => {
    const f = gw.fixtures;
    const response = await gw.get(sessionPath(f.teams.acmeMain, f.sessions.missingCrew), auth('member'));
    expectGolden('missing-crew-session', response);
    expect(JSON.parse(response.text).app).not.toHaveProperty('crew');
  });

  const EMPTY = '{"csrf":"<csrf>","session":null,"app":null,"avatarMap":{},"tasks":[],"tools":[],"agents":[],"models":[],"datasources":[]}';

  it('a missing session: 200 with nulls and empty lists', async () => {
    const response = await gw.get(sessionPath(gw.fixtures.teams.acmeMain, new ObjectId()), auth('member'));
    expect(response.status).toBe(200);
    expect(withoutCsrf(response)).toBe(EMPTY);
  });

  it('a session of another team asked for under this team: as missing', async () => {
    const f = gw.fixtures;
    const response = await gw.get(sessionPath(f.teams.acmeMain, f.sessions.globexSession), auth('owner'));
    expect(response.status).toBe(200);
    expect(withoutCsrf(response)).toBe(EMPTY);
  });

  it('a public session on the share route, without credentials: the same body', async () => {
    const f = gw.fixtures;
    const shared = await gw.get(`/s${sessionPath(f.teams.acmeMain, f.sessions.publicChat)}`);
    expectGolden('chat-session', shared);
  });
});

describe('error rows', () => {
  const f = () => gw.fixtures;

  it('400 for a resourceSlug that is not 24 lowercase hex, uppercase included', async () => {
    const body = '{"message":"Invalid resourceSlug: expected 24 lowercase hex characters","code":400}';
    const upper = f().teams.acmeMain.toHexString().toUpperCase().replace(/^\d/, 'A');
    for (const slug of [upper, 'abc', f().teams.acmeMain.toHexString() + '0', 'zzzzzzzzzzzzzzzzzzzzzzzz']) {
      expectError(await gw.get(`/${slug}/session/${f().sessions.teamCrew.toHexString()}.json`, auth('member')), 400, body);
    }
  });

  it('400 for a sessionId that is not 24 lowercase hex, uppercase included', async () => {
    const body = '{"message":"Invalid sessionId: expected 24 lowercase hex characters","code":400}';
    const team = f().teams.acmeMain.toHexString();
    for (const id of ['65A475B40000000000000034', '65a475b4000000000000003', '%7B%22%24ne%22%3Anull%7D']) {
      expectError(await gw.get(`/${team}/session/${id}.json`, auth('member')), 400, body);
    }
  });

  it('401 without credentials, and with a token that is not valid, with WWW-Authenticate', async () => {
    const p = sessionPath(f().teams.acmeMain, f().sessions.teamCrew);
    const none = await gw.get(p);
    expectError(none, 401, '{"message":"Authentication is required","code":401}');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const bad = await gw.get(p, { authorization: `Bearer ${gw.tokenFor('member')}x` });
    expectError(bad, 401, '{"message":"The token is not valid","code":401}');
    expect(bad.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('403 for a caller who is not a member of the resourceSlug, admins included', async () => {
    const body = '{"message":"Invalid permissions on the resourceSlug","code":403}';
    const p = sessionPath(f().teams.acmeMain, f().sessions.teamCrew);
    expectError(await gw.get(p, auth('outsider')), 403, body);
    expectError(await gw.get(p, auth('orgAdmin')), 403, body); // ORG_ADMIN of acme, not a member of acmeMain
  });

  it('403 for a member whom the session’s sharing mode denies', async () => {
    const p = sessionPath(f().teams.acmeMain, f().sessions.ownerMode);
    expectError(await gw.get(p, auth('member')), 403, '{"message":"You do not have permission to read this session","code":403}');
    expect((await gw.get(p, auth('appCreator'))).status).toBe(200);
  });

  it('404 on the share route for a session that is not public, or missing, whatever the token', async () => {
    const body = '{"message":"Session not found","code":404}';
    expectError(await gw.get(`/s${sessionPath(f().teams.acmeMain, f().sessions.teamCrew)}`), 404, body);
    expectError(await gw.get(`/s${sessionPath(f().teams.acmeMain, f().sessions.teamCrew)}`, auth('owner')), 404, body);
    expectError(await gw.get(`/s${sessionPath(f().teams.acmeMain, new ObjectId())}`), 404, body);
    expectError(await gw.get(`/s${sessionPath(f().teams.globexMain, f().sessions.publicChat)}`), 404, body);
  });

  it('500 without a stack trace, with the request id (logged with the error) in the header and the message', async () => {
    // a defect while reading the caller's account
    fault.failing = true;
    try {
      const response = await gw.get(sessionPath(f().teams.acmeMain, f().sessions.teamCrew), auth('member'));
      const requestId = response.headers.get('x-request-id');
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expectError(response, 500, `{"message":"Internal server error (request id ${requestId})","code":500}`);
      // the defect in full in the log, once, under the id the caller was given
      expect(logLines.filter((line) => line.requestId === requestId)).toEqual([
        expect.objectContaining({ level: 50, msg: 'unexpected error while serving a legacy .json route', err: expect.objectContaining({ message: 'a defect injected by the test into the reads of accounts', stack: expect.any(String) }) }),
      ]);
    } finally {
      fault.failing = false;
    }
  });
});

// Last: it stops the database.
describe('database unreachable', () => {
  it('503 with Retry-After, within 10 s', async () => {
    await gw.mongo.stop();
    const started = Date.now();
    const response = await gw.get(sessionPath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions.teamCrew), auth('member'));
    expect(Date.now() - started).toBeLessThan(10_000);
    expectError(response, 503, '{"message":"The database is unreachable; retry shortly","code":503}');
    expect(response.headers.get('retry-after')).toBe('5');
  });
});
