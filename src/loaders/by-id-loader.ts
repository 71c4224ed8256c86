/**
 * A loader over one collection keyed by `_id` alone, for documents that are not owned by a team
 * (teams, orgs, accounts, API keys), for sessions, whose team is learnt from the document itself, and
 * for federation references. Each batch is one `find` with `$in`; secrets are removed before a
 * document is kept, and a document the data model finds unusable resolves as missing.
 */
import type { Db, Document, ObjectId } from 'mongodb';
import { isUsableDocument } from '../data-model/collections';
import type { CollectionName } from '../data-model/documents';
import { hexOf } from '../data-model/object-id';
import { removeSecrets, secretsProjection } from '../db/secrets';
import { BatchedLoads, keyedBy } from './batched-loads';
import { wholeBatch } from './query-options';
import type { RequestReader } from './request-reader';

export type ByIdLoader<T> = BatchedLoads<ObjectId, T | null>;

const byHex = keyedBy<ObjectId>(hexOf);

export function createByIdLoader<T extends Document>(db: Db, collection: CollectionName, reader: RequestReader): ByIdLoader<T> {
  return new BatchedLoads<ObjectId, T | null>((ids) => loadById<T>(db, collection, reader, ids), byHex);
}

// a function of the module, not a closure per request (see ./team-scoped-loader.ts)
async function loadById<T>(db: Db, collection: CollectionName, reader: RequestReader, ids: readonly ObjectId[]): Promise<Array<T | null>> {
  const docs = await reader.find(
    db.collection<Document>(collection),
    { _id: { $in: [...ids] } },
    { projection: secretsProjection(collection), ...wholeBatch(ids.length) },
    { collection, size: ids.length },
  );
  const byId = new Map<string, T>();
  for (const doc of docs) if (isUsableDocument(collection, doc)) byId.set(hexOf(doc._id), removeSecrets(collection, doc) as unknown as T);
  return ids.map((id) => byId.get(hexOf(id)) ?? null);
}
