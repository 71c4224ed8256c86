/**
 * Removal of the secret fields the data model declares (docs/data-layer.md). Loaders strip them from every
 * document as it arrives from the driver, so no later code path (GraphQL, REST, logs) ever holds a
 * secret to leak.
 */
import type { Document } from 'mongodb';
import { COLLECTIONS } from '../data-model/collections';
import type { CollectionName } from '../data-model/documents';

/** Dotted paths of the fields that never leave the gateway, by collection. */
export function secretPaths(collection: CollectionName): readonly string[] {
  return COLLECTIONS[collection].secrets;
}

/**
 * A projection that excludes the secrets, so a real MongoDB never sends them. Some servers (the
 * embedded test double among them) ignore projections, hence `removeSecrets` as well.
 */
export function secretsProjection(collection: CollectionName): Document | undefined {
  const paths = secretPaths(collection);
  if (paths.length === 0) return undefined;
  return Object.fromEntries(paths.map((path) => [path, 0]));
}

/** Deletes the secret fields of `doc` in place (keys are removed, not blanked) and returns it. */
export function removeSecrets<T extends Document>(collection: CollectionName, doc: T): T {
  for (const path of secretPaths(collection)) {
    deletePath(doc, path.split('.'));
  }
  return doc;
}

function deletePath(target: Document, segments: string[]): void {
  const [head, ...rest] = segments;
  if (rest.length === 0) {
    delete target[head];
    return;
  }
  const next = target[head];
  if (next !== null && typeof next === 'object') deletePath(next as Document, rest);
}
