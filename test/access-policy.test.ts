/**
 * Who is calling and who may read what (CONTRACT §2, §3, §5), through GraphQL against the real
 * gateway. Every expected answer below is written by hand from the contract and the named demo
 * fixtures (src/seed/named.ts), never computed by the code under test.
 *
 * The fixtures, in short:
 *   orgs   acme (owner: owner, ORG_ADMIN: orgAdmin)      globex (owner: outsider)
 *   teams  acmeMain (owner: owner, TEAM_ADMIN: teamAdmin) acmeLabs (owner: owner)  globexMain (owner: outsider)
 *   members  acmeMain: owner, teamAdmin, member, appCreator   acmeLabs: owner, orgAdmin, labsMember
 *            globexMain: outsider, root (ROOT bit), sharedWith
 *   Plain members have an all-zero entry in their team's and org's permission maps.
 */
import jwt from 'jsonwebtoken';
import { Binary, ObjectId } from 'mongodb';
import { signApiKeyToken } from '../src/auth/tokens';
import type { AccountKey, SessionKey } from '../src/seed/types';
import { startTestGateway, TEST_JWT_SECRET, type GraphQLResult, type TestGateway } from './support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ scale: 0 }); // named fixtures only, so session lists are exact
});
afterAll(() => gw.stop());

type Caller = AccountKey | 'anonymous';

const token = (caller: Caller): string | null => (caller === 'anonymous' ? null : gw.tokenFor(caller));
const hex = (id: ObjectId) => id.toHexString();
/** The named session key of a returned `_id` (or the id itself when it is not a named session). */
const sessionKey = (id: string) =>
  (Object.keys(gw.fixtures.sessions) as SessionKey[]).find((key) => hex(gw.fixtures.sessions[key]) === id) ?? id;

/** POSTs a GraphQL operation with a raw Authorization header (undefined: none). */
async function postWithAuthorization(authorization: string | undefined, query: string, variables?: Record<string, unknown>): Promise<GraphQLResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const response = await fetch(`${gw.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}

/** A permission bitfield as the contract lays it out: bit n at byte n >> 3, mask 0x80 >> (n & 7). */
function bits(...set: number[]): Binary {
  const bytes = Buffer.alloc(255);
  for (const n of set) bytes[n >> 3] |= 0x80 >> (n & 7);
  return new Binary(bytes);
}
const ROOT = 0;
const ORG_ADMIN = 24;
const TEAM_ADMIN = 39;

const SESSION_QUERY = 'query($id: ObjectId!) { session(_id: $id) { _id name } }';

async function readSession(caller: Caller | { token: string }, id: ObjectId) {
  const bearer = typeof caller === 'string' ? token(caller) : caller.token;
  const { body } = await gw.graphql(SESSION_QUERY, { id: hex(id) }, bearer);
  expect(body.errors).toBeUndefined();
  return body.data.session as { _id: string; name: string } | null;
}

// ---------------------------------------------------------------------------------------------------
// 1. session(_id): the full matrix
// ---------------------------------------------------------------------------------------------------

const CALLERS: Caller[] = ['anonymous', 'owner', 'teamAdmin', 'orgAdmin', 'member', 'labsMember', 'outsider', 'root', 'appCreator', 'sharedWith'];

// Y: the session comes back; -: null. Admins of acmeMain are owner (team and org owner), teamAdmin
// (TEAM_ADMIN bit), orgAdmin (ORG_ADMIN bit, though not a member of acmeMain) and root (ROOT bit).
// Admins of globexMain are outsider (team and org owner) and root.
const MATRIX: Record<SessionKey, string> = {
  //               anon owner tAdm oAdm memb labs outs root crea shar
  publicChat:     'Y    Y     Y    Y    Y    Y    Y    Y    Y    Y', // public: everyone
  teamCrew:       '-    Y     Y    Y    Y    -    -    Y    Y    -', // team: members of acmeMain + admins
  restricted:     '-    Y     Y    Y    -    -    -    Y    -    Y', // key = sharedWith's account id
  whitelistTeam:  '-    Y     Y    Y    -    Y    -    Y    -    -', // key = acmeLabs team id
  whitelistOrg:   '-    Y     Y    Y    -    -    Y    Y    -    Y', // key = globex org id
  ownerMode:      '-    Y     Y    Y    -    -    -    Y    Y    -', // owner: crewApp.createdBy = appCreator
  ownerNoApp:     '-    Y     Y    Y    -    -    -    Y    -    -', // owner, app deleted: admins only
  noMode:         '-    Y     Y    Y    Y    -    -    Y    Y    -', // missing mode: as team
  unknownMode:    '-    Y     Y    Y    Y    -    -    Y    Y    -', // unknown mode: as team
  deletedApp:     '-    Y     Y    Y    Y    -    -    Y    Y    -', // team
  brokenCrew:     '-    Y     Y    Y    Y    -    -    Y    Y    -', // team
  missingCrew:    '-    Y     Y    Y    Y    -    -    Y    Y    -', // team
  globexSession:  '-    -     -    -    -    -    Y    Y    -    Y', // team of globexMain
  globexPublic:   'Y    Y     Y    Y    Y    Y    Y    Y    Y    Y', // public
};

function expectedRow(session: SessionKey): Record<Caller, boolean> {
  const marks = MATRIX[session].split(/\s+/);
  if (marks.length !== CALLERS.length) throw new Error(`matrix row ${session} has ${marks.length} columns`);
  return Object.fromEntries(CALLERS.map((caller, i) => [caller, marks[i] === 'Y'])) as Record<Caller, boolean>;
}

const MATRIX_CASES = (Object.keys(MATRIX) as SessionKey[]).flatMap((session) =>
  CALLERS.map((caller) => ({ session, caller, readable: expectedRow(session)[caller] })),
);

describe('session(_id): who may read each named session', () => {
  it.each(MATRIX_CASES)('$caller reading $session → readable: $readable', async ({ session, caller, readable }) => {
    const result = await readSession(caller, gw.fixtures.sessions[session]);
    if (readable) expect(result).toEqual({ _id: hex(gw.fixtures.sessions[session]), name: expect.any(String) });
    else expect(result).toBeNull();
  });

  it.each(CALLERS)('gives %s the same row when all sessions are asked in one request', async (caller) => {
    const keys = Object.keys(MATRIX) as SessionKey[];
    const query = `{ ${keys.map((key) => `${key}: session(_id: "${hex(gw.fixtures.sessions[key])}") { _id }`).join(' ')} }`;
    const { body } = await gw.graphql(query, undefined, token(caller));
    expect(body.errors).toBeUndefined();
    const got = Object.fromEntries(keys.map((key) => [key, body.data[key] !== null]));
    expect(got).toEqual(Object.fromEntries(keys.map((key) => [key, expectedRow(key)[caller]])));
  });

  it.each<Caller>(['anonymous', 'member', 'root'])('returns null without errors to %s for an id that does not exist', async (caller) => {
    expect(await readSession(caller, new ObjectId())).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------
// 2. Permission bits: only the right bit in the right map makes an admin
// ---------------------------------------------------------------------------------------------------

describe('permission maps', () => {
  it('seeds an all-zero entry for plain members (so the matrix above covers zero entries)', async () => {
    const f = gw.fixtures;
    const team = await gw.db.collection('teams').findOne({ _id: f.teams.acmeMain });
    const org = await gw.db.collection('orgs').findOne({ _id: f.orgs.acme });
    for (const entry of [team!.permissions[hex(f.accounts.member)], org!.permissions[hex(f.accounts.member)], org!.permissions[hex(f.accounts.labsMember)]]) {
      expect(entry).toBeInstanceOf(Binary);
      expect(Buffer.from(entry.buffer)).toEqual(Buffer.alloc(255));
    }
  });

  // Member of acmeMain, reading `restricted` (shared with sharedWith only): only an admin gets it.
  const BIT_CASES: Array<{ map: 'team' | 'org'; bit: number; admin: boolean }> = [
    { map: 'team', bit: TEAM_ADMIN, admin: true },
    { map: 'team', bit: ORG_ADMIN, admin: false }, // ORG_ADMIN counts in the org map only
    { map: 'team', bit: ROOT, admin: false }, // ROOT counts on the account only
    { map: 'org', bit: ORG_ADMIN, admin: true },
    { map: 'org', bit: TEAM_ADMIN, admin: false }, // TEAM_ADMIN counts in the team map only
    { map: 'org', bit: ROOT, admin: false },
  ];

  it.each(BIT_CASES)('bit $bit in the $map map of member → admin: $admin', async ({ map, bit, admin }) => {
    const f = gw.fixtures;
    const collection = gw.db.collection(map === 'team' ? 'teams' : 'orgs');
    const _id = map === 'team' ? f.teams.acmeMain : f.orgs.acme;
    const original = (await collection.findOne({ _id }))!.permissions;
    await collection.updateOne({ _id }, { $set: { permissions: { ...original, [hex(f.accounts.member)]: bits(bit) } } });
    try {
      const result = await readSession('member', f.sessions.restricted);
      expect(result !== null).toBe(admin);
    } finally {
      await collection.updateOne({ _id }, { $set: { permissions: original } });
    }
  });

  it('makes an ORG_ADMIN of acme an admin of acmeMain without membership (labsMember)', async () => {
    const f = gw.fixtures;
    const orgs = gw.db.collection('orgs');
    const original = (await orgs.findOne({ _id: f.orgs.acme }))!.permissions;
    await orgs.updateOne({ _id: f.orgs.acme }, { $set: { permissions: { ...original, [hex(f.accounts.labsMember)]: bits(ORG_ADMIN) } } });
    try {
      expect(await readSession('labsMember', f.sessions.ownerNoApp)).not.toBeNull();
    } finally {
      await orgs.updateOne({ _id: f.orgs.acme }, { $set: { permissions: original } });
    }
  });

  it('makes the ROOT bit on the account an admin everywhere (member)', async () => {
    const f = gw.fixtures;
    const accounts = gw.db.collection('accounts');
    await accounts.updateOne({ _id: f.accounts.member }, { $set: { permissions: bits(ROOT) } });
    try {
      expect(await readSession('member', f.sessions.ownerNoApp)).not.toBeNull();
      expect(await readSession('member', f.sessions.globexSession)).not.toBeNull();
    } finally {
      await accounts.updateOne({ _id: f.accounts.member }, { $set: { permissions: bits() } });
    }
  });
});

describe('owner mode', () => {
  it('only counts an app of the session’s own team', async () => {
    // An acmeMain session pointing at globexApp (created by outsider, in globexMain).
    const f = gw.fixtures;
    const _id = new ObjectId();
    await gw.db.collection('sessions').insertOne({
      _id, orgId: f.orgs.acme, teamId: f.teams.acmeMain, name: 'Foreign app, owner mode', startDate: new Date(),
      lastUpdatedDate: new Date(), tokensUsed: 0, status: 'started', appId: f.apps.globexApp,
      sharingConfig: { permissions: {}, mode: 'owner' },
    });
    try {
      expect(await readSession('outsider', _id)).toBeNull();
      expect(await readSession('member', _id)).toBeNull();
      expect(await readSession('teamAdmin', _id)).not.toBeNull();
    } finally {
      await gw.db.collection('sessions').deleteMany({ _id });
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// 3. sessions(teamId)
// ---------------------------------------------------------------------------------------------------

const PAGE_QUERY = `query($team: ObjectId!, $first: Int, $after: String, $status: SessionStatus, $app: ObjectId) {
  sessions(teamId: $team, first: $first, after: $after, status: $status, appId: $app) {
    edges { cursor node { _id } } pageInfo { hasNextPage endCursor } } }`;

async function listPage(caller: Caller, variables: Record<string, unknown>) {
  const result = await gw.graphql(PAGE_QUERY, variables, token(caller));
  expect(result.body.errors).toBeUndefined();
  const { edges, pageInfo } = result.body.data.sessions;
  return { keys: edges.map((edge: { node: { _id: string } }) => sessionKey(edge.node._id)) as string[], pageInfo };
}

// Newest first: ids were allocated in seed order, so this is the reverse of named.ts's order.
const ACME_MAIN_READABLE: Partial<Record<AccountKey, SessionKey[]>> = {
  member: ['missingCrew', 'brokenCrew', 'deletedApp', 'unknownMode', 'noMode', 'teamCrew', 'publicChat'],
  appCreator: ['missingCrew', 'brokenCrew', 'deletedApp', 'unknownMode', 'noMode', 'ownerMode', 'teamCrew', 'publicChat'],
  teamAdmin: ['missingCrew', 'brokenCrew', 'deletedApp', 'unknownMode', 'noMode', 'ownerNoApp', 'ownerMode', 'whitelistOrg', 'whitelistTeam', 'restricted', 'teamCrew', 'publicChat'],
  owner: ['missingCrew', 'brokenCrew', 'deletedApp', 'unknownMode', 'noMode', 'ownerNoApp', 'ownerMode', 'whitelistOrg', 'whitelistTeam', 'restricted', 'teamCrew', 'publicChat'],
};
const READERS = Object.keys(ACME_MAIN_READABLE) as AccountKey[];

describe('sessions(teamId)', () => {
  const acmeMain = () => hex(gw.fixtures.teams.acmeMain);

  it('is UNAUTHENTICATED without a token', async () => {
    const { body } = await gw.graphql(PAGE_QUERY, { team: acmeMain() }, null);
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(body.data?.sessions ?? null).toBeNull();
  });

  // orgAdmin and root are admins of acmeMain, but an admin bit does not replace membership here.
  it.each<AccountKey>(['orgAdmin', 'root', 'labsMember', 'outsider', 'sharedWith'])('is FORBIDDEN for %s, not a member of acmeMain', async (caller) => {
    const { body } = await gw.graphql(PAGE_QUERY, { team: acmeMain() }, token(caller));
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(body.data?.sessions ?? null).toBeNull();
    expect(body.errors?.[0].message).not.toMatch(/Shared with|Creator only|Public chat/);
  });

  it('is FORBIDDEN for a team that does not exist', async () => {
    const { body } = await gw.graphql(PAGE_QUERY, { team: hex(new ObjectId()) }, token('root'));
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it.each(READERS)('lists exactly what %s may read in acmeMain, newest first', async (caller) => {
    const { keys, pageInfo } = await listPage(caller, { team: acmeMain(), first: 100 });
    expect(keys).toEqual(ACME_MAIN_READABLE[caller]);
    expect(pageInfo.hasNextPage).toBe(false);
  });

  it('lists globexMain for its members', async () => {
    expect((await listPage('sharedWith', { team: hex(gw.fixtures.teams.globexMain) })).keys).toEqual(['globexPublic', 'globexSession']);
    expect((await listPage('root', { team: hex(gw.fixtures.teams.globexMain) })).keys).toEqual(['globexPublic', 'globexSession']);
    expect((await listPage('labsMember', { team: hex(gw.fixtures.teams.acmeLabs) })).keys).toEqual([]);
  });

  const PAGING_CASES = READERS.flatMap((caller) => [1, 2, 3, 5, 7].map((first) => ({ caller, first })));

  it.each(PAGING_CASES)('pages through $caller’s sessions $first at a time without repeats or gaps', async ({ caller, first }) => {
    const expected = ACME_MAIN_READABLE[caller]!;
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const { keys, pageInfo } = await listPage(caller, { team: acmeMain(), first, after });
      seen.push(...keys);
      if (!pageInfo.hasNextPage) break;
      expect(keys).toHaveLength(first); // only the last page may be short
      after = pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });

  it('pages past sessions the query lets through and the policy refuses (sharing permissions stored as a list), every page full', async () => {
    // ids just below noMode's, so that they come between noMode and teamCrew, newest first
    const below = BigInt(`0x${hex(gw.fixtures.sessions.noMode)}`);
    const anomalous = [1n, 2n, 3n, 4n, 5n].map((n) => new ObjectId((below - n).toString(16).padStart(24, '0')));
    const template = (await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.noMode }))!;
    const sessions = gw.db.collection('sessions');
    expect(await sessions.countDocuments({ _id: { $in: anomalous } })).toBe(0);
    await sessions.insertMany(anomalous.map((_id) => ({ ...template, _id, sharingConfig: { mode: 'restricted', permissions: [{ [hex(gw.fixtures.accounts.member)]: 'view' }] } })));
    try {
      for (const first of [1, 2, 3]) {
        const seen: string[] = [];
        let after: string | null = null;
        for (let page = 0; page < 20; page++) {
          const { keys, pageInfo } = await listPage('member', { team: acmeMain(), first, after });
          seen.push(...keys);
          if (!pageInfo.hasNextPage) break;
          expect(keys).toHaveLength(first);
          after = pageInfo.endCursor;
        }
        expect(seen).toEqual(ACME_MAIN_READABLE.member);
      }
    } finally {
      await sessions.deleteMany({ _id: { $in: anomalous } });
    }
  });

  it('lists what session(_id) lets a member read when the mode, or the whole sharing config, is stored as a list (read as team)', async () => {
    const template = (await gw.db.collection('sessions').findOne({ _id: gw.fixtures.sessions.noMode }))!;
    const odd = [{ mode: ['restricted'] }, { mode: ['owner', 'public'] }, [{ mode: 'restricted' }]].map((sharingConfig) => ({ ...template, _id: new ObjectId(), name: 'Odd sharing', sharingConfig }));
    await gw.db.collection('sessions').insertMany(odd);
    try {
      for (const doc of odd) {
        const byId = await gw.graphql('query($id: ObjectId!) { session(_id: $id) { _id } }', { id: hex(doc._id) }, token('member'));
        expect({ sharingConfig: doc.sharingConfig, session: byId.body.data.session }).toEqual({ sharingConfig: doc.sharingConfig, session: { _id: hex(doc._id) } });
      }
      const { keys } = await listPage('member', { team: acmeMain(), first: 100 });
      expect(keys.filter((key) => odd.some((doc) => hex(doc._id) === key))).toEqual(odd.map((doc) => hex(doc._id)).reverse());
    } finally {
      await gw.db.collection('sessions').deleteMany({ _id: { $in: odd.map((doc) => doc._id) } });
    }
  });

  it('reports hasNextPage false on a last page that is exactly full', async () => {
    // member reads 7 sessions: pages of 7 and of 3+3+1
    expect((await listPage('member', { team: acmeMain(), first: 7 })).pageInfo.hasNextPage).toBe(false);
    expect((await listPage('member', { team: acmeMain(), first: 6 })).pageInfo.hasNextPage).toBe(true);
  });

  const FILTER_CASES: Array<{ caller: AccountKey; status?: string; app?: 'crewApp' | 'chatApp'; expected: SessionKey[] }> = [
    { caller: 'member', status: 'RUNNING', expected: ['unknownMode', 'teamCrew'] },
    { caller: 'member', status: 'TERMINATED', expected: [] }, // ownerMode and ownerNoApp are not member's
    { caller: 'owner', status: 'TERMINATED', expected: ['ownerNoApp', 'ownerMode'] },
    { caller: 'owner', status: 'WAITING', expected: ['missingCrew', 'restricted'] },
    { caller: 'member', app: 'crewApp', expected: ['noMode', 'teamCrew'] },
    { caller: 'appCreator', app: 'crewApp', expected: ['noMode', 'ownerMode', 'teamCrew'] },
    { caller: 'owner', app: 'crewApp', expected: ['noMode', 'ownerMode', 'whitelistOrg', 'whitelistTeam', 'restricted', 'teamCrew'] },
    { caller: 'member', app: 'chatApp', expected: ['unknownMode', 'publicChat'] },
    { caller: 'owner', app: 'crewApp', status: 'ERROR', expected: ['whitelistOrg'] },
    { caller: 'member', app: 'crewApp', status: 'ERROR', expected: [] },
  ];

  it.each(FILTER_CASES)('filters $caller’s sessions by status $status and app $app', async ({ caller, status, app, expected }) => {
    const variables = { team: acmeMain(), status, app: app && hex(gw.fixtures.apps[app]) };
    expect((await listPage(caller, variables)).keys).toEqual(expected);
    // the same, one at a time
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const { keys, pageInfo } = await listPage(caller, { ...variables, first: 1, after });
      seen.push(...keys);
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });

  it('rejects first above 100 as BAD_USER_INPUT', async () => {
    const { body } = await gw.graphql(PAGE_QUERY, { team: acmeMain(), first: 101 }, token('member'));
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});

// ---------------------------------------------------------------------------------------------------
// 4. viewer
// ---------------------------------------------------------------------------------------------------

const VIEWER_QUERY = '{ viewer { _id name email currentOrg currentTeam isRoot usesApiKey orgs { _id name teams { _id name } } } }';

describe('viewer', () => {
  it('is null with no errors for an anonymous caller', async () => {
    const { status, body } = await gw.graphql(VIEWER_QUERY, undefined, null);
    expect(status).toBe(200);
    expect(body).toEqual({ data: { viewer: null } });
  });

  it('describes a login token’s account', async () => {
    const f = gw.fixtures;
    const { body } = await gw.graphql(VIEWER_QUERY, undefined, token('owner'));
    expect(body.errors).toBeUndefined();
    expect(body.data.viewer).toEqual({
      _id: hex(f.accounts.owner), name: 'Olivia Owner', email: 'owner@acme.example',
      currentOrg: hex(f.orgs.acme), currentTeam: hex(f.teams.acmeMain), isRoot: false, usesApiKey: false,
      orgs: [{ _id: hex(f.orgs.acme), name: 'Acme', teams: [{ _id: hex(f.teams.acmeMain), name: 'Acme Main' }, { _id: hex(f.teams.acmeLabs), name: 'Acme Labs' }] }],
    });
  });

  it('marks the ROOT account', async () => {
    const { body } = await gw.graphql('{ viewer { name isRoot orgs { name teams { name } } } }', undefined, token('root'));
    expect(body.data.viewer).toEqual({ name: 'Rita Root', isRoot: true, orgs: [{ name: 'Globex', teams: [{ name: 'Globex Main' }] }] });
  });

  it('describes an API key’s owner, with usesApiKey', async () => {
    const f = gw.fixtures;
    const apiToken = signApiKeyToken({ keyId: f.apikeys.memberKey, ownerId: f.accounts.member, version: 2 }, TEST_JWT_SECRET);
    const { body } = await gw.graphql(VIEWER_QUERY, undefined, apiToken);
    expect(body.errors).toBeUndefined();
    expect(body.data.viewer).toEqual({
      _id: hex(f.accounts.member), name: 'Max Member', email: 'member@acme.example',
      currentOrg: hex(f.orgs.acme), currentTeam: hex(f.teams.acmeMain), isRoot: false, usesApiKey: true,
      orgs: [{ _id: hex(f.orgs.acme), name: 'Acme', teams: [{ _id: hex(f.teams.acmeMain), name: 'Acme Main' }] }],
    });
  });

  it('has no field for a secret, and leaks none', async () => {
    const { body } = await gw.graphql('{ __type(name: "Viewer") { fields { name } } }');
    const fields = body.data.__type.fields.map((field: { name: string }) => field.name).sort();
    expect(fields).toEqual(['_id', 'currentOrg', 'currentTeam', 'email', 'isRoot', 'name', 'orgs', 'usesApiKey']);
    const f = gw.fixtures;
    const texts = await Promise.all([
      gw.graphql(VIEWER_QUERY, undefined, token('member')),
      gw.graphql(VIEWER_QUERY, undefined, signApiKeyToken({ keyId: f.apikeys.memberKey, ownerId: f.accounts.member, version: 2 }, TEST_JWT_SECRET)),
    ]);
    for (const { text } of texts) {
      expect(text).toContain('Max Member');
      expect(text).not.toMatch(/SECRET-|passwordHash|apiJwt/);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// 5. Tokens and API keys
// ---------------------------------------------------------------------------------------------------

/** Every operation a bad credential must fail, even one an anonymous caller may run. */
const OPERATIONS: Array<{ name: string; query: string; variables: () => Record<string, unknown> }> = [
  { name: 'session (public)', query: SESSION_QUERY, variables: () => ({ id: hex(gw.fixtures.sessions.publicChat) }) },
  { name: 'viewer', query: '{ viewer { _id } }', variables: () => ({}) },
  { name: 'sessions', query: PAGE_QUERY, variables: () => ({ team: hex(gw.fixtures.teams.acmeMain) }) },
];

function expectUnauthenticated(result: GraphQLResult): void {
  expect(result.status).toBe(401);
  expect(result.headers.get('www-authenticate')).toBe('Bearer');
  expect(result.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  expect(result.body.data ?? null).toBeNull(); // never answered as for an anonymous caller
  expect(result.text).not.toMatch(/Public chat|\bat .*\.(ts|js):\d+/);
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Authorization headers that are present but not valid, each built fresh for the member account. */
const BAD_AUTHORIZATION: Array<{ name: string; header: () => string }> = [
  { name: 'bad signature', header: () => `Bearer ${jwt.sign({ accountId: hex(gw.fixtures.accounts.member) }, 'another-secret-of-the-same-length-as-ours', { algorithm: 'HS256' })}` },
  { name: 'expired', header: () => `Bearer ${jwt.sign({ accountId: hex(gw.fixtures.accounts.member), exp: nowSeconds() - 60 }, TEST_JWT_SECRET, { algorithm: 'HS256' })}` },
  {
    name: 'alg none',
    header: () => `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ accountId: hex(gw.fixtures.accounts.member), iat: nowSeconds() })}.`,
  },
  { name: 'HS384', header: () => `Bearer ${jwt.sign({ accountId: hex(gw.fixtures.accounts.member) }, TEST_JWT_SECRET, { algorithm: 'HS384' })}` },
  { name: 'HS512', header: () => `Bearer ${jwt.sign({ accountId: hex(gw.fixtures.accounts.member) }, TEST_JWT_SECRET, { algorithm: 'HS512' })}` },
  { name: 'garbage', header: () => 'Bearer this-is-not-a-jwt' },
  { name: 'non-Bearer scheme with a valid token', header: () => `Token ${gw.tokenFor('member')}` },
  { name: 'Basic credentials', header: () => `Basic ${Buffer.from('member:password').toString('base64')}` },
  { name: 'bare token without a scheme', header: () => gw.tokenFor('member') },
  { name: 'Bearer with no token', header: () => 'Bearer' },
  { name: 'login token without accountId', header: () => `Bearer ${jwt.sign({ sub: 'member' }, TEST_JWT_SECRET, { algorithm: 'HS256' })}` },
  { name: 'login token with a malformed accountId', header: () => `Bearer ${jwt.sign({ accountId: 'member' }, TEST_JWT_SECRET, { algorithm: 'HS256' })}` },
  { name: 'account that does not exist', header: () => `Bearer ${gw.tokenForId(new ObjectId())}` },
];

describe('tokens that are present but not valid', () => {
  const cases = BAD_AUTHORIZATION.flatMap((auth) => OPERATIONS.map((operation) => ({ auth: auth.name, header: auth.header, operation })));

  it.each(cases)('$auth → UNAUTHENTICATED for $operation.name', async ({ header, operation }) => {
    expectUnauthenticated(await postWithAuthorization(header(), operation.query, operation.variables()));
  });

  it('uses bad tokens that are each wrong in one way only (so each rejection is for that reason)', () => {
    const tokenOf = (name: string) => BAD_AUTHORIZATION.find((auth) => auth.name === name)!.header().slice('Bearer '.length);
    const member = hex(gw.fixtures.accounts.member);
    expect(jwt.verify(tokenOf('bad signature'), 'another-secret-of-the-same-length-as-ours')).toMatchObject({ accountId: member });
    expect(jwt.verify(tokenOf('expired'), TEST_JWT_SECRET, { ignoreExpiration: true })).toMatchObject({ accountId: member });
    expect(jwt.verify(tokenOf('HS384'), TEST_JWT_SECRET, { algorithms: ['HS384'] })).toMatchObject({ accountId: member });
    expect(jwt.verify(tokenOf('HS512'), TEST_JWT_SECRET, { algorithms: ['HS512'] })).toMatchObject({ accountId: member });
    expect(jwt.decode(tokenOf('alg none'), { complete: true })).toMatchObject({ header: { alg: 'none' }, payload: { accountId: member }, signature: '' });
  });

  it('refuses a token it accepted before once that token expires (a checked token is not trusted past its exp)', async () => {
    const header = `Bearer ${jwt.sign({ accountId: hex(gw.fixtures.accounts.member), exp: nowSeconds() + 2 }, TEST_JWT_SECRET, { algorithm: 'HS256' })}`;
    for (let i = 0; i < 2; i++) expect((await postWithAuthorization(header, '{ viewer { name } }')).body).toEqual({ data: { viewer: { name: 'Max Member' } } });
    const exp = (jwt.decode(header.slice('Bearer '.length)) as { exp: number }).exp;
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    const refused = await postWithAuthorization(header, '{ viewer { name } }');
    expectUnauthenticated(refused);
    expect(refused.body.errors![0].message).toBe('The token has expired');
  });

  it('still accepts the valid token the bad ones were made from', async () => {
    const result = await postWithAuthorization(`Bearer ${gw.tokenFor('member')}`, '{ viewer { name } }');
    expect(result.body).toEqual({ data: { viewer: { name: 'Max Member' } } });
  });
});

describe('API keys', () => {
  const f = () => gw.fixtures;
  /** An API-key token with exactly these claims, signed HS256 with the gateway's secret. */
  const keyToken = (claims: Record<string, unknown>) => jwt.sign(claims, TEST_JWT_SECRET, { algorithm: 'HS256', expiresIn: '1h' });
  const viewerWith = (bearer: string) => gw.graphql('{ viewer { name usesApiKey } }', undefined, bearer);
  const expectMember = async (bearer: string) => {
    const { status, body } = await viewerWith(bearer);
    expect(status).toBe(200);
    expect(body).toEqual({ data: { viewer: { name: 'Max Member', usesApiKey: true } } });
  };
  const expectRejected = async (bearer: string) => {
    for (const operation of OPERATIONS) {
      expectUnauthenticated(await gw.graphql(operation.query, operation.variables(), bearer));
    }
  };

  const VALID: Array<{ name: string; claims: () => Record<string, unknown> }> = [
    { name: 'memberKey, version 2, accountId', claims: () => ({ keyId: hex(f().apikeys.memberKey), accountId: hex(f().accounts.member), version: 2 }) },
    { name: 'memberKey, version 2, ownerId', claims: () => ({ keyId: hex(f().apikeys.memberKey), ownerId: hex(f().accounts.member), version: 2 }) },
    { name: 'memberKey, accountId and ownerId equal', claims: () => ({ keyId: hex(f().apikeys.memberKey), accountId: hex(f().accounts.member), ownerId: hex(f().accounts.member), version: 2 }) },
    // the record has no `version`: absent counts as 0, in the record and in the token
    { name: 'memberOldKey, no version', claims: () => ({ keyId: hex(f().apikeys.memberOldKey), accountId: hex(f().accounts.member) }) },
    { name: 'memberOldKey, version 0', claims: () => ({ keyId: hex(f().apikeys.memberOldKey), accountId: hex(f().accounts.member), version: 0 }) },
  ];

  const INVALID: Array<{ name: string; claims: () => Record<string, unknown> }> = [
    { name: 'expired key (memberExpiredKey)', claims: () => ({ keyId: hex(f().apikeys.memberExpiredKey), accountId: hex(f().accounts.member), version: 1 }) },
    { name: 'memberKey, version 1', claims: () => ({ keyId: hex(f().apikeys.memberKey), accountId: hex(f().accounts.member), version: 1 }) },
    { name: 'memberKey, version 3', claims: () => ({ keyId: hex(f().apikeys.memberKey), accountId: hex(f().accounts.member), version: 3 }) },
    { name: 'memberKey, no version (0 ≠ 2)', claims: () => ({ keyId: hex(f().apikeys.memberKey), accountId: hex(f().accounts.member) }) },
    { name: 'memberOldKey, version 1', claims: () => ({ keyId: hex(f().apikeys.memberOldKey), accountId: hex(f().accounts.member), version: 1 }) },
    { name: 'memberKey claimed by another account', claims: () => ({ keyId: hex(f().apikeys.memberKey), accountId: hex(f().accounts.owner), version: 2 }) },
    { name: 'memberKey claimed by another ownerId', claims: () => ({ keyId: hex(f().apikeys.memberKey), ownerId: hex(f().accounts.owner), version: 2 }) },
    { name: 'accountId and ownerId differ (owner first)', claims: () => ({ keyId: hex(f().apikeys.memberKey), accountId: hex(f().accounts.member), ownerId: hex(f().accounts.owner), version: 2 }) },
    { name: 'accountId and ownerId differ (other way)', claims: () => ({ keyId: hex(f().apikeys.memberKey), accountId: hex(f().accounts.owner), ownerId: hex(f().accounts.member), version: 2 }) },
    { name: 'key id that does not exist', claims: () => ({ keyId: hex(new ObjectId()), accountId: hex(f().accounts.member), version: 2 }) },
    { name: 'key without an owner claim', claims: () => ({ keyId: hex(f().apikeys.memberKey), version: 2 }) },
  ];

  it.each(VALID)('accepts $name', async ({ claims }) => {
    await expectMember(keyToken(claims()));
  });

  it.each(INVALID)('rejects $name as UNAUTHENTICATED everywhere', async ({ claims }) => {
    await expectRejected(keyToken(claims()));
  });

  it('reads through the policy like a login of its owner', async () => {
    const bearer = signApiKeyToken({ keyId: f().apikeys.memberKey, ownerId: f().accounts.member, version: 2 }, TEST_JWT_SECRET);
    expect(await readSession({ token: bearer }, f().sessions.teamCrew)).not.toBeNull();
    expect(await readSession({ token: bearer }, f().sessions.restricted)).toBeNull();
    expect((await gw.graphql(PAGE_QUERY, { team: hex(f().teams.acmeLabs) }, bearer)).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('stops working as soon as the key is deleted', async () => {
    const keyId = new ObjectId();
    await gw.db.collection('apikeys').insertOne({ _id: keyId, name: 'Short-lived', ownerId: f().accounts.member, token: 'x', expirationDate: new Date(Date.now() + 3_600_000), version: 0 });
    const bearer = signApiKeyToken({ keyId, ownerId: f().accounts.member }, TEST_JWT_SECRET);
    await expectMember(bearer);
    await gw.db.collection('apikeys').deleteMany({ _id: keyId });
    await expectRejected(bearer);
  });

  it('stops working as soon as the key is rotated to a new version', async () => {
    const keyId = new ObjectId();
    await gw.db.collection('apikeys').insertOne({ _id: keyId, name: 'Rotated', ownerId: f().accounts.member, token: 'x', expirationDate: null, version: 4 });
    try {
      const bearer = signApiKeyToken({ keyId, ownerId: f().accounts.member, version: 4 }, TEST_JWT_SECRET);
      await expectMember(bearer);
      await gw.db.collection('apikeys').updateOne({ _id: keyId }, { $set: { version: 5 } });
      await expectRejected(bearer);
    } finally {
      await gw.db.collection('apikeys').deleteMany({ _id: keyId });
    }
  });

  it('rejects a key whose expirationDate has just passed', async () => {
    const keyId = new ObjectId();
    await gw.db.collection('apikeys').insertOne({ _id: keyId, name: 'Expiring', ownerId: f().accounts.member, token: 'x', expirationDate: new Date(Date.now() + 3_600_000) });
    try {
      const bearer = signApiKeyToken({ keyId, ownerId: f().accounts.member }, TEST_JWT_SECRET);
      await expectMember(bearer);
      await gw.db.collection('apikeys').updateOne({ _id: keyId }, { $set: { expirationDate: new Date(Date.now() - 1000) } });
      await expectRejected(bearer);
    } finally {
      await gw.db.collection('apikeys').deleteMany({ _id: keyId });
    }
  });

  it('reads an expirationDate stored as text or epoch ms as the instant it names, and refuses a key whose expiry is not a date', async () => {
    const keyId = new ObjectId();
    await gw.db.collection('apikeys').insertOne({ _id: keyId, name: 'Odd expiry', ownerId: f().accounts.member, token: 'x', expirationDate: null });
    try {
      const bearer = signApiKeyToken({ keyId, ownerId: f().accounts.member }, TEST_JWT_SECRET);
      const expiring = async (expirationDate: unknown) => gw.db.collection('apikeys').updateOne({ _id: keyId }, { $set: { expirationDate } });
      for (const future of [new Date(Date.now() + 3_600_000).toISOString(), Date.now() + 3_600_000]) {
        await expiring(future);
        await expectMember(bearer);
      }
      for (const pastOrUnreadable of ['2020-01-01T00:00:00.000Z', 1577836800000, 'soon', { at: 'never' }, true]) {
        await expiring(pastOrUnreadable);
        await expectRejected(bearer);
      }
    } finally {
      await gw.db.collection('apikeys').deleteMany({ _id: keyId });
    }
  });

  it('rejects a valid key whose owner account does not exist', async () => {
    const keyId = new ObjectId();
    const ghost = new ObjectId();
    await gw.db.collection('apikeys').insertOne({ _id: keyId, name: 'Orphan', ownerId: ghost, token: 'x', expirationDate: null, version: 0 });
    try {
      await expectRejected(signApiKeyToken({ keyId, ownerId: ghost }, TEST_JWT_SECRET));
    } finally {
      await gw.db.collection('apikeys').deleteMany({ _id: keyId });
    }
  });

  it('rejects an API-key token that is itself expired or wrongly signed', async () => {
    const claims = { keyId: hex(f().apikeys.memberKey), accountId: hex(f().accounts.member), version: 2 };
    await expectRejected(jwt.sign({ ...claims, exp: nowSeconds() - 1 }, TEST_JWT_SECRET, { algorithm: 'HS256' }));
    await expectRejected(jwt.sign(claims, TEST_JWT_SECRET, { algorithm: 'HS512' }));
  });
});
