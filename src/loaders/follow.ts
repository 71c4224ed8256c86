/**
 * Following a relation of the data model from one document, through the request's loaders: one
 * document or null for a one-relation, the resolving documents in reference order for a many-relation.
 * When the request has already read every document referenced, `followSettled` gives them at once
 * (a value, not a promise: GraphQL then completes the field without waiting a turn).
 */
import type { Document } from 'mongodb';
import type { DocumentTypes } from '../data-model/documents';
import { referencesOf, teamOf, type Followed, type Relation } from '../data-model/relations';
import type { Loaders } from './index';
import type { TeamScopedLoader } from './team-scoped-loader';

/** What following the relation gives, when every referenced document is settled; undefined otherwise. */
export function followSettled<R extends Relation>(loaders: Loaders, relation: R, doc: DocumentTypes[R['from']]): Followed<R> | undefined {
  const loader = loaders[relation.to] as TeamScopedLoader<Document>;
  const teamId = teamOf(doc);
  const ids = teamId ? referencesOf(relation, doc) : [];
  if (!relation.many) {
    if (ids.length === 0 || !teamId) return null as Followed<R>;
    return loader.settled({ teamId, id: ids[0] }) as Followed<R> | undefined;
  }
  const docs: Document[] = [];
  for (const id of ids) {
    const found = loader.settled({ teamId: teamId!, id });
    if (found === undefined) return undefined;
    if (found !== null) docs.push(found);
  }
  return docs as Followed<R>;
}

export function follow<R extends Relation>(loaders: Loaders, relation: R, doc: DocumentTypes[R['from']]): Promise<Followed<R>> {
  const loader = loaders[relation.to] as TeamScopedLoader<Document>;
  const teamId = teamOf(doc);
  const ids = teamId ? referencesOf(relation, doc) : [];
  if (!relation.many) return (ids.length > 0 && teamId ? loader.load({ teamId, id: ids[0] }) : Promise.resolve(null)) as Promise<Followed<R>>;
  return Promise.all(ids.map((id) => loader.load({ teamId: teamId!, id }))).then((docs) => docs.filter((d) => d !== null)) as Promise<Followed<R>>;
}
