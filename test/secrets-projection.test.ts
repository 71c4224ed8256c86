/**
 * Secrets are kept out twice (CONTRACT §1): the loaders' projection, which a real server applies so the
 * secret never leaves the database, and the removal in code, for servers that ignore projections.
 * FerretDB applies projections; jongodb ignores them. Each lane shows the half it can show, and both
 * show that what the loaders hand on has no secret.
 */
import { secretPaths, secretsProjection } from '../src/db/secrets';
import { createLoaders } from '../src/loaders';
import { TEST_DATABASE } from './support/database';
import { startTestGateway, type TestGateway } from './support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

const valueAt = (doc: Record<string, any>, path: string) => path.split('.').reduce<any>((value, key) => value?.[key], doc);

describe.each([
  ['models', () => gw.fixtures.models.gpt],
  ['datasources', () => gw.fixtures.datasources.docs],
  ['tools', () => gw.fixtures.tools.ragTool],
  ['accounts', () => gw.fixtures.accounts.member],
] as const)('%s', (collection, id) => {
  it('the stored document has its secret', async () => {
    const stored = await gw.db.collection(collection).findOne({ _id: id() });
    for (const path of secretPaths(collection)) if (path !== 'oauth') expect(valueAt(stored!, path)).toBeDefined();
  });

  if (TEST_DATABASE === 'ferretdb') {
    it('FerretDB applies the loaders’ projection: the driver never receives the secret', async () => {
      const raw = await gw.db.collection(collection).findOne({ _id: id() }, { projection: secretsProjection(collection) });
      expect(raw!._id).toEqual(id());
      for (const path of secretPaths(collection)) expect(valueAt(raw!, path)).toBeUndefined();
    });
  } else {
    it('jongodb ignores projections (the driver receives the secret), so the removal in code is what holds', async () => {
      const raw = await gw.db.collection(collection).findOne({ _id: id() }, { projection: secretsProjection(collection) });
      const [first] = secretPaths(collection);
      expect(valueAt(raw!, first)).toBeDefined();
    });
  }

  it('what the loaders hand on has no secret', async () => {
    const loaders = createLoaders(gw.db);
    const doc = collection === 'accounts'
      ? await loaders.accounts.load(id())
      : await loaders[collection].load({ teamId: gw.fixtures.teams.acmeMain, id: id() });
    expect(doc?._id).toEqual(id());
    for (const path of secretPaths(collection)) expect(valueAt(doc!, path)).toBeUndefined();
  });
});
