/**
 * One subscription's events as an async iterator: the live engine pushes, graphql-ws pulls one at a
 * time (it waits for each message to be written before it asks for the next). Events a consumer has
 * not taken yet wait here, at most `maxQueued` of them: past that the consumer is too slow and is told
 * so (`onOverflow`), and the stream ends instead of growing.
 */
export class LiveStream<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  private ended = false;
  /** Why it failed, once its queued events are taken: the consumer's next pull throws it. */
  private failure: { error: unknown } | undefined;
  /** Producers waiting for the queue to shrink (a replay pushing page by page). */
  private roomWaiters: Array<{ below: number; resolve: () => void }> = [];

  constructor(
    private readonly maxQueued: number,
    /** Told once, when the stream ends for any reason (completed, returned by the consumer, overflowed). */
    private readonly onEnd: () => void,
    private readonly onOverflow: () => void,
  ) {}

  get done(): boolean {
    return this.ended;
  }

  /** Events waiting for the consumer. */
  get queued(): number {
    return this.queue.length;
  }

  /** Resolves once fewer than `below` events wait, or the stream has ended: a producer's backpressure. */
  room(below: number): Promise<void> {
    if (this.ended || this.queue.length < below) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ below, resolve }));
  }

  push(value: T): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.resolve({ value, done: false });
      return;
    }
    if (this.queue.length >= this.maxQueued) {
      this.end();
      this.onOverflow();
      return;
    }
    this.queue.push(value);
  }

  /** Ends the stream after the events already queued (the subscription completes). */
  complete(): void {
    this.end();
  }

  /** Ends the stream at once, the events queued dropped: its caller may no longer read them (the subscription completes). */
  revoke(): void {
    this.queue.length = 0;
    this.failure = undefined;
    this.end();
  }

  /** Ends the stream with an error after the events already queued (the subscription fails with it). */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.end();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift()!;
      if (this.roomWaiters.length > 0) this.wakeProducers();
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return this.finished();
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** What a pull gets once the queue is empty and the stream has ended: its failure, once, else done. */
  private finished(): Promise<IteratorResult<T>> {
    const failure = this.failure;
    this.failure = undefined;
    return failure ? Promise.reject(failure.error) : Promise.resolve({ value: undefined, done: true });
  }

  /** The consumer is done (the client completed the operation, or its connection closed). */
  return(): Promise<IteratorResult<T>> {
    this.queue.length = 0;
    this.failure = undefined;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.queue.length = 0;
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private wakeProducers(): void {
    const still: typeof this.roomWaiters = [];
    for (const waiter of this.roomWaiters) {
      if (this.ended || this.queue.length < waiter.below) waiter.resolve();
      else still.push(waiter);
    }
    this.roomWaiters = still;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.wakeProducers();
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting && this.queue.length === 0) void this.finished().then(waiting.resolve, waiting.reject);
    this.onEnd();
  }
}
