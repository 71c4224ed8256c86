import type { Db } from 'mongodb';
import type { DemoData } from './types';
import { COLLECTION_NAMES } from '../data-model/collections';

/**
 * Replaces the content of every demo collection with `data`. Collections are emptied with
 * `deleteMany` (not dropped) and filled with one ordered `insertMany` each: the embedded test server
 * has no drop/listCollections, and its writes get slower with every separate insert.
 */
export async function loadDemoData(db: Db, data: DemoData): Promise<void> {
  for (const name of COLLECTION_NAMES) {
    const collection = db.collection(name);
    await collection.deleteMany({});
    const docs = data.collections[name];
    if (docs.length > 0) {
      await collection.insertMany(docs, { ordered: true });
    }
  }
}
