/** What a stored value is, for a message that must not hold the value itself: `string`, `list`, `ObjectId`, `object`… */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value !== 'object') return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== 'Object' && name !== '' ? name : 'object';
}

/** A stored document (a plain object, as the driver decodes one), not a BSON value (a Date, an ObjectId, a Long) or a list. */
export function isStoredDocument(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
