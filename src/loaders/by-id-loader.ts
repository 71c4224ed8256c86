/**
 * A DataLoader over one collection keyed by `_id` alone, for documents that are not owned by a team
 * (teams, orgs, accounts, API keys), for sessions, whose team is learnt from the document itself, and
 * for federation references. Each batch is one `find` with `$in`; secrets are removed before a
 * document enters the cache, and a document the data model finds unusable resolves as missing.
 */
import DataLoader from 'dataloader';
import type { Db, Document, ObjectId } from 'mongodb';
import { isUsableDocument } from '../data-model/collections';
import type { CollectionName } from '../data-model/documents';
import { removeSecrets, secretsProjection } from '../db/secrets';
import { wholeBatch } from './query-options';
import type { RequestReader } from './request-reader';
import { hexOf } from '../data-model/object-id';

export type ByIdLoader<T> = DataLoader<ObjectId, T | null, string>;

export function createByIdLoader<T extends Document>(db: Db, collection: CollectionName, reader: RequestReader): ByIdLoader<T> {
  return new DataLoader<ObjectId, T | null, string>(
    async (ids) => {
      const docs = await reader.find(
        db.collection<Document>(collection),
        { _id: { $in: [...ids] } },
        { projection: secretsProjection(collection), ...wholeBatch(ids.length) },
        { collection, size: ids.length },
      );
      const byId = new Map<string, T>();
      for (const doc of docs) if (isUsableDocument(collection, doc)) byId.set(hexOf(doc._id), removeSecrets(collection, doc) as unknown as T);
      return ids.map((id) => byId.get(hexOf(id)) ?? null);
    },
    { cacheKeyFn: (id) => hexOf(id) },
  );
}
