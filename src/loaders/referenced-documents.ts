/** The documents that relations reach from given documents, in the referencing documents' team. */
import type { Document } from 'mongodb';
import type { RelatedCollection } from '../data-model/collections';
import { referencesOf, teamOf, type Relation } from '../data-model/relations';
import type { Loaders } from './index';
import { allOf, andThen, present, type MaybePromise } from './maybe-promise';
import type { TeamScopedLoader } from './team-scoped-loader';
import { hexOf } from '../db/object-id';

/** The documents referenced through `relations` from `docs`, each once, in first-met order. */
export interface ReferenceSource {
  docs: readonly Document[];
  relations: readonly Relation[];
}

export function loadReferenced(loaders: Loaders, sources: readonly ReferenceSource[]): MaybePromise<Document[]> {
  // ids met, by collection (a relation from two sources can reach the same document twice)
  const seen = new Map<RelatedCollection, Set<string>>();
  // documents the request has read already are taken as they are: a promise only for those it has not
  const found: Array<MaybePromise<Document | null>> = [];
  for (const { docs, relations } of sources) {
    for (const doc of docs) {
      const teamId = teamOf(doc);
      if (!teamId) continue;
      for (const relation of relations) {
        const loader = loaders[relation.to] as TeamScopedLoader<Document>;
        let met = seen.get(relation.to);
        if (!met) seen.set(relation.to, (met = new Set()));
        for (const id of referencesOf(relation, doc as never)) {
          const hex = hexOf(id);
          if (met.has(hex)) continue;
          met.add(hex);
          found.push(loader.current({ teamId, id }));
        }
      }
    }
  }
  return andThen(allOf(found), present);
}
