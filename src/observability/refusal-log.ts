/**
 * Refusals that come in floods (a subscribe past a cap, a database outage seen by every subscriber):
 * logged once per cause and interval, with how many there were, and never with a stack, which would
 * say nothing about a refusal the gateway chose to make.
 */
import type { Logger } from './logger';

interface Cause {
  /** Refusals since the last line about this cause. */
  count: number;
  timer: NodeJS.Timeout;
}

export class RefusalLog {
  private readonly causes = new Map<string, Cause>();

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
    readonly intervalMs = 10_000,
  ) {}

  /** One refusal for `cause` (a message safe to log: the one the caller is sent). */
  note(cause: string): void {
    const known = this.causes.get(cause);
    if (known) {
      known.count += 1;
      return;
    }
    this.logger.warn({ cause, count: 1 }, this.message);
    this.watch(cause);
  }

  /** The lines still owed (the counts of an interval under way), and no further timers: for shutdown. */
  flush(): void {
    for (const [cause, known] of this.causes) {
      clearTimeout(known.timer);
      if (known.count > 0) this.logger.warn({ cause, count: known.count, intervalS: this.intervalMs / 1000 }, this.message);
    }
    this.causes.clear();
  }

  // At the end of each interval: one line with the count when there were more (and a new interval), else the cause is forgotten.
  private watch(cause: string): void {
    const timer = setTimeout(() => {
      const known = this.causes.get(cause);
      this.causes.delete(cause);
      if (!known || known.count === 0) return;
      this.logger.warn({ cause, count: known.count, intervalS: this.intervalMs / 1000 }, this.message);
      this.watch(cause);
    }, this.intervalMs);
    timer.unref();
    this.causes.set(cause, { count: 0, timer });
  }
}
