/**
 * The apps of a team created by one account, for the owner sharing mode in list queries. `createdBy`
 * is a hex string in the webapp's data (an ObjectId in older documents), so every spelling the policy's
 * check reads is matched.
 * The apps are primed into the team-scoped loader, where the policy's per-session check finds them.
 */
import type { Db, ObjectId } from 'mongodb';
import type { AppDoc } from '../data-model/documents';
import type { RequestReader } from './request-reader';
import type { TeamScopedLoader } from './team-scoped-loader';
import { isUsableDocument } from '../data-model/collections';
import { storedSpellingsOf } from '../data-model/object-id';

export type AppsCreatedBy = (teamId: ObjectId, accountId: ObjectId) => Promise<AppDoc[]>;

export function createAppsCreatedBy(db: Db, apps: TeamScopedLoader<AppDoc>, reader: RequestReader): AppsCreatedBy {
  return async (teamId, accountId) => {
    const docs = await reader.find(db.collection<AppDoc>('apps'), { teamId, createdBy: { $in: storedSpellingsOf(accountId) } });
    const usable = docs.filter((doc) => isUsableDocument('apps', doc));
    for (const doc of usable) apps.prime({ teamId, id: doc._id }, doc);
    return usable;
  };
}
