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
import { allOf, andThen, present, type MaybePromise } from './maybe-promise';

export function follow<R extends Relation>(loaders: Loaders, relation: R, doc: DocumentTypes[R['from']]): MaybePromise<Followed<R>> {
  const loader = loaders[relation.to] as TeamScopedLoader<Document>;
  const teamId = teamOf(doc);
  const ids = teamId ? referencesOf(relation, doc) : [];
  if (!relation.many) return (ids.length > 0 && teamId ? loader.current({ teamId, id: ids[0] }) : null) as MaybePromise<Followed<R>>;
  return andThen(allOf(ids.map((id) => loader.current({ teamId: teamId!, id }))), present) as MaybePromise<Followed<R>>;
}
