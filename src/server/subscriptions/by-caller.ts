/**
 * Each caller's accepted subscriptions across all its connections (LIVE_MAX_SUBSCRIPTIONS_PER_CALLER):
 * one caller (an anonymous address among them) cannot take every place of LIVE_MAX_SUBSCRIPTIONS and
 * lock everyone else out of live updates.
 */
export class SubscriptionsByCaller {
  private readonly counts = new Map<string, number>();

  constructor(readonly max: number) {}

  /** A place for the caller; false when it holds its most. */
  take(caller: string): boolean {
    const held = this.counts.get(caller) ?? 0;
    if (held >= this.max) return false;
    this.counts.set(caller, held + 1);
    return true;
  }

  release(caller: string): void {
    const left = (this.counts.get(caller) ?? 0) - 1;
    if (left > 0) this.counts.set(caller, left);
    else this.counts.delete(caller);
  }
}
