/**
 * Keys gathered over a short window, then read in batches of at most `maxBatchSize`, all at once;
 * nothing is kept after (the caller shares what is being read). What a reconnecting fleet's
 * subscribes ask for over a few milliseconds is read together.
 */
import type { BatchFunction } from './batched-loads';

export interface GatheringOptions {
  /** How long the first key of a batch waits for others (ms). */
  windowMs: number;
  maxBatchSize: number;
}

interface Waiting<K, V> {
  key: K;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

export class GatheredBatches<K, V> {
  private gathered: Array<Waiting<K, V>> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly batch: BatchFunction<K, V>,
    private readonly options: GatheringOptions,
  ) {}

  /** The key's answer, read in the batch of the current window; an Error answer rejects. */
  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.gathered.push({ key, resolve, reject });
      this.timer ??= setTimeout(() => this.dispatch(), this.options.windowMs);
    });
  }

  private dispatch(): void {
    const gathered = this.gathered;
    this.gathered = [];
    this.timer = undefined;
    for (let i = 0; i < gathered.length; i += this.options.maxBatchSize) void this.read(gathered.slice(i, i + this.options.maxBatchSize));
  }

  private async read(waiting: Array<Waiting<K, V>>): Promise<void> {
    try {
      const answers = await this.batch(waiting.map((w) => w.key));
      if (answers.length !== waiting.length) throw new Error(`a batch of ${waiting.length} keys answered ${answers.length} values`);
      for (let i = 0; i < waiting.length; i++) {
        const answer = answers[i];
        if (answer instanceof Error) waiting[i].reject(answer);
        else waiting[i].resolve(answer);
      }
    } catch (error) {
      for (const w of waiting) w.reject(error);
    }
  }
}
