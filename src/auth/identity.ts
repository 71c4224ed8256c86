/**
 * Who is calling (docs/access.md): a bearer JWT, HS256 only, carrying either `{accountId}` (a login) or
 * `{keyId, version}` with `accountId` or `ownerId` (an API key, checked against `apikeys` on every
 * request so that a deleted or rotated key stops working at once). Absent header: anonymous (null).
 * A header that is present but not valid is always an error, never anonymous.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { ObjectId } from 'mongodb';
import type { AccountDoc } from '../data-model/documents';
import { membershipsOf } from '../data-model/memberships';
import { asObjectId, idHex } from '../data-model/object-id';
import { unauthenticated } from '../errors/codes';
import type { Loaders } from '../loaders';
import { hasBit, Permission } from './permission-bits';
import { VerifiedTokens } from './verified-tokens';

export interface Viewer {
  accountId: ObjectId;
  /** The account without its secrets. */
  account: AccountDoc;
  /** Hex ids of the teams and orgs listed in `account.orgs`. */
  teamIds: ReadonlySet<string>;
  orgIds: ReadonlySet<string>;
  isRoot: boolean;
  /** Set when the caller used an API key. */
  apiKeyId?: ObjectId;
}

export interface TokenRules {
  /** Refuse tokens issued (`iat`) longer ago than this many seconds (JWT_MAX_AGE_S); unset: no bound. */
  maxAgeS?: number;
}

export async function authenticate(
  authorization: string | undefined,
  secret: string,
  loaders: Loaders,
  rules: TokenRules = {},
): Promise<Viewer | null> {
  const credentials = verifyCredentials(authorization, secret, rules);
  return credentials && viewerOf(credentials, loaders);
}

type Claims = jwt.JwtPayload;

/** A token whose signature and claims were checked: what a live connection keeps and re-checks. */
export interface Credentials {
  readonly claims: Claims;
  /** When the token stops being valid (its `exp`, or `iat` + JWT_MAX_AGE_S), in ms; Infinity when never. */
  readonly validUntil: number;
}

/** The Authorization header's token, checked (signature, algorithm, age); null when there is none. */
export function verifyCredentials(authorization: string | undefined, secret: string, rules: TokenRules = {}): Credentials | null {
  if (authorization === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>"');
  const token = match[1];
  const verified = keysOf(secret).verifiedTokens(rules.maxAgeS);
  const known = verified.get(token, Date.now());
  if (known) return known;
  const claims = verifyToken(token, secret, rules);
  const limits = [typeof claims.exp === 'number' ? claims.exp * 1000 : Infinity];
  if (rules.maxAgeS !== undefined && typeof claims.iat === 'number') limits.push((claims.iat + rules.maxAgeS) * 1000);
  const credentials = { claims, validUntil: Math.min(...limits) };
  verified.set(token, credentials);
  return credentials;
}


/**
 * The caller the credentials stand for, read now: the API key (deleted, rotated or expired keys fail)
 * and the account through the loaders, so that checking many callers at once is one read of each.
 */
export async function viewerOf(credentials: Credentials, loaders: Loaders): Promise<Viewer> {
  const { claims } = credentials;
  if (credentials.validUntil <= Date.now()) throw unauthenticated('The token has expired');
  const accountId = claims.keyId === undefined ? loginAccountId(claims) : await apiKeyOwnerId(claims, loaders);
  const account = await loaders.accounts.load(accountId);
  if (!account) throw unauthenticated('The account of this token does not exist');
  return toViewer(account, asObjectId(claims.keyId) ?? undefined);
}

/**
 * What is kept per secret: the secret as a KeyObject, made once (given a string, jsonwebtoken first
 * tries to parse it as a public key on every call, which costs more than the HMAC itself), and the
 * tokens it has passed, per JWT_MAX_AGE_S (a token's validity is the same only under both).
 */
class SecretKeys {
  readonly key: KeyObject;
  private readonly verifiedByAge = new Map<number | undefined, VerifiedTokens<Credentials>>();

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  verifiedTokens(maxAgeS: number | undefined): VerifiedTokens<Credentials> {
    let verified = this.verifiedByAge.get(maxAgeS);
    if (!verified) this.verifiedByAge.set(maxAgeS, (verified = new VerifiedTokens()));
    return verified;
  }
}

const bySecret = new Map<string, SecretKeys>();
function keysOf(secret: string): SecretKeys {
  let keys = bySecret.get(secret);
  if (!keys) bySecret.set(secret, (keys = new SecretKeys(secret)));
  return keys;
}

/** How far ahead of this clock an issuer's may run (its `iat`) under JWT_MAX_AGE_S. */
const ISSUED_AHEAD_TOLERANCE_MS = 60_000;

// A `crit` header names extensions the token says must be understood; the gateway understands none,
// so such a token is not valid (RFC 7515 §4.1.11). `maxAge` needs an `iat`: without one, no age is known.
function verifyToken(token: string, secret: string, rules: TokenRules): Claims {
  try {
    const { header, payload } = jwt.verify(token, keysOf(secret).key, {
      algorithms: ['HS256'],
      complete: true,
      ...(rules.maxAgeS === undefined ? {} : { maxAge: rules.maxAgeS }),
    });
    if ('crit' in header) throw new Error('critical header extensions are not supported');
    if (typeof payload === 'string') throw new Error('payload is not an object');
    // a token "issued" later than now would outlive JWT_MAX_AGE_S by as much: its age is not known
    if (rules.maxAgeS !== undefined && typeof payload.iat === 'number' && payload.iat * 1000 > Date.now() + ISSUED_AHEAD_TOLERANCE_MS) throw new Error('issued in the future');
    return payload;
  } catch (error) {
    const expired = error instanceof jwt.TokenExpiredError;
    throw unauthenticated(expired ? 'The token has expired' : 'The token is not valid');
  }
}

function loginAccountId(claims: Claims): ObjectId {
  const accountId = asObjectId(claims.accountId);
  if (!accountId) throw unauthenticated('The token names no account');
  return accountId;
}

async function apiKeyOwnerId(claims: Claims, loaders: Loaders): Promise<ObjectId> {
  const keyId = asObjectId(claims.keyId);
  const accountHex = claims.accountId === undefined ? undefined : idHex(claims.accountId);
  const ownerHex = claims.ownerId === undefined ? undefined : idHex(claims.ownerId);
  if (accountHex === null || ownerHex === null) throw unauthenticated('The token names no valid owner');
  if (accountHex && ownerHex && accountHex !== ownerHex) throw unauthenticated('The token names two different owners');
  const ownerId = asObjectId(ownerHex ?? accountHex);
  if (!keyId || !ownerId) throw unauthenticated('The API key token is incomplete');

  const key = await loaders.apikeys.load(keyId);
  if (!key || idHex(key.ownerId) !== ownerId.toHexString()) throw unauthenticated('The API key does not exist');
  const expiresAt = expiryOf(key.expirationDate);
  if (Number.isNaN(expiresAt) || expiresAt <= Date.now()) throw unauthenticated(Number.isNaN(expiresAt) ? 'The API key has an expiry that is not a date' : 'The API key has expired');
  if ((key.version ?? 0) !== (claims.version ?? 0)) throw unauthenticated('The API key has been replaced');
  return ownerId;
}

/**
 * When a key expires, in epoch ms: Infinity without an expiry (absent or null); a date stored as text or
 * as epoch ms is read as the instant it names; anything else is NaN, and the key is refused (an expiry
 * that cannot be read is not a key that never expires).
 */
function expiryOf(stored: unknown): number {
  if (stored === undefined || stored === null) return Infinity;
  if (stored instanceof Date) return stored.getTime();
  if (typeof stored === 'number') return Number.isFinite(stored) ? stored : NaN;
  if (typeof stored === 'string') return Date.parse(stored);
  return NaN;
}

function toViewer(account: AccountDoc, apiKeyId: ObjectId | undefined): Viewer {
  const orgIds = new Set<string>();
  const teamIds = new Set<string>();
  for (const org of membershipsOf(account)) {
    const orgHex = idHex(org.id);
    if (orgHex) orgIds.add(orgHex);
    for (const team of org.teams) {
      const teamHex = idHex(team.id);
      if (teamHex) teamIds.add(teamHex);
    }
  }
  return {
    accountId: account._id,
    account,
    teamIds,
    orgIds,
    isRoot: hasBit(account.permissions, Permission.ROOT),
    apiKeyId,
  };
}
