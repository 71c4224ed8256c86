/**
 * Relay global ids (docs/api-reference.md): opaque to clients, they carry the type, the document's `_id` and,
 * for everything but a Session, the session it was reached through, so that `node(id)` can apply the
 * policy exactly: the session must be readable and the document part of it. The text is
 * `Type:<hex>[:<session hex>]` in unpadded base64url; anything else (another spelling, a type that is
 * not a node, a missing or extra session) is malformed.
 */
import { ObjectId } from 'mongodb';
import { COLLECTION_NAMES, SESSION_TYPE_NAME, typeNameOf } from '../data-model/collections';
import type { CollectionName } from '../data-model/documents';
import { hexOf } from '../data-model/object-id';


/** The node types, each with its collection. */
export const NODE_TYPES: ReadonlyMap<string, CollectionName> = new Map(
  COLLECTION_NAMES.flatMap((collection): Array<[string, CollectionName]> => {
    const typeName = typeNameOf(collection);
    return typeName ? [[typeName, collection]] : [];
  }),
);

export interface GlobalId {
  typeName: string;
  collection: CollectionName;
  id: ObjectId;
  /** The session it was reached through (the session itself for a Session). */
  sessionId: ObjectId;
}

export function encodeGlobalId(typeName: string, id: ObjectId, via: ObjectId): string {
  const text = typeName === SESSION_TYPE_NAME ? `${typeName}:${hexOf(id)}` : `${typeName}:${hexOf(id)}:${hexOf(via)}`;
  return Buffer.from(text).toString('base64url');
}

const ID_TEXT = /^([A-Za-z]+):([0-9a-f]{24})(?::([0-9a-f]{24}))?$/;

/** The parts of a global id, or null when it is not one this API made. */
export function decodeGlobalId(value: unknown): GlobalId | null {
  if (typeof value !== 'string' || value.length > 120) return null;
  const text = Buffer.from(value, 'base64url').toString('utf8');
  const match = ID_TEXT.exec(text);
  if (!match || Buffer.from(text).toString('base64url') !== value) return null;
  const [, typeName, hex, sessionHex] = match;
  const collection = NODE_TYPES.get(typeName);
  if (!collection || (typeName === SESSION_TYPE_NAME) !== (sessionHex === undefined)) return null;
  const id = new ObjectId(hex);
  return { typeName, collection, id, sessionId: sessionHex ? new ObjectId(sessionHex) : id };
}
