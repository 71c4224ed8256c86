import { ObjectId } from 'mongodb';

// Each id's hex is made once and kept (bson's own cache): the loaders' keys, the policy and the
// ObjectId scalar ask the same ids for it many times a request, and each spelling builds 12 strings.
ObjectId.cacheHexString = true;

/** 24 lowercase hex characters: the only id spelling the gateway accepts from callers (docs/api-reference.md). */
export const OBJECT_ID_PATTERN = /^[0-9a-f]{24}$/;

export function isObjectIdHex(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID_PATTERN.test(value);
}

/**
 * A stored reference as an ObjectId, or null when it is not one. References are ObjectIds in
 * Agentcloud's data, but some (apps.createdBy) are hex strings, so both spellings are read.
 */
export function asObjectId(value: unknown): ObjectId | null {
  if (value instanceof ObjectId) return value;
  if (typeof value === 'string' && /^[0-9a-fA-F]{24}$/.test(value)) return new ObjectId(value);
  return null;
}

/** The lowercase hex of a stored id (ObjectId or string), or null. */
export function idHex(value: unknown): string | null {
  return asObjectId(value)?.toHexString() ?? null;
}
