/**
 * A loader over one tenant collection, keyed by (teamId, id): a document resolves only for the
 * team that owns it, so an id of another team resolves to null through every relation (docs/access.md).
 * Each batch is one `find` with `$in`. Collections whose tenancy admits global built-ins (tools)
 * resolve those for every team, as the webapp's tool lookups do.
 */
import type { Db, Document, Filter, ObjectId } from 'mongodb';
import { COLLECTIONS, isBuiltinTool, isUsableDocument, type RelatedCollection } from '../data-model/collections';
import { removeSecrets, secretsProjection } from '../db/secrets';
import { wholeBatch } from './query-options';
import { BatchedLoads, type KeyMap } from './batched-loads';
import type { RequestReader } from './request-reader';
import { hexOf, idHex, uniqueIds } from '../data-model/object-id';

export interface TeamScopedKey {
  teamId: ObjectId;
  id: ObjectId;
}

/** A map keyed by (teamId, id), team then id, so that a lookup builds no key string. */
class TeamKeyMap<V> implements KeyMap<TeamScopedKey, V> {
  private readonly byTeam = new Map<string, Map<string, V>>();

  get(key: TeamScopedKey): V | undefined {
    return this.byTeam.get(hexOf(key.teamId))?.get(hexOf(key.id));
  }

  set(key: TeamScopedKey, value: V): this {
    const team = hexOf(key.teamId);
    let byId = this.byTeam.get(team);
    if (!byId) this.byTeam.set(team, (byId = new Map()));
    byId.set(hexOf(key.id), value);
    return this;
  }
}

const teamKeyMap = <V>() => new TeamKeyMap<V>();

/**
 * Documents by (teamId, id), read in batches; a relation whose documents the request has already read
 * resolves without a promise (`current`): most of a session graph's nested fields, once the load plan
 * has read its stages.
 */
export class TeamScopedLoader<T> extends BatchedLoads<TeamScopedKey, T | null> {
  constructor(batch: (keys: readonly TeamScopedKey[]) => Promise<Array<T | null>>) {
    super(batch, teamKeyMap);
  }
}

export function createTeamScopedLoader<T extends Document>(db: Db, collection: RelatedCollection, reader: RequestReader): TeamScopedLoader<T> {
  return new TeamScopedLoader<T>((keys) => loadTeamScoped<T>(db, collection, reader, keys));
}

// a function of the module, not a closure per request: V8 keeps its optimized code (see ./session-graph-loader.ts)
async function loadTeamScoped<T>(db: Db, collection: RelatedCollection, reader: RequestReader, keys: readonly TeamScopedKey[]): Promise<Array<T | null>> {
  const includeBuiltins = COLLECTIONS[collection].tenancy === 'team-or-builtin';
  const ids = uniqueIds(keys.map((key) => key.id));
  const ownedByTeam: Filter<Document> = { teamId: { $in: uniqueIds(keys.map((key) => key.teamId)) } };
  const filter: Filter<Document> = includeBuiltins
    ? { _id: { $in: ids }, $or: [ownedByTeam, { teamId: null, 'data.builtin': true }] }
    : { _id: { $in: ids }, ...ownedByTeam };
  const docs = await reader.find(
    db.collection<Document>(collection),
    filter,
    { projection: secretsProjection(collection), ...wholeBatch(ids.length) },
    { collection, size: keys.length },
  );
  const byId = new Map<string, Document>();
  for (const doc of docs) if (isUsableDocument(collection, doc)) byId.set(hexOf(doc._id), removeSecrets(collection, doc));
  return keys.map((key) => {
    const doc = byId.get(hexOf(key.id));
    if (!doc) return null;
    const visible = idHex(doc.teamId) === hexOf(key.teamId) || (includeBuiltins && isBuiltinTool(doc));
    return visible ? (doc as T) : null;
  });
}
