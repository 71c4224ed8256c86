/**
 * CSRF tokens in the webapp's format (the `csrf` package's): an 8-character salt, `-`, and the
 * unpadded base64url SHA-1 of `salt-secret`. The secret is derived from the server secret and the
 * account (the server secret alone for anonymous callers), so a token can be checked later by any copy
 * of the gateway without storing anything.
 */
import { createHash, createHmac, randomInt, timingSafeEqual } from 'node:crypto';

const SALT_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SALT_LENGTH = 8;
const TOKEN_PATTERN = /^([0-9A-Za-z]{8})-([A-Za-z0-9_-]{27})$/;

/** The per-account secret: an HMAC of the account id (or "anonymous") under the server secret. */
export function csrfSecret(serverSecret: string, accountIdHex: string | null): string {
  return createHmac('sha256', serverSecret).update(`csrf:${accountIdHex ?? 'anonymous'}`).digest('base64url');
}

export function createCsrfToken(secret: string): string {
  let salt = '';
  for (let i = 0; i < SALT_LENGTH; i++) salt += SALT_ALPHABET[randomInt(SALT_ALPHABET.length)];
  return `${salt}-${hash(salt, secret)}`;
}

export function verifyCsrfToken(token: unknown, secret: string): boolean {
  if (typeof token !== 'string') return false;
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return false;
  const expected = Buffer.from(hash(match[1], secret));
  const given = Buffer.from(match[2]);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function hash(salt: string, secret: string): string {
  return createHash('sha1').update(`${salt}-${secret}`).digest('base64url');
}
