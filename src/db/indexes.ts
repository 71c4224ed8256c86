/**
 * `npm run indexes`: creates, on the database at MONGODB_URI, the indexes the data model declares for
 * the gateway's queries (src/data-model/collections.ts). Opt-in: the gateway never changes a
 * database by itself. Creating an index that exists is a no-op, so it can be run again.
 */
import { MongoClient, type Db } from 'mongodb';
import { COLLECTION_NAMES, COLLECTIONS, type CollectionSpec } from '../data-model/collections';
import { databaseNameFromUri } from './database-name';

export async function createDeclaredIndexes(db: Db): Promise<string[]> {
  const created: string[] = [];
  for (const name of COLLECTION_NAMES) {
    const spec: CollectionSpec = COLLECTIONS[name];
    for (const keys of spec.indexes ?? []) created.push(`${name}.${await db.collection(name).createIndex({ ...keys })}`);
  }
  return created;
}

async function main(): Promise<void> {
  const uri = process.env.MONGODB_URI;
  if (!uri) throw new Error('MONGODB_URI is not set: give the URI of the MongoDB to index');
  const client = new MongoClient(uri);
  try {
    const created = await createDeclaredIndexes(client.db(databaseNameFromUri(uri)));
    console.log(`indexes in place: ${created.join(', ')}`);
  } finally {
    await client.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`indexes failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
