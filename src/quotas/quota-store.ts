/**
 * Where quota counts live: one window of `windowMs` per caller, from its first request in it, counting
 * requests and query cost. In this process (MemoryQuotaStore), or shared by every copy through Redis
 * (./redis-quota-store.ts).
 */

export interface WindowCounts {
  requests: number;
  cost: number;
  /** Ms until the window ends and the counts start again. */
  resetInMs: number;
  /** The quota this addition passed, if any; its cost is then not counted (the operation does not run). */
  passed: 'requests' | 'cost' | null;
}

/** The most of each a caller may have in a window; none: no bound. */
export interface QuotaLimits {
  requests?: number;
  cost?: number;
}

export interface QuotaStore {
  /**
   * Adds to the caller's counts of the current window (its requests always, its cost only when neither
   * quota is passed); resolves with the counts after adding and which quota was passed.
   */
  add(caller: string, requests: number, cost: number, windowMs: number, limits?: QuotaLimits): Promise<WindowCounts>;
  close(): Promise<void>;
}

/** Counts of this process alone. */
export class MemoryQuotaStore implements QuotaStore {
  private readonly windows = new Map<string, { endsAt: number; requests: number; cost: number }>();

  async add(caller: string, requests: number, cost: number, windowMs: number, limits: QuotaLimits = {}): Promise<WindowCounts> {
    const now = Date.now();
    let counts = this.windows.get(caller);
    if (!counts || counts.endsAt <= now) {
      if (this.windows.size > 100_000) this.forgetEnded(now);
      counts = { endsAt: now + windowMs, requests: 0, cost: 0 };
      this.windows.set(caller, counts);
    }
    counts.requests += requests;
    const passed = requests > 0 && counts.requests > (limits.requests ?? Infinity) ? 'requests' : cost > 0 && counts.cost + cost > (limits.cost ?? Infinity) ? 'cost' : null;
    if (!passed) counts.cost += cost;
    return { requests: counts.requests, cost: counts.cost, resetInMs: counts.endsAt - now, passed };
  }

  async close(): Promise<void> {
    this.windows.clear();
  }

  /** Windows that have ended count for nobody. */
  private forgetEnded(now: number): void {
    for (const [caller, counts] of this.windows) if (counts.endsAt <= now) this.windows.delete(caller);
  }
}
