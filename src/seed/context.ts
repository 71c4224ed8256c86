import type { Document, ObjectId } from 'mongodb';
import type { IdFactory } from './ids';
import { COLLECTION_NAMES } from '../data-model/collections';
import type { CollectionName } from './types';

/** The tenant of a document: every team-owned document starts with these two ids. */
export interface TeamScope {
  orgId: ObjectId;
  teamId: ObjectId;
}

/** Prefix of every fake secret, so tests can search any output for leaks. */
const SECRET_PREFIX = 'SECRET-';

/** State shared by the generators: the id source, the documents made so far, the secrets used. */
export class SeedContext {
  readonly collections: Record<CollectionName, Document[]>;
  private readonly secretValues = new Set<string>();

  constructor(readonly nextId: IdFactory) {
    this.collections = Object.fromEntries(COLLECTION_NAMES.map((name) => [name, []])) as unknown as Record<
      CollectionName,
      Document[]
    >;
  }

  add(collection: CollectionName, doc: Document): void {
    this.collections[collection].push(doc);
  }

  /** Records and returns the fake secret `SECRET-<label>`; labels must be unique. */
  secret(label: string): string {
    const value = SECRET_PREFIX + label;
    if (this.secretValues.has(value)) {
      throw new Error(`duplicate demo secret: ${value}`);
    }
    this.secretValues.add(value);
    return value;
  }

  get secrets(): string[] {
    return [...this.secretValues];
  }

  /** One new id per key, made in the order of `keys`. */
  ids<K extends string>(keys: readonly K[]): Record<K, ObjectId> {
    return Object.fromEntries(keys.map((key) => [key, this.nextId()])) as Record<K, ObjectId>;
  }
}
