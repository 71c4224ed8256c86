/** Opaque Relay cursors over session ids. */
import { ObjectId } from 'mongodb';
import { isObjectIdHex } from '../db/object-id';
import { badUserInput } from '../errors/codes';

const PREFIX = 'session:';

export function encodeCursor(id: ObjectId): string {
  return Buffer.from(PREFIX + id.toHexString()).toString('base64url');
}

export function decodeCursor(cursor: string): ObjectId {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const hex = text.startsWith(PREFIX) ? text.slice(PREFIX.length) : '';
  if (!isObjectIdHex(hex)) throw badUserInput('after is not a cursor returned by this API');
  return new ObjectId(hex);
}
