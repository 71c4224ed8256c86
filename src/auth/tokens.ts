/** Issues bearer tokens in the webapp's format, for the embedded demo, the benchmark and tests. */
import jwt from 'jsonwebtoken';
import type { ObjectId } from 'mongodb';

export function signLoginToken(accountId: ObjectId, secret: string, expiresIn: jwt.SignOptions['expiresIn'] = '12h'): string {
  return jwt.sign({ accountId: accountId.toHexString() }, secret, { algorithm: 'HS256', expiresIn });
}

export function signApiKeyToken(
  key: { keyId: ObjectId; ownerId: ObjectId; version?: number },
  secret: string,
  expiresIn: jwt.SignOptions['expiresIn'] = '12h',
): string {
  const claims: Record<string, unknown> = { keyId: key.keyId.toHexString(), accountId: key.ownerId.toHexString() };
  if (key.version !== undefined) claims.version = key.version;
  return jwt.sign(claims, secret, { algorithm: 'HS256', expiresIn });
}
