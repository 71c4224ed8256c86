/**
 * Secrets are kept out twice (CONTRACT §1): the loaders' projection, which a real server applies so the
 * secret never leaves the database, and the removal in code, for servers that ignore projections.
 * FerretDB applies projections; jongodb ignores them. Each lane shows the half it can show, and both
 * show that what the loaders hand on has no secret.
 */
import { BSON, ObjectId } from 'mongodb';
import { removeSecrets, secretPaths, secretsProjection } from '../src/db/secrets';
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

describe('a secret one array deeper than its path (a malformed document)', () => {
  const stored = () => ({
    _id: new ObjectId(),
    teamId: gw.fixtures.teams.acmeMain,
    name: 'Tool with its data as a list',
    type: 'function',
    data: [
      { name: 'first', environmentVariables: { API_KEY: 'SECRET-in-an-array' } },
      // FerretDB stores no array directly in an array
      ...(TEST_DATABASE === 'ferretdb' ? [] : [[{ environmentVariables: { API_KEY: 'SECRET-in-a-nested-array' } }]]),
      'text',
    ],
  });

  it('is not handed on by the loaders, element by element, as a projection leaves it out', async () => {
    const doc = stored();
    await gw.db.collection('tools').insertOne(doc);
    try {
      const loaded = await createLoaders(gw.db).tools.load({ teamId: doc.teamId, id: doc._id });
      expect(loaded?._id).toEqual(doc._id);
      expect(JSON.stringify(loaded)).not.toContain('SECRET-');
      expect(loaded!.data).toEqual([{ name: 'first' }, ...(TEST_DATABASE === 'ferretdb' ? [] : [[{}]]), 'text']);
    } finally {
      await gw.db.collection('tools').deleteOne({ _id: doc._id });
    }
  });

  if (TEST_DATABASE === 'ferretdb') {
    it('FerretDB’s projection leaves it out of each element too (MongoDB’s rule, which the removal in code follows)', async () => {
      const doc = stored();
      await gw.db.collection('tools').insertOne(doc);
      try {
        const raw = await gw.db.collection('tools').findOne({ _id: doc._id }, { projection: secretsProjection('tools') });
        expect(JSON.stringify(raw)).not.toContain('SECRET-');
      } finally {
        await gw.db.collection('tools').deleteOne({ _id: doc._id });
      }
    });
  }
});

describe('a secret inside a subdocument that reads as a reference ($ref and $id: the driver makes it a DBRef)', () => {
  const referenceLike = (id: ObjectId) => ({
    _id: id,
    teamId: gw.fixtures.teams.acmeMain,
    name: 'Tool whose data reads as a reference',
    type: 'function',
    data: { $ref: 'functions', $id: new ObjectId(), name: 'f', environmentVariables: { API_KEY: 'SECRET-in-a-reference' } },
  });

  it('is removed from what the driver hands over, as a projection removes it, and the rest is kept', () => {
    // what the driver makes of the stored bytes
    const received = BSON.deserialize(BSON.serialize(referenceLike(new ObjectId())));
    expect(JSON.stringify(received)).toContain('SECRET-in-a-reference');
    const shown = JSON.parse(JSON.stringify(removeSecrets('tools', received)));
    expect(JSON.stringify(shown)).not.toContain('SECRET-');
    expect(shown.data).toEqual({ $ref: 'functions', $id: expect.any(String), name: 'f' });
  });

  // FerretDB refuses `$`-prefixed keys in a stored document
  if (TEST_DATABASE !== 'ferretdb') {
    it('is not handed on by the loaders', async () => {
      const doc = referenceLike(new ObjectId());
      await gw.db.collection('tools').insertOne(doc);
      try {
        const loaded = await createLoaders(gw.db).tools.load({ teamId: doc.teamId, id: doc._id });
        expect(loaded?._id).toEqual(doc._id);
        expect(JSON.stringify(loaded)).not.toContain('SECRET-');
      } finally {
        await gw.db.collection('tools').deleteOne({ _id: doc._id });
      }
    });
  }
});
