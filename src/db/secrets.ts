/**
 * Removal of the secret fields the data model declares (docs/data-layer.md). Loaders strip them from every
 * document as it arrives from the driver, so no later code path (GraphQL, REST, logs) ever holds a
 * secret to leak.
 */
import { DBRef, type Document } from 'mongodb';
import { COLLECTION_NAMES, COLLECTIONS } from '../data-model/collections';
import type { CollectionName } from '../data-model/documents';

/** Dotted paths of the fields that never leave the gateway, by collection. */
export function secretPaths(collection: CollectionName): readonly string[] {
  return COLLECTIONS[collection].secrets;
}

/** Each collection's secret paths cut into their segments, and its projection, made once. */
const SECRET_SEGMENTS = {} as Record<CollectionName, ReadonlyArray<readonly string[]>>;
const PROJECTIONS = {} as Record<CollectionName, Readonly<Document> | undefined>;
for (const collection of COLLECTION_NAMES) {
  const paths = secretPaths(collection);
  SECRET_SEGMENTS[collection] = paths.map((path) => path.split('.'));
  // shared by every read: frozen, so that nothing can change it for the others
  PROJECTIONS[collection] = paths.length === 0 ? undefined : Object.freeze(Object.fromEntries(paths.map((path) => [path, 0])));
}

/**
 * A projection that excludes the secrets, so a real MongoDB never sends them. Some servers (the
 * embedded test double among them) ignore projections, hence `removeSecrets` as well.
 */
export function secretsProjection(collection: CollectionName): Readonly<Document> | undefined {
  return PROJECTIONS[collection];
}

/**
 * Deletes the secret fields of `doc` in place (keys are removed, not blanked) and returns it. A path
 * goes through arrays as a projection does, element by element, so a malformed document that holds
 * its secret one array deeper keeps it no more than a real MongoDB would send it.
 */
export function removeSecrets<T extends Document>(collection: CollectionName, doc: T): T {
  for (const segments of SECRET_SEGMENTS[collection]) deletePath(doc, segments, 0);
  return doc;
}

function deletePath(value: unknown, segments: readonly string[], at: number): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const element of value) deletePath(element, segments, at);
    return;
  }
  // a subdocument with `$ref` and `$id` arrives as a DBRef, which keeps its other keys in `fields`
  // (and writes them back out as JSON): a server's projection removes them there too
  const target = (value instanceof DBRef ? value.fields : value) as Document;
  if (at === segments.length - 1) delete target[segments[at]];
  else deletePath(target[segments[at]], segments, at + 1);
}
