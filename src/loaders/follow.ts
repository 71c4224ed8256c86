/**
 * Following a relation of the data model from one document, through the request's loaders: one
 * document or null for a one-relation, the resolving documents in reference order for a many-relation.
 * When the request has already read every document referenced, they are given at once (a value, not
 * a promise: GraphQL then completes the field without waiting a turn).
 */
import type { Document } from 'mongodb';
import type { DocumentTypes } from '../data-model/documents';
import { referencesOf, teamOf, type Followed, type Relation } from '../data-model/relations';
import type { Loaders } from './index';
import type { TeamScopedLoader } from './team-scoped-loader';

export const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => value instanceof Promise;

/** The documents found, without the references that resolve to nothing. */
export const present = <T>(found: Array<T | null>): T[] => found.filter((doc): doc is T => doc !== null);

export function follow<R extends Relation>(loaders: Loaders, relation: R, doc: DocumentTypes[R['from']]): Followed<R> | Promise<Followed<R>> {
  const loader = loaders[relation.to] as TeamScopedLoader<Document>;
  const teamId = teamOf(doc);
  const ids = teamId ? referencesOf(relation, doc) : [];
  if (!relation.many) return (ids.length > 0 && teamId ? loader.current({ teamId, id: ids[0] }) : null) as Followed<R> | Promise<Followed<R>>;
  const found = ids.map((id) => loader.current({ teamId: teamId!, id }));
  return (found.some(isPromise) ? Promise.all(found).then(present) : present(found as Array<Document | null>)) as Followed<R> | Promise<Followed<R>>;
}
