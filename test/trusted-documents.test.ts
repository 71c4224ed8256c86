/**
 * Trusted documents: a manifest made by GraphQL Code Generator (client preset, persisted documents)
 * from the project's example operations (docs/examples/operations.graphql). Clients name a document by
 * `documentId` (or the persisted-query hash), over HTTP and WebSocket; with TRUSTED_DOCUMENTS_ONLY any
 * other document is refused with 400 PERSISTED_QUERY_NOT_FOUND before anything is read.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config';
import { TrustedDocuments } from '../src/server/trusted-documents';
import { startTestGateway, type TestGateway } from './support/gateway';
import { liveClient } from './support/live-client';

const ROOT = path.resolve(__dirname, '..');
let work: string;
let manifestFile: string;
let manifest: Record<string, string>;
let strict: TestGateway;
let open: TestGateway;

/** The manifest's id of the operation named `name`. */
const idOf = (name: string) => Object.entries(manifest).find(([, text]) => new RegExp(`^(query|subscription) ${name}\\b`).test(text))![0];

beforeAll(async () => {
  mkdirSync(path.join(ROOT, 'test', 'artifacts'), { recursive: true });
  work = mkdtempSync(path.join(ROOT, 'test', 'artifacts', 'trusted-documents-'));
  writeFileSync(path.join(work, 'codegen.ts'), `import type { CodegenConfig } from '@graphql-codegen/cli';
const config: CodegenConfig = {
  schema: ${JSON.stringify(path.join(ROOT, 'schema.graphql'))},
  documents: [${JSON.stringify(path.join(ROOT, 'docs', 'examples', 'operations.graphql'))}],
  generates: { ${JSON.stringify(path.join(work, 'gql') + '/')}: { preset: 'client', presetConfig: { persistedDocuments: true } } },
};
export default config;
`);
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules', '.bin', 'graphql-codegen'), '--config', path.join(work, 'codegen.ts')], { cwd: ROOT, timeout: 100_000 });
  manifestFile = path.join(work, 'gql', 'persisted-documents.json');
  manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  [strict, open] = await Promise.all([
    startTestGateway({ app: { trustedDocuments: TrustedDocuments.load(manifestFile, true), live: { intervalMs: 200 } } }),
    startTestGateway({ app: { trustedDocuments: TrustedDocuments.load(manifestFile, false) } }),
  ]);
}, 150_000);
afterAll(async () => {
  await Promise.all([strict?.stop(), open?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

async function post(gw: TestGateway, body: Record<string, unknown>) {
  const response = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.tokenFor('owner')}` }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

it('is made by GraphQL Code Generator from the example operations: one document per operation, keyed by its sha256', () => {
  expect(Object.keys(manifest)).toHaveLength(5);
  for (const id of Object.keys(manifest)) expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(idOf('SessionDetail')).toBeDefined();
});

describe('with TRUSTED_DOCUMENTS_ONLY', () => {
  it('runs a document named by its id (POST, GET, and the persisted-query hash)', async () => {
    const variables = { id: strict.fixtures.sessions.teamCrew.toHexString() };
    const byId = await post(strict, { documentId: idOf('SessionDetail'), variables });
    expect(byId).toMatchObject({ status: 200, body: { data: { session: { name: 'Team crew run' } } } });
    expect(byId.body.errors).toBeUndefined();

    const search = new URLSearchParams({ documentId: idOf('SessionDetail'), variables: JSON.stringify(variables) });
    const get = await fetch(`${strict.url}/graphql?${search}`, { headers: { authorization: `Bearer ${strict.tokenFor('owner')}`, 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(200);
    expect(((await get.json()) as { data: any }).data.session.name).toBe('Team crew run');

    const hash = idOf('SessionDetail').slice('sha256:'.length);
    const persisted = await post(strict, { variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(persisted).toMatchObject({ status: 200, body: { data: { session: { name: 'Team crew run' } } } });
  });

  it('refuses an unknown id and any document text outside the manifest, before any read', async () => {
    for (const body of [
      { documentId: `sha256:${'0'.repeat(64)}`, variables: {} },
      { query: '{ viewer { name } }' },
      { query: `${manifest[idOf('SessionDetail')]} ` }, // not the manifest's text: one more space
      { variables: {}, extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } },
    ]) {
      const { result, total } = await strict.countCommands(() => post(strict, body));
      expect({ body, status: result.status, code: result.body.errors?.[0]?.extensions?.code, reads: total }).toEqual({ body, status: 400, code: 'PERSISTED_QUERY_NOT_FOUND', reads: 0 });
      expect(result.body.data).toBeUndefined();
    }
    // the manifest's own text, sent whole, is that document
    const same = await post(strict, { query: manifest[idOf('SessionDetail')], variables: { id: strict.fixtures.sessions.teamCrew.toHexString() } });
    expect(same.status).toBe(200);
  });

  it('says so to the IDE: its introspection is refused with the reason, not left blank', async () => {
    const { status, body } = await post(strict, { query: '{ __schema { queryType { name } } }' });
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/Only trusted documents are served here \(TRUSTED_DOCUMENTS_ONLY\)/), extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });
  });

  it('over WebSocket: subscribes by id, and refuses any other document before any read', async () => {
    const client = liveClient(strict.url, strict.tokenFor('owner'));
    try {
      const id = strict.fixtures.sessions.teamCrew.toHexString();
      const trusted = client.subscribe('', { id }, { documentId: idOf('SessionUpdated') });
      expect((await trusted.next(1))[0]).toMatchObject({ data: { sessionUpdated: { name: 'Team crew run' } } });
      const { result: refused, total } = await strict.countCommands(async () => {
        const other = client.subscribe('subscription($id: ObjectId!) { sessionUpdated(_id: $id) { name } }', { id });
        await other.ended();
        return other;
      });
      expect(refused.errors).toEqual([[expect.objectContaining({ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } })]]);
      expect(total).toBe(0);
      trusted.stop();
    } finally {
      await client.dispose();
    }
  });

  it('answers a batch as batching is answered without a manifest (BAD_USER_INPUT), not as a document it does not hold', async () => {
    const { result, total } = await strict.countCommands(() => fetch(`${strict.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ documentId: idOf('SessionDetail'), variables: {} }]) }));
    const body = (await result.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect({ status: result.status, code: body.errors[0].extensions.code, message: body.errors[0].message, reads: total }).toEqual({ status: 400, code: 'BAD_USER_INPUT', message: 'Operation batching disabled.', reads: 0 });
  });
});

describe('without TRUSTED_DOCUMENTS_ONLY', () => {
  it('serves other documents as well, and still resolves ids', async () => {
    expect(await post(open, { query: '{ viewer { name } }' })).toMatchObject({ status: 200, body: { data: { viewer: expect.any(Object) } } });
    const variables = { team: open.fixtures.teams.acmeMain.toHexString(), first: 2 };
    const byId = await post(open, { documentId: idOf('SessionList'), variables });
    expect(byId.status).toBe(200);
    expect(byId.body.data.sessions.edges).toHaveLength(2);
    expect(byId.body.data.sessions.pageInfo.hasNextPage).toBe(true);
    // the manifest's document, as its text sent would answer
    expect(byId.body).toEqual((await post(open, { query: manifest[idOf('SessionList')], variables })).body);
    expect((await post(open, { documentId: 'nope' })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('leaves automatic persisted queries of documents outside the manifest to Apollo Server, as a client’s APQ link sends them', async () => {
    const query = '{ viewer { _id name } }';
    const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
    // the hash alone first: not known yet, the APQ protocol's answer (the client then sends the text too)
    const unknown = await post(open, { extensions });
    expect(unknown.body.errors?.[0]).toMatchObject({ message: 'PersistedQueryNotFound', extensions: { code: 'BAD_USER_INPUT', reason: 'PERSISTED_QUERY_NOT_FOUND' } });
    expect(await post(open, { query, extensions })).toMatchObject({ status: 200, body: { data: { viewer: { name: expect.any(String) } } } });
    // registered: the hash alone now runs it, over GET too
    expect(await post(open, { extensions })).toMatchObject({ status: 200, body: { data: { viewer: { name: expect.any(String) } } } });
    const get = await fetch(`${open.url}/graphql?${new URLSearchParams({ extensions: JSON.stringify(extensions) })}`, { headers: { authorization: `Bearer ${open.tokenFor('owner')}`, 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(200);
    // a hash that is not the text's is still refused (by Apollo Server)
    const mismatched = await post(open, { query: '{ __typename }', extensions });
    expect(mismatched.status).toBe(400);
    // over WebSocket, which has no automatic persisted queries, a hash the manifest lacks is refused
    const client = liveClient(open.url, open.tokenFor('owner'));
    try {
      const sub = client.subscribe('', { id: open.fixtures.sessions.teamCrew.toHexString() }, { extensions: { persistedQuery: { version: 1, sha256Hash: 'e'.repeat(64) } } });
      await sub.ended();
      expect(sub.errors).toEqual([[expect.objectContaining({ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } })]]);
    } finally {
      await client.dispose();
    }
    // the strict copy refuses the same, before any read
    const { result, total } = await strict.countCommands(() => post(strict, { query, extensions }));
    expect({ status: result.status, code: result.body.errors?.[0]?.extensions?.code, reads: total }).toEqual({ status: 400, code: 'PERSISTED_QUERY_NOT_FOUND', reads: 0 });
  });
});

it('is configured by TRUSTED_DOCUMENTS and TRUSTED_DOCUMENTS_ONLY; a manifest that is not one stops the start', () => {
  expect(loadConfig({ TRUSTED_DOCUMENTS: manifestFile, TRUSTED_DOCUMENTS_ONLY: 'true' }).trustedDocuments).toEqual({ file: manifestFile, only: true });
  expect(() => loadConfig({ TRUSTED_DOCUMENTS_ONLY: 'true' })).toThrow(/TRUSTED_DOCUMENTS_ONLY=true needs TRUSTED_DOCUMENTS/);
  const bad = path.join(work, 'bad.json');
  writeFileSync(bad, JSON.stringify(['query { viewer { name } }']));
  expect(() => TrustedDocuments.load(bad, true)).toThrow(/is not a JSON object from document id to document text/);
  expect(TrustedDocuments.load(manifestFile, false).size).toBe(5);
});
