/**
 * The per-request loaders, one per collection of the data model, made fresh for each
 * request so that nothing is cached across requests or callers. Every surface reads only through
 * these: tenant collections by (team, id), the others by id.
 */
import type { Db } from 'mongodb';
import { COLLECTION_NAMES, COLLECTIONS, type RelatedCollection } from '../data-model/collections';
import type { AppDoc, DocumentTypes, MessageDoc, SessionDoc } from '../data-model/documents';
import { createByIdLoader, type ByIdLoader } from './by-id-loader';
import { createTeamScopedLoader, type TeamScopedLoader } from './team-scoped-loader';
import { requestReader, type RequestReader } from './request-reader';
import type { BatchObserver, RequestReads } from './request-reads';
import { createSessionLister, type SessionLister } from './session-list';
import { createAppsCreatedBy, type AppsCreatedBy } from './apps-created-by';
import { createSessionMessages, type SessionMessages } from './session-messages';

type ByIdCollection = Exclude<keyof DocumentTypes, RelatedCollection>;

export type Loaders = { [C in RelatedCollection]: TeamScopedLoader<DocumentTypes[C]> } & { [C in ByIdCollection]: ByIdLoader<DocumentTypes[C]> } & {
  /** Pages of a team's sessions, newest first, filtered by the database; found sessions are primed into `sessions`. */
  listSessions: SessionLister;
  /** The apps of a team an account created (the owner sharing mode); primed into `apps`. */
  appsCreatedBy: AppsCreatedBy;
  /** Sessions' messages, oldest first, batched across sessions; primed into `chat`. */
  messages: SessionMessages;
};

export type { BatchObserver, RequestReads };

/** `reads` receives the request's deadline and counts its reads. */
export function createLoaders(db: Db, reads: RequestReads = { count: 0 }): Loaders {
  const q: RequestReader = requestReader(reads);
  const loaders: Record<string, unknown> = {};
  for (const name of COLLECTION_NAMES) {
    const byTeam = COLLECTIONS[name].tenancy !== 'global' && name !== 'sessions';
    loaders[name] = byTeam ? createTeamScopedLoader(db, name as RelatedCollection, q) : createByIdLoader(db, name, q);
  }
  loaders.listSessions = createSessionLister(db, loaders.sessions as ByIdLoader<SessionDoc>, q);
  loaders.appsCreatedBy = createAppsCreatedBy(db, loaders.apps as TeamScopedLoader<AppDoc>, q);
  loaders.messages = createSessionMessages(db, q, loaders.chat as TeamScopedLoader<MessageDoc>);
  return loaders as Loaders;
}
