/**
 * Following a relation of the data model from one document, through the request's loaders: one
 * document or null for a one-relation, the resolving documents in reference order for a many-relation.
 */
import type { Document } from 'mongodb';
import type { DocumentTypes } from '../data-model/documents';
import { referencesOf, teamOf, type Followed, type Relation } from '../data-model/relations';
import type { Loaders } from './index';
import type { TeamScopedLoader } from './team-scoped-loader';

export function follow<R extends Relation>(loaders: Loaders, relation: R, doc: DocumentTypes[R['from']]): Promise<Followed<R>> {
  const loader = loaders[relation.to] as TeamScopedLoader<Document>;
  const teamId = teamOf(doc);
  const ids = teamId ? referencesOf(relation, doc) : [];
  if (!relation.many) return (ids.length > 0 && teamId ? loader.load({ teamId, id: ids[0] }) : Promise.resolve(null)) as Promise<Followed<R>>;
  return Promise.all(ids.map((id) => loader.load({ teamId: teamId!, id }))).then((docs) => docs.filter((d) => d !== null)) as Promise<Followed<R>>;
}
