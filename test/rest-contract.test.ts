/**
 * The legacy REST routes against their contract (CONTRACT §4) and the published API page
 * (test/spec/retrieve-session.openapi.md): the body's schema, a constant number of database commands
 * whatever the size of the crew, the csrf token, HTTP caching headers, the public share route and
 * request ids. Everything runs against the real gateway on the embedded database; expected values are
 * written by hand from the contract and the named fixtures (src/seed/named.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';
import { ObjectId, type Document } from 'mongodb';
import { createCsrfToken, csrfSecret, verifyCsrfToken } from '../src/rest-compat/csrf';
import type { TeamScope } from '../src/seed/context';
import { agentDoc, appDoc, crewDoc, sessionDoc, taskDoc, variableDoc } from '../src/seed/documents';
import { startTestGateway, TEST_JWT_SECRET, type HttpResult, type TestGateway } from './support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ scale: 0 });
});
afterAll(() => gw.stop());

const hex = (id: ObjectId) => id.toHexString();
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const teamPath = (team: ObjectId | string, session: ObjectId | string) =>
  `/${typeof team === 'string' ? team : hex(team)}/session/${typeof session === 'string' ? session : hex(session)}.json`;
const sharePath = (team: ObjectId | string, session: ObjectId | string) => `/s${teamPath(team, session)}`;

const OBJECT_ID = /^[a-f0-9]{24}$/;
const CSRF = /^[0-9A-Za-z]{8}-[A-Za-z0-9_-]{27}$/;
const BODY_KEYS = ['csrf', 'session', 'app', 'avatarMap', 'tasks', 'tools', 'agents', 'models', 'datasources'];
/** A syntactically valid JWT signed with another secret. */
const FORGED_TOKEN = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhY2NvdW50SWQiOiIwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAifQ.c2lnbmF0dXJl';

/** GETs as the member of acmeMain (a plain member, no admin bit). */
const asMember = (path: string) => gw.get(path, bearer(gw.tokenFor('member')));
const json = (result: HttpResult) => JSON.parse(result.text);

// ---------------------------------------------------------------------------------------------------
// 1. The published API page's schemas
// ---------------------------------------------------------------------------------------------------

interface OpenApiPage {
  paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: Document }> }> } }>;
  components: { schemas: Record<string, Document> };
}

/** The YAML block of the committed copy of the published page. */
function loadApiPage(): OpenApiPage {
  const markdown = readFileSync(join(__dirname, 'spec', 'retrieve-session.openapi.md'), 'utf8');
  const block = /````yaml[^\n]*\n([\s\S]*?)\n````/.exec(markdown);
  if (!block) throw new Error('no yaml block in the API page');
  return yaml.load(block[1]) as OpenApiPage;
}

/** `#/components/schemas/X` → `components#/definitions/X`, the ajv schema the components are added as. */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' ? value.replace('#/components/schemas/', 'components#/definitions/') : rewriteRefs(value),
    ]));
  }
  return node;
}

const page = loadApiPage();
const ROUTE = '/{resourceSlug}/session/{sessionId}.json';
const components = structuredClone(page.components.schemas);
// The one deliberate reading of the page: it says `type: object` for these two dates (a JavaScript
// Date on the webapp's side), but JSON can only carry them as ISO-8601 strings, and that is what the
// webapp's res.json and the gateway send (CONTRACT §4 "JSON values"; the README notes it too).
components.Session.properties.startDate = { type: 'string', format: 'date-time' };
components.Session.properties.lastUpdatedDate = { type: 'string', format: 'date-time' };

// strict, but for strictTypes: the page's 200, Session and dynamicResponse schemas give `properties`
// without `type: object` (allowed by JSON Schema; they then only constrain objects). The tests below
// check that the body and the session are objects on their own, rather than patching the page further.
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
addFormats(ajv);
ajv.addSchema({ $id: 'components', definitions: rewriteRefs(components) });
const responseSchema = (status: string, contentType: string) =>
  rewriteRefs(page.paths[ROUTE].get.responses[status].content[contentType].schema) as Document;
const validateSuccess = ajv.compile(responseSchema('200', 'session.json'));
const validateSession = ajv.compile({ $ref: 'components#/definitions/Session' });
const validate400 = ajv.compile(responseSchema('400', 'dynamicResponse'));
const validate403 = ajv.compile(responseSchema('403', 'dynamicResponse'));

const isPlainObject = (value: unknown) => Object.prototype.toString.call(value) === '[object Object]';

function expectValid(validate: ValidateFunction, value: unknown): void {
  const ok = validate(value);
  expect(ajv.errorsText(validate.errors)).toBe('No errors');
  expect(ok).toBe(true);
}

describe('the published API page', () => {
  it('reads the page’s schemas as the test expects them', () => {
    expect(page.components.schemas.Session.properties.startDate).toMatchObject({ type: 'object' }); // patched above
    expect(page.components.schemas.Session.required).toEqual(
      ['orgId', 'teamId', 'name', 'startDate', 'lastUpdatedDate', 'tokensUsed', 'status', 'sharingConfig']);
    expect(responseSchema('200', 'session.json').properties.session).toMatchObject({ $ref: 'components#/definitions/Session' });
  });

  // The patch is not a blanket pass: a stored date that came out as an object would fail.
  it('rejects a body whose date is not an ISO-8601 string (a control for the patch)', async () => {
    const body = json(await asMember(teamPath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions.teamCrew)));
    expect(validateSession({ ...body.session, startDate: {} })).toBe(false);
    expect(validateSession({ ...body.session, startDate: 'yesterday' })).toBe(false);
    const { tokensUsed: _dropped, ...withoutTokens } = body.session;
    expect(validateSession(withoutTokens)).toBe(false);
    expect(validateSession({ ...body.session, status: 'paused' })).toBe(false);
    expect(validateSession({ ...body.session, teamId: 42 })).toBe(false);
    // and through the 200 schema's $ref, so the success checks below do reach Session
    expect(validateSuccess({ ...body, session: { ...body.session, startDate: {} } })).toBe(false);
    expect(validateSuccess({ ...body, csrf: 42 })).toBe(false);
  });

  describe.each(['teamCrew', 'publicChat'] as const)('the %s session', (key) => {
    let result: HttpResult;
    let body: any;
    beforeAll(async () => {
      result = await asMember(teamPath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions[key]));
      body = json(result);
    });

    it('answers 200 with the contract’s keys in order', () => {
      expect(result.status).toBe(200);
      expect(Object.keys(body)).toEqual(BODY_KEYS);
    });

    it('validates against the 200 response schema of the page', () => {
      expect(isPlainObject(body)).toBe(true);
      expectValid(validateSuccess, body);
    });

    it('has a session that validates against components.schemas.Session, required fields included', () => {
      expect(isPlainObject(body.session)).toBe(true);
      expectValid(validateSession, body.session);
      for (const field of page.components.schemas.Session.required as string[]) expect(body.session).toHaveProperty(field);
      expect(body.session._id).toBe(hex(gw.fixtures.sessions[key]));
    });

    it('spells every id as 24 lowercase hex characters and dates as ISO-8601 with milliseconds', () => {
      for (const field of ['_id', 'orgId', 'teamId', 'appId']) expect(body.session[field]).toMatch(OBJECT_ID);
      for (const field of ['startDate', 'lastUpdatedDate']) expect(body.session[field]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(body.app._id).toMatch(OBJECT_ID);
      for (const list of ['tasks', 'tools', 'agents', 'models', 'datasources']) {
        for (const doc of body[list]) expect(doc._id).toMatch(OBJECT_ID);
      }
    });
  });

  it('validates the empty body of a missing session (session null) against the 200 schema', async () => {
    const result = await asMember(teamPath(gw.fixtures.teams.acmeMain, new ObjectId()));
    expect(result.status).toBe(200);
    const body = json(result);
    expect(body).toEqual({ csrf: expect.stringMatching(CSRF), session: null, app: null, avatarMap: {}, tasks: [], tools: [], agents: [], models: [], datasources: [] });
    expectValid(validateSuccess, body);
  });

  describe('error bodies', () => {
    const f = () => gw.fixtures;
    it.each([
      ['an uppercase resourceSlug', () => teamPath(hex(f().teams.acmeMain).toUpperCase(), f().sessions.teamCrew), 'resourceSlug'],
      ['a 23-character sessionId', () => teamPath(f().teams.acmeMain, hex(f().sessions.teamCrew).slice(1)), 'sessionId'],
      ['a sessionId that is not hex', () => teamPath(f().teams.acmeMain, 'zzzzzzzzzzzzzzzzzzzzzzzz'), 'sessionId'],
    ])('answers %s with 400 and a dynamicResponse naming the parameter', async (_case, path, parameter) => {
      const result = await asMember(path());
      expect(result.status).toBe(400);
      const body = json(result);
      expectValid(validate400, body);
      expect(body).toEqual({ message: expect.stringContaining(parameter), code: 400 });
    });

    it('answers a non-member of the resourceSlug with 403 and the webapp’s message', async () => {
      const result = await gw.get(teamPath(f().teams.acmeMain, f().sessions.teamCrew), bearer(gw.tokenFor('outsider')));
      expect(result.status).toBe(403);
      const body = json(result);
      expectValid(validate403, body);
      expect(body).toEqual({ message: 'Invalid permissions on the resourceSlug', code: 403 });
    });

    it('answers a member whom the session’s sharing denies with 403', async () => {
      const result = await asMember(teamPath(f().teams.acmeMain, f().sessions.ownerMode));
      expect(result.status).toBe(403);
      const body = json(result);
      expectValid(validate403, body);
      expect(body).toEqual({ message: expect.any(String), code: 403 });
    });

    it.each(['root', 'orgAdmin'] as const)('answers %s, an admin bit without membership of the resourceSlug, with 403', async (account) => {
      const result = await gw.get(teamPath(f().teams.acmeMain, f().sessions.teamCrew), bearer(gw.tokenFor(account)));
      expect(result.status).toBe(403);
      expect(json(result)).toEqual({ message: 'Invalid permissions on the resourceSlug', code: 403 });
    });

    it('answers a session of another team, asked under the caller’s team, with the empty 200 body', async () => {
      const result = await asMember(teamPath(f().teams.acmeMain, f().sessions.globexSession));
      expect(result.status).toBe(200);
      expect(json(result)).toMatchObject({ session: null, app: null, avatarMap: {}, tasks: [], tools: [], agents: [], models: [], datasources: [] });
      expect(result.text).not.toMatch(/Globex/);
    });

    it('sends error bodies as application/json; charset=utf-8', async () => {
      for (const result of [
        await asMember(teamPath('nope', f().sessions.teamCrew)),
        await gw.get(teamPath(f().teams.acmeMain, f().sessions.teamCrew)),
        await asMember(teamPath(f().teams.acmeMain, f().sessions.ownerMode)),
        await gw.get(sharePath(f().teams.acmeMain, f().sessions.teamCrew)),
      ]) {
        expect(result.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(result.text).toBe(JSON.stringify(JSON.parse(result.text)));
      }
    });

    it('answers a caller without credentials with 401, code 401 and WWW-Authenticate: Bearer', async () => {
      const result = await gw.get(teamPath(f().teams.acmeMain, f().sessions.teamCrew));
      expect(result.status).toBe(401);
      expect(result.headers.get('www-authenticate')).toBe('Bearer');
      expect(json(result)).toEqual({ message: expect.any(String), code: 401 });
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// 2. Database commands per request do not grow with the crew
// ---------------------------------------------------------------------------------------------------

const CREW_SIZES = [5, 20, 50] as const;
/** Each task and each agent gets this many variables of its own. */
const VARIABLES_PER_MEMBER = 2;

/**
 * What the Agentcloud webapp's own handler for the same URL issues, for comparison: one query per task,
 * per agent and per variable, plus the crew, the app and the session, plus about six reads in its auth
 * middleware (account, org, team, …). With the crews below, V = 2 variables × (n tasks + n agents):
 *   n = 5:  5 + 5 + 20 + 3 = 33 (+~6 = ~39)
 *   n = 20: 20 + 20 + 80 + 3 = 123 (+~6 = ~129)
 *   n = 50: 50 + 50 + 200 + 3 = 303 (+~6 = ~309)
 * The gateway: 10 finds (one per collection) every time.
 */
const WEBAPP_AUTH_READS = 6;
const webappQueries = (n: number) => {
  const variables = VARIABLES_PER_MEMBER * (n + n);
  return n + n + variables + 3 + WEBAPP_AUTH_READS;
};
const WEBAPP_QUERIES = Object.fromEntries(CREW_SIZES.map((n) => [n, webappQueries(n)])); // { 5: 39, 20: 129, 50: 309 }
const GATEWAY_TEAM_ROUTE_READS = {
  'find accounts': 1, 'find sessions': 1, 'find apps': 1, 'find crews': 1, 'find tasks': 1, 'find agents': 1,
  'find tools': 1, 'find variables': 1, 'find datasources': 1, 'find models': 1,
};
/** The share route with no credentials reads no account. */
const { 'find accounts': _accounts, ...GATEWAY_ANONYMOUS_SHARE_READS } = GATEWAY_TEAM_ROUTE_READS;

interface SizedCrew {
  size: number;
  teamSession: ObjectId;
  publicSession: ObjectId;
  taskNames: string[];
  agentNames: string[];
  variableCount: number;
}

describe(`database commands per request (gateway: 10 finds; webapp: ${CREW_SIZES.map((n) => `${WEBAPP_QUERIES[n]} for ${n}`).join(', ')})`, () => {
  const crews: SizedCrew[] = [];
  const inserted: Record<string, ObjectId[]> = {};

  beforeAll(async () => {
    const f = gw.fixtures;
    const scope: TeamScope = { orgId: f.orgs.acme, teamId: f.teams.acmeMain };
    const docs: Record<string, Document[]> = { variables: [], agents: [], tasks: [], crews: [], apps: [], sessions: [] };
    for (const size of CREW_SIZES) {
      const variable = (label: string) => {
        const id = new ObjectId();
        docs.variables.push(variableDoc(id, scope, label, `${label} default`, `Variable ${label}`));
        return id;
      };
      const agentIds = Array.from({ length: size }, () => new ObjectId());
      const taskIds = Array.from({ length: size }, () => new ObjectId());
      agentIds.forEach((id, i) => docs.agents.push(agentDoc(id, scope, {
        name: `Agent ${size}-${i}`, role: 'Worker', goal: 'Work', backstory: 'Generated for the command count test.',
        modelId: f.models.gpt, functionModelId: i % 2 ? f.models.claude : null,
        toolIds: i % 2 ? [f.tools.builtinSearch] : [f.tools.ragTool, f.tools.builtinSearch],
        icon: i % 3 ? null : { id: new ObjectId(), filename: `agent-${size}-${i}.png`, linkedId: id },
        variableIds: [variable(`a${size}_${i}_x`), variable(`a${size}_${i}_y`)],
      })));
      taskIds.forEach((id, i) => docs.tasks.push(taskDoc(id, scope, {
        name: `Task ${size}-${i}`, description: 'Do step.', expectedOutput: 'Output',
        toolIds: i % 2 ? [f.tools.builtinSearch, f.tools.codeTool] : [f.tools.builtinSearch],
        agentId: agentIds[i], context: i > 0 ? [taskIds[i - 1]] : [],
        variableIds: [variable(`t${size}_${i}_x`), variable(`t${size}_${i}_y`)],
      })));
      const crewId = new ObjectId();
      docs.crews.push(crewDoc(crewId, scope, {
        name: `Crew of ${size}`, tasks: taskIds, agents: agentIds, process: 'sequential', managerModelId: f.models.claude,
      }));
      const appId = new ObjectId();
      docs.apps.push(appDoc(appId, scope, {
        createdBy: f.accounts.owner, name: `Crew app of ${size}`, description: 'Generated', tags: [], author: 'Olivia Owner',
        icon: null, sharingMode: 'team', kickOffVariablesIds: null, type: 'crew', crewId,
      }));
      const teamSession = new ObjectId();
      const publicSession = new ObjectId();
      docs.sessions.push(
        sessionDoc(teamSession, scope, { name: `Run of ${size}`, tokensUsed: size, status: 'running', appId, mode: 'team' }),
        sessionDoc(publicSession, scope, { name: `Shared run of ${size}`, tokensUsed: size, status: 'terminated', appId, mode: 'public' }),
      );
      crews.push({
        size, teamSession, publicSession,
        taskNames: taskIds.map((_, i) => `Task ${size}-${i}`),
        agentNames: agentIds.map((_, i) => `Agent ${size}-${i}`),
        variableCount: VARIABLES_PER_MEMBER * (size + size),
      });
    }
    for (const [collection, list] of Object.entries(docs)) {
      await gw.db.collection(collection).insertMany(list);
      inserted[collection] = list.map((doc) => doc._id);
    }
  });

  afterAll(async () => {
    for (const [collection, ids] of Object.entries(inserted)) await gw.db.collection(collection).deleteMany({ _id: { $in: ids } });
  });

  it('reads each collection once on the team route, for a crew of 5, 20 or 50 (the webapp: 39, 129, 309)', async () => {
    const token = gw.tokenFor('member');
    const counts = [];
    for (const crew of crews) {
      const { result, total, byName } = await gw.countCommands(() => gw.get(teamPath(gw.fixtures.teams.acmeMain, crew.teamSession), bearer(token)));
      expect(result.status).toBe(200);
      const body = json(result);
      expect(body.tasks.map((t: Document) => t.name)).toEqual(crew.taskNames);
      expect(body.agents.map((a: Document) => a.name)).toEqual(crew.agentNames);
      expect(body.app.crew.tasks).toHaveLength(crew.size);
      // tasks' variables first (each once), then agents' — all distinct here
      expect(body.app.variables).toHaveLength(crew.variableCount);
      expect(body.tools.map((t: Document) => t._id).sort()).toEqual(
        [gw.fixtures.tools.builtinSearch, gw.fixtures.tools.ragTool, gw.fixtures.tools.codeTool].map(hex).sort());
      expect(body.datasources).toHaveLength(1);
      // the secrets are removed, not blanked (CONTRACT §1), however large the body
      for (const secret of gw.fixtures.secrets) expect(result.text).not.toContain(secret);
      for (const model of body.models) expect(model).not.toHaveProperty('config');
      for (const tool of body.tools) expect(tool.data).not.toHaveProperty('environmentVariables');
      expect(body.datasources[0]).not.toHaveProperty('connectionSettings');
      expect(byName).toEqual(GATEWAY_TEAM_ROUTE_READS);
      counts.push(total);
    }
    expect(counts).toEqual([10, 10, 10]);
  });

  it('reads each collection once on the public share route too, anonymous (9 finds) or with a token (10)', async () => {
    const anonymous = [];
    const withToken = [];
    for (const crew of crews) {
      const path = sharePath(gw.fixtures.teams.acmeMain, crew.publicSession);
      const a = await gw.countCommands(() => gw.get(path));
      expect(a.result.status).toBe(200);
      const body = json(a.result);
      expect(body.tasks).toHaveLength(crew.size);
      expect(body.agents).toHaveLength(crew.size);
      expect(a.byName).toEqual(GATEWAY_ANONYMOUS_SHARE_READS);
      anonymous.push(a.total);
      const t = await gw.countCommands(() => gw.get(path, bearer(gw.tokenFor('outsider'))));
      expect(t.result.status).toBe(200);
      expect(t.byName).toEqual(GATEWAY_TEAM_ROUTE_READS);
      withToken.push(t.total);
    }
    expect(anonymous).toEqual([9, 9, 9]);
    expect(withToken).toEqual([10, 10, 10]);
  });
});

// ---------------------------------------------------------------------------------------------------
// 3. The csrf token
// ---------------------------------------------------------------------------------------------------

describe('csrf tokens', () => {
  const memberHex = () => hex(gw.fixtures.accounts.member);
  const otherHex = () => hex(gw.fixtures.accounts.outsider);
  const secret = () => csrfSecret(TEST_JWT_SECRET, memberHex());

  it('puts a well-formed token, new on every call, on every success response', async () => {
    const path = teamPath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions.teamCrew);
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) tokens.push(json(await asMember(path)).csrf);
    tokens.push(json(await asMember(teamPath(gw.fixtures.teams.acmeMain, new ObjectId()))).csrf); // the empty body
    tokens.push(json(await gw.get(sharePath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions.publicChat))).csrf);
    for (const token of tokens) expect(token).toMatch(CSRF);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('verifies a token it made with the same secret', () => {
    const s = secret();
    for (let i = 0; i < 20; i++) expect(verifyCsrfToken(createCsrfToken(s), s)).toBe(true);
  });

  it('derives a different secret per account, and for anonymous callers, from the server secret', () => {
    const secrets = [csrfSecret(TEST_JWT_SECRET, memberHex()), csrfSecret(TEST_JWT_SECRET, otherHex()), csrfSecret(TEST_JWT_SECRET, null),
      csrfSecret('another-server-secret', memberHex())];
    expect(new Set(secrets).size).toBe(4);
    expect(csrfSecret(TEST_JWT_SECRET, memberHex())).toBe(secrets[0]); // deterministic: nothing stored
  });

  it('refuses a token made for another account, for anonymous, or under another server secret', () => {
    const token = createCsrfToken(secret());
    expect(verifyCsrfToken(token, csrfSecret(TEST_JWT_SECRET, otherHex()))).toBe(false);
    expect(verifyCsrfToken(token, csrfSecret(TEST_JWT_SECRET, null))).toBe(false);
    expect(verifyCsrfToken(token, csrfSecret('another-server-secret', memberHex()))).toBe(false);
    expect(verifyCsrfToken(createCsrfToken(csrfSecret(TEST_JWT_SECRET, null)), secret())).toBe(false);
  });

  it('refuses a tampered salt or hash', () => {
    const s = secret();
    const token = createCsrfToken(s);
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const salt = token.slice(0, 8);
    const digest = token.slice(9);
    expect(token[8]).toBe('-');
    expect(verifyCsrfToken(`${flip(salt[0])}${salt.slice(1)}-${digest}`, s)).toBe(false);
    expect(verifyCsrfToken(`${salt.slice(0, 7)}${flip(salt[7])}-${digest}`, s)).toBe(false);
    expect(verifyCsrfToken(`${salt}-${flip(digest[0])}${digest.slice(1)}`, s)).toBe(false);
    expect(verifyCsrfToken(`${salt}-${digest.slice(0, 26)}${flip(digest[26])}`, s)).toBe(false);
    expect(verifyCsrfToken(`${salt}_${digest}`, s)).toBe(false);
  });

  it('refuses a token of the wrong length', () => {
    const s = secret();
    const token = createCsrfToken(s);
    expect(verifyCsrfToken(`${token}A`, s)).toBe(false);
    expect(verifyCsrfToken(token.slice(0, -1), s)).toBe(false);
    expect(verifyCsrfToken(token.slice(1), s)).toBe(false);
    expect(verifyCsrfToken(`${token.slice(0, 8)}-${createHash('sha1').update(`${token.slice(0, 8)}-${s}`).digest('base64')}`, s)).toBe(false); // padded
    expect(verifyCsrfToken('', s)).toBe(false);
  });

  it('refuses a value that is not a string', () => {
    const s = secret();
    const token = createCsrfToken(s);
    for (const value of [undefined, null, 0, 12345678, true, {}, [token], { toString: () => token }, Buffer.from(token)]) {
      expect(verifyCsrfToken(value, s)).toBe(false);
    }
  });

  it('is the csrf package’s format: an 8-char salt, "-", unpadded base64url sha1 of salt-secret', () => {
    const s = secret();
    for (let i = 0; i < 20; i++) {
      const token = createCsrfToken(s);
      expect(token).toMatch(CSRF);
      const salt = token.slice(0, 8);
      const expected = createHash('sha1').update(`${salt}-${s}`).digest('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
      expect(token).toBe(`${salt}-${expected}`);
      expect(token).not.toContain('=');
    }
  });

  it('gives the caller a token that verifies with its own account’s secret (the JWT secret being the server secret)', async () => {
    const { csrf } = json(await asMember(teamPath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions.teamCrew)));
    expect(verifyCsrfToken(csrf, csrfSecret(TEST_JWT_SECRET, memberHex()))).toBe(true);
    expect(verifyCsrfToken(csrf, csrfSecret(TEST_JWT_SECRET, null))).toBe(false);
    expect(verifyCsrfToken(csrf, csrfSecret(TEST_JWT_SECRET, otherHex()))).toBe(false);
  });

  it('gives an anonymous caller of the share route a token of the anonymous secret', async () => {
    const { csrf } = json(await gw.get(sharePath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions.publicChat)));
    expect(verifyCsrfToken(csrf, csrfSecret(TEST_JWT_SECRET, null))).toBe(true);
    expect(verifyCsrfToken(csrf, csrfSecret(TEST_JWT_SECRET, memberHex()))).toBe(false);
  });

  it('gives a caller of the share route with a valid token the anonymous secret too (a token changes nothing)', async () => {
    const response = await gw.get(sharePath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions.publicChat), {
      authorization: `Bearer ${gw.tokenFor('member')}`,
    });
    const { csrf } = json(response);
    expect(verifyCsrfToken(csrf, csrfSecret(TEST_JWT_SECRET, null))).toBe(true);
    expect(verifyCsrfToken(csrf, csrfSecret(TEST_JWT_SECRET, memberHex()))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------
// 4. HTTP niceties
// ---------------------------------------------------------------------------------------------------

describe('HTTP headers, caching and the JSON text', () => {
  const path = () => teamPath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions.teamCrew);

  it('answers with Content-Type application/json; charset=utf-8 and Vary: Authorization', async () => {
    const result = await asMember(path());
    expect(result.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(result.headers.get('vary')).toMatch(/(^|,\s*)Authorization(\s*,|$)/i);
  });

  it('with CORS_ORIGINS, varies by Origin too, on 200 and on 304, with or without an Origin (it was dropped from Vary)', async () => {
    const origin = 'https://app.example.com';
    const cors = await startTestGateway({ scale: 0, app: { corsOrigins: [origin] } });
    try {
      const headers = { ...bearer(cors.tokenFor('member')), origin };
      const ok = await cors.get(teamPath(cors.fixtures.teams.acmeMain, cors.fixtures.sessions.teamCrew), headers);
      const again = await cors.get(teamPath(cors.fixtures.teams.acmeMain, cors.fixtures.sessions.teamCrew), { ...headers, 'if-none-match': ok.headers.get('etag')! });
      expect([ok.status, again.status]).toEqual([200, 304]);
      // without an Origin, or with one not allowed, the answer depends on it all the same
      const none = await cors.get(teamPath(cors.fixtures.teams.acmeMain, cors.fixtures.sessions.teamCrew), bearer(cors.tokenFor('member')));
      const other = await cors.get(teamPath(cors.fixtures.teams.acmeMain, cors.fixtures.sessions.teamCrew), { ...bearer(cors.tokenFor('member')), origin: 'https://elsewhere.example' });
      expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
      for (const result of [ok, again, none, other]) {
        expect(result.headers.get('vary')!.split(/\s*,\s*/).map((name) => name.toLowerCase()).sort()).toEqual(['authorization', 'origin']);
      }
    } finally {
      await cors.stop();
    }
  });

  it('ignores another route’s query parameter, as the webapp does; its own is still checked', async () => {
    const f = gw.fixtures;
    const session = teamPath(f.teams.acmeMain, f.sessions.teamCrew);
    const messages = `/${f.teams.acmeMain.toHexString()}/session/${f.sessions.teamCrew.toHexString()}/messages.json`;
    const sessions = `/${f.teams.acmeMain.toHexString()}/sessions.json`;
    const plain = await Promise.all([session, messages, sessions].map((path) => asMember(path)));
    const withOthers = await Promise.all([`${session}?before=zzz&messageId=zzz`, `${messages}?before=zzz`, `${sessions}?messageId=zzz`].map((path) => asMember(path)));
    expect(withOthers.map((result) => result.status)).toEqual([200, 200, 200]);
    expect(withOthers.map((result) => result.headers.get('etag'))).toEqual(plain.map((result) => result.headers.get('etag')));
    expect((await Promise.all([`${messages}?messageId=zzz`, `${sessions}?before=zzz`].map((path) => asMember(path)))).map((result) => result.status)).toEqual([400, 400]);
  });

  it('sends compact JSON: the text is what JSON.stringify gives for its own parse', async () => {
    for (const session of [gw.fixtures.sessions.teamCrew, gw.fixtures.sessions.publicChat]) {
      const { text } = await asMember(teamPath(gw.fixtures.teams.acmeMain, session));
      expect(text).toBe(JSON.stringify(JSON.parse(text)));
      expect(text).not.toMatch(/\n/);
      expect(text.startsWith('{"csrf":"')).toBe(true);
    }
  });

  it('gives the same weak ETag for the same data although the csrf token differs', async () => {
    const first = await asMember(path());
    const second = await asMember(path());
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/".+"$/);
    expect(second.headers.get('etag')).toBe(etag);
    expect(json(first).csrf).not.toBe(json(second).csrf);
  });

  it('changes the ETag when the data changes, and back when it is restored', async () => {
    const sessions = gw.db.collection('sessions');
    const id = gw.fixtures.sessions.teamCrew;
    const before = (await asMember(path())).headers.get('etag');
    const original = await sessions.findOne({ _id: id });
    await sessions.updateOne({ _id: id }, { $set: { name: 'Renamed run' } });
    try {
      const renamed = await asMember(path());
      expect(json(renamed).session.name).toBe('Renamed run');
      expect(renamed.headers.get('etag')).toMatch(/^W\/".+"$/);
      expect(renamed.headers.get('etag')).not.toBe(before);
    } finally {
      await sessions.updateOne({ _id: id }, { $set: { name: original!.name } });
    }
    expect((await asMember(path())).headers.get('etag')).toBe(before);
  });

  it('answers If-None-Match with the current ETag by 304 and an empty body', async () => {
    const etag = (await asMember(path())).headers.get('etag')!;
    const result = await gw.get(path(), { ...bearer(gw.tokenFor('member')), 'if-none-match': etag });
    expect(result.status).toBe(304);
    expect(result.text).toBe('');
    expect(result.headers.get('etag')).toBe(etag);
    expect(result.headers.get('x-request-id')).toBeTruthy();
  });

  it('never answers 304 before the caller is allowed: no token is 401, a non-member 403, a denied member 403', async () => {
    const etag = (await asMember(path())).headers.get('etag')!;
    expect((await gw.get(path(), { 'if-none-match': etag })).status).toBe(401);
    expect((await gw.get(path(), { ...bearer(gw.tokenFor('outsider')), 'if-none-match': etag })).status).toBe(403);
    const owned = teamPath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions.ownerMode);
    const ownerEtag = (await gw.get(owned, bearer(gw.tokenFor('appCreator')))).headers.get('etag')!;
    expect(ownerEtag).toMatch(/^W\//);
    expect((await gw.get(owned, { ...bearer(gw.tokenFor('member')), 'if-none-match': ownerEtag })).status).toBe(403);
  });

  it('marks the body private to the caller', async () => {
    expect((await asMember(path())).headers.get('cache-control')).toMatch(/\bprivate\b/);
  });

  it('marks its errors private to the caller too: no cache keeps a 401, 403 or 404 for another caller, or a 404 once a session is shared', async () => {
    const owned = teamPath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions.ownerMode);
    const answers = [
      await gw.get(path()),
      await gw.get(path(), bearer(gw.tokenFor('outsider'))),
      await gw.get(owned, bearer(gw.tokenFor('member'))),
      await gw.get(sharePath(gw.fixtures.teams.acmeMain, new ObjectId())),
      await gw.get(`${sharePath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions.publicChat).replace(/\.json$/, '')}/messages.json?messageId=nope`),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([401, 403, 403, 404, 400]);
    for (const answer of answers) {
      expect(answer.headers.get('cache-control')).toBe('private, no-cache');
      expect(answer.headers.get('vary')).toMatch(/\bAuthorization\b/);
    }
  });

  it('answers a stale If-None-Match with 200 and the body', async () => {
    const result = await gw.get(path(), { ...bearer(gw.tokenFor('member')), 'if-none-match': 'W/"stale"' });
    expect(result.status).toBe(200);
    expect(Object.keys(json(result))).toEqual(BODY_KEYS);
  });

  it('answers HEAD with 200, the ETag and no body', async () => {
    const etag = (await asMember(path())).headers.get('etag');
    const response = await fetch(gw.url + path(), { method: 'HEAD', headers: bearer(gw.tokenFor('member')) });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe(etag);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.text()).toBe('');
  });

  it('answers HEAD on the share route as GET does', async () => {
    const share = sharePath(gw.fixtures.teams.acmeMain, gw.fixtures.sessions.publicChat);
    const response = await fetch(gw.url + share, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe((await gw.get(share)).headers.get('etag'));
    expect(await response.text()).toBe('');
  });
});

// ---------------------------------------------------------------------------------------------------
// 5. The public share route
// ---------------------------------------------------------------------------------------------------

describe('GET /s/{resourceSlug}/session/{sessionId}.json', () => {
  const f = () => gw.fixtures;
  const withoutCsrf = (result: HttpResult) => {
    const { csrf, ...rest } = json(result);
    expect(csrf).toMatch(CSRF);
    return rest;
  };

  it('serves a public session without credentials, with the team route’s keys and data', async () => {
    const share = await gw.get(sharePath(f().teams.acmeMain, f().sessions.publicChat));
    const team = await asMember(teamPath(f().teams.acmeMain, f().sessions.publicChat));
    expect(share.status).toBe(200);
    expect(share.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Object.keys(json(share))).toEqual(BODY_KEYS);
    expect(withoutCsrf(share)).toEqual(withoutCsrf(team));
    expect(share.text.slice(share.text.indexOf(',"session":'))).toBe(team.text.slice(team.text.indexOf(',"session":')));
    expect(share.headers.get('etag')).toBe(team.headers.get('etag'));
    expectValid(validateSuccess, json(share));
  });

  it.each(['member', 'outsider', 'owner', 'root'] as const)('serves the same data to a valid token of %s', async (account) => {
    const anonymous = await gw.get(sharePath(f().teams.acmeMain, f().sessions.publicChat));
    const result = await gw.get(sharePath(f().teams.acmeMain, f().sessions.publicChat), bearer(gw.tokenFor(account)));
    expect(result.status).toBe(200);
    expect(withoutCsrf(result)).toEqual(withoutCsrf(anonymous));
  });

  it.each([
    ['a team session', 'teamCrew'],
    ['a restricted session', 'restricted'],
    ['an owner-only session', 'ownerMode'],
    ['a session without a mode', 'noMode'],
  ] as const)('answers %s with 404, even to the team owner and the app creator', async (_case, key) => {
    for (const headers of [{}, bearer(gw.tokenFor('owner')), bearer(gw.tokenFor('appCreator')), bearer(gw.tokenFor('root'))]) {
      const result = await gw.get(sharePath(f().teams.acmeMain, f().sessions[key]), headers);
      expect(result.status).toBe(404);
      expect(json(result)).toEqual({ message: expect.any(String), code: 404 });
    }
  });

  it('answers a missing session, or a public session of another team, with 404', async () => {
    for (const path of [
      sharePath(f().teams.acmeMain, new ObjectId()),
      sharePath(f().teams.acmeMain, f().sessions.globexPublic),
      sharePath(f().teams.globexMain, f().sessions.publicChat),
    ]) {
      const result = await gw.get(path);
      expect(result.status).toBe(404);
      expect(json(result)).toEqual({ message: expect.any(String), code: 404 });
    }
  });

  it.each([
    ['a forged token', `Bearer ${FORGED_TOKEN}`],
    ['a token that is not a JWT', 'Bearer not-a-jwt'],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['an empty header', ''],
  ])('answers %s with 401 and WWW-Authenticate: Bearer, even for a public session', async (_case, authorization) => {
    const result = await gw.get(sharePath(f().teams.acmeMain, f().sessions.publicChat), { authorization });
    expect(result.status).toBe(401);
    expect(result.headers.get('www-authenticate')).toBe('Bearer');
    expect(json(result)).toEqual({ message: expect.any(String), code: 401 });
  });

  it('answers bad parameters with 400 naming them', async () => {
    const bad = [
      [sharePath(hex(f().teams.acmeMain).toUpperCase(), f().sessions.publicChat), 'resourceSlug'],
      [sharePath(f().teams.acmeMain, `${hex(f().sessions.publicChat)}0`), 'sessionId'],
    ] as const;
    for (const [path, parameter] of bad) {
      const result = await gw.get(path);
      expect(result.status).toBe(400);
      const body = json(result);
      expectValid(validate400, body);
      expect(body).toEqual({ message: expect.stringContaining(parameter), code: 400 });
    }
  });

  // §4's table lists the 400 row before the 401 row, and routes.ts checks both path parameters before
  // it reads the Authorization header: a bad parameter with a bad token is 400, on both routes.
  it('checks the parameters before the token: a bad parameter with a bad token is 400, not 401', async () => {
    const badSlug = hex(f().teams.acmeMain).toUpperCase();
    for (const path of [sharePath(badSlug, f().sessions.publicChat), teamPath(badSlug, f().sessions.publicChat)]) {
      const result = await gw.get(path, { authorization: `Bearer ${FORGED_TOKEN}` });
      expect(result.status).toBe(400);
      expect(result.headers.get('www-authenticate')).toBeNull();
      expect(json(result)).toEqual({ message: expect.stringContaining('resourceSlug'), code: 400 });
    }
    const noToken = await gw.get(teamPath(badSlug, f().sessions.publicChat));
    expect(noToken.status).toBe(400);
  });
});

// ---------------------------------------------------------------------------------------------------
// 6. Request ids
// ---------------------------------------------------------------------------------------------------

describe('X-Request-Id', () => {
  const f = () => gw.fixtures;

  it('is set on every response, success, not modified and error alike', async () => {
    const ok = teamPath(f().teams.acmeMain, f().sessions.teamCrew);
    const etag = (await asMember(ok)).headers.get('etag')!;
    const results = [
      await asMember(ok),
      await gw.get(ok, { ...bearer(gw.tokenFor('member')), 'if-none-match': etag }),
      await gw.get(sharePath(f().teams.acmeMain, f().sessions.publicChat)),
      await asMember(teamPath('bad', f().sessions.teamCrew)),
      await gw.get(ok),
      await gw.get(ok, bearer(gw.tokenFor('outsider'))),
      await gw.get(sharePath(f().teams.acmeMain, f().sessions.teamCrew)),
    ];
    expect(results.map((r) => r.status)).toEqual([200, 304, 200, 400, 401, 403, 404]);
    const ids = results.map((r) => r.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    const head = await fetch(gw.url + ok, { method: 'HEAD', headers: bearer(gw.tokenFor('member')) });
    expect(head.headers.get('x-request-id')).toBeTruthy();
  });

  it('echoes a plain request id given by the caller', async () => {
    for (const given of ['trace-1234', 'abc.DEF:42_x', 'a'.repeat(128)]) {
      const ok = await gw.get(teamPath(f().teams.acmeMain, f().sessions.teamCrew), { ...bearer(gw.tokenFor('member')), 'x-request-id': given });
      expect(ok.headers.get('x-request-id')).toBe(given);
      const error = await gw.get(sharePath(f().teams.acmeMain, f().sessions.teamCrew), { 'x-request-id': given });
      expect(error.status).toBe(404);
      expect(error.headers.get('x-request-id')).toBe(given);
    }
  });

  it('replaces a request id that is not plain or too long', async () => {
    for (const given of ['has spaces in it', '<script>', 'a'.repeat(129)]) {
      const result = await gw.get(sharePath(f().teams.acmeMain, f().sessions.publicChat), { 'x-request-id': given });
      expect(result.status).toBe(200);
      expect(result.headers.get('x-request-id')).not.toBe(given);
      expect(result.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
