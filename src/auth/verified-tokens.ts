/**
 * Tokens whose signature and claims have been checked, by their text. A client sends the same token
 * with every request, and checking it again (a JSON parse, an HMAC context that OpenSSL looks up for
 * each call) costs more than the rest of reading it. Only a token that passed is kept, with what the
 * check found; what depends on the clock (its expiry, JWT_MAX_AGE_S) is checked again at every use.
 * Kept per secret and age bound, the oldest let go first.
 */
import { BoundedMap } from '../bounded-map';

const MAX_KEPT = 4096;

export class VerifiedTokens<T extends { readonly validUntil: number }> {
  private readonly kept = new BoundedMap<string, T>(MAX_KEPT);

  /** What the check found for this token, unless it was never checked here or has run out (then it is let go). */
  get(token: string, now: number): T | undefined {
    const known = this.kept.get(token);
    if (known === undefined || known.validUntil > now) return known;
    this.kept.delete(token);
    return undefined;
  }

  set(token: string, checked: T): void {
    this.kept.set(token, checked);
  }
}
