import { ObjectId } from 'mongodb';

const HEX = Symbol('hex');
type Spelled = ObjectId & { [HEX]?: string };

/**
 * The id's lowercase hex, spelled once and kept on the id (not in a process-wide table, which would
 * grow with every id live subscriptions hold): the loaders' keys, the policy and the ObjectId scalar
 * ask the same ids for it many times a request. Not enumerable, so an id still equals an unspelled one.
 */
export function hexOf(id: ObjectId): string {
  const kept = (id as Spelled)[HEX];
  if (kept !== undefined) return kept;
  return keepHex(id, id.toHexString());
}

/** An id from 24 lowercase hex characters, keeping that spelling. */
export function objectIdOfHex(hex: string): ObjectId {
  const id = new ObjectId(hex);
  keepHex(id, hex);
  return id;
}

function keepHex(id: ObjectId, hex: string): string {
  Object.defineProperty(id, HEX, { value: hex });
  return hex;
}

/** 24 lowercase hex characters: the only id spelling the gateway accepts from callers (docs/api-reference.md). */
const OBJECT_ID_PATTERN = /^[0-9a-f]{24}$/;

export function isObjectIdHex(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID_PATTERN.test(value);
}

/**
 * A stored reference as an ObjectId, or null when it is not one. References are ObjectIds in
 * Agentcloud's data, but some (apps.createdBy) are hex strings, so the spellings `storedSpellingsOf`
 * lists are read, and only those: a query matches exactly them, and the policy's filters and its checks
 * in code must agree.
 */
export function asObjectId(value: unknown): ObjectId | null {
  if (value instanceof ObjectId) return value;
  if (typeof value === 'string' && (OBJECT_ID_PATTERN.test(value) || UPPERCASE_HEX.test(value))) return new ObjectId(value);
  return null;
}

const UPPERCASE_HEX = /^[0-9A-F]{24}$/;

/** The ways a reference to `id` may be stored, for a query's `$in`: the ObjectId, its hex, its hex in capitals. */
export function storedSpellingsOf(id: ObjectId): [ObjectId, string, string] {
  const hex = hexOf(id);
  return [id, hex, hex.toUpperCase()];
}

/** The lowercase hex of a stored id (ObjectId or string), or null. */
export function idHex(value: unknown): string | null {
  const id = asObjectId(value);
  return id === null ? null : hexOf(id);
}

/**
 * Whether a stored reference is this id: an ObjectId equal to it. ObjectId's own `equals` also takes the
 * hex as a string, which a query (matching by type) never does: a reference stored as text matches nothing.
 */
export function sameId(id: ObjectId, stored: unknown): boolean {
  return stored instanceof ObjectId && id.equals(stored);
}

/** The ids, each once, in first-met order. */
export function uniqueIds(ids: readonly ObjectId[]): ObjectId[] {
  return [...new Map(ids.map((id) => [hexOf(id), id])).values()];
}

/**
 * A query's `_id` condition that matches every ObjectId and nothing else (a comparison matches values of
 * its own type): a document stored with an `_id` of another type is no usable one, and sorts apart.
 */
export const ANY_OBJECT_ID = { $gte: new ObjectId('000000000000000000000000') } as const;
