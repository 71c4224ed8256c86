/** The documents that relations reach from given documents, in the referencing documents' team. */
import type { Document } from 'mongodb';
import type { RelatedCollection } from '../data-model/collections';
import { referencesOf, teamOf, type Relation } from '../data-model/relations';
import type { Loaders } from './index';
import type { MaybePromise } from './maybe-promise';
import type { TeamScopedKey, TeamScopedLoader } from './team-scoped-loader';
import { Reads } from './batched-loads';
import { hexOf } from '../data-model/object-id';

/** Documents, and the relations to follow from each of them. */
export interface ReferenceSource {
  docs: readonly Document[];
  relations: readonly Relation[];
}

/** The references met, each once, in first-met order: the loader and the key of each. */
export interface References {
  loaders: Array<TeamScopedLoader<Document>>;
  keys: TeamScopedKey[];
}

/** The documents referenced through each source's relations from its docs, each once, in first-met order. */
export function referencesFrom(loaders: Loaders, sources: readonly ReferenceSource[]): References {
  const found: References = { loaders: [], keys: [] };
  // ids met, by collection (a relation from two sources can reach the same document twice)
  const seen = new Map<RelatedCollection, Set<string>>();
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
          found.loaders.push(loader);
          found.keys.push({ teamId, id });
        }
      }
    }
  }
  return found;
}

/** Reads those of the references the request has not read, adding their batches to `reads`. */
export function whenRead(references: References, reads: Reads): void {
  const { loaders, keys } = references;
  let i = 0;
  while (i < keys.length) {
    // the references of one loader are together when they come from one relation: one request each
    const loader = loaders[i];
    let end = i + 1;
    while (end < keys.length && loaders[end] === loader) end++;
    reads.add(loader.request(end - i === keys.length ? keys : keys.slice(i, end)));
    i = end;
  }
}

/** The documents read for the references, without those that resolve to nothing; throws a failed read's Error. */
export function documentsOf({ loaders, keys }: References): Document[] {
  const docs: Document[] = [];
  for (let i = 0; i < keys.length; i++) {
    const answer = loaders[i].answerOf(keys[i]);
    if (answer instanceof Error) throw answer;
    if (answer === undefined) throw new Error('a reference was taken before it was read');
    if (answer) docs.push(answer);
  }
  return docs;
}

export function loadReferenced(loaders: Loaders, sources: readonly ReferenceSource[]): MaybePromise<Document[]> {
  const references = referencesFrom(loaders, sources);
  const reads = new Reads();
  whenRead(references, reads);
  const read = reads.all();
  return read ? read.then(() => documentsOf(references)) : documentsOf(references);
}
