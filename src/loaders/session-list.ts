/**
 * Reads one page of a team's sessions, newest first (`_id` descending, as the webapp pages them), with
 * the caller's sharing rules in the query (`readable`, made by the access policy), so that the
 * database returns only sessions the caller may read and a page costs one `find`.
 */
import type { Db, Filter, ObjectId } from 'mongodb';
import type { SessionDoc } from '../data-model/documents';
import { isUsableDocument } from '../data-model/collections';
import { ANY_OBJECT_ID } from '../data-model/object-id';
import type { ByIdLoader } from './by-id-loader';
import { wholeBatch } from './query-options';
import type { RequestReader } from './request-reader';

export interface SessionListFilter {
  teamId: ObjectId;
  /** The caller's sharing rules as a filter; `{}` for admins of the team. */
  readable: Filter<SessionDoc>;
  /** Stored status value (lowercase). */
  status?: string;
  appId?: ObjectId;
  /** Only sessions older than this id. */
  beforeId?: ObjectId;
}

export type SessionLister = (filter: SessionListFilter, limit: number) => Promise<SessionDoc[]>;

export function createSessionLister(db: Db, sessions: ByIdLoader<SessionDoc>, reader: RequestReader): SessionLister {
  return async (filter, limit) => {
    const query: Filter<SessionDoc> = { teamId: filter.teamId, ...filter.readable };
    if (filter.status !== undefined) query.status = filter.status;
    if (filter.appId !== undefined) query.appId = filter.appId;
    // only ObjectId ids (a session stored with another is unreadable, and would sort apart from the
    // rest), beside whatever the rules say of `_id`
    const range = filter.beforeId !== undefined ? { $lt: filter.beforeId } : ANY_OBJECT_ID;
    if (query._id === undefined) query._id = range;
    else query.$and = [{ _id: range }];
    const docs = (await reader.find(db.collection<SessionDoc>('sessions'), query, { sort: { _id: -1 }, limit, ...wholeBatch(limit) })).filter((doc) => isUsableDocument('sessions', doc));
    for (const doc of docs) sessions.prime(doc._id, doc);
    return docs;
  };
}
