/**
 * DataLoader's batching and per-request cache, without a promise per key.
 *
 * Keys asked for in the same turn are loaded by one call of the batch function, dispatched when
 * DataLoader dispatches (after the promise jobs of the turn, so the same keys share a batch as they
 * would there). What a batch answers is kept per key, a value or an Error, and read back
 * synchronously; waiting is on the batch's one promise. A request's in-flight state is then a few
 * entries per key instead of DataLoader's promise, callbacks and cache-hit closure per key and caller,
 * which scavenges found alive and copied (docs/benchmarks.md, "What a request keeps in flight").
 * A failed read's Error stays its keys' answer for the rest of the unit of work (DataLoader would
 * read them again at the next load): a request sees one outcome per document.
 */
export interface KeyMap<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
}

/** Maps keyed by a string made from each key (an id's hex, a page's parts). */
export function keyedBy<K>(keyOf: (key: K) => string): <V>() => KeyMap<K, V> {
  return <V>() => new StringKeyMap<K, V>(keyOf);
}

class StringKeyMap<K, V> implements KeyMap<K, V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly keyOf: (key: K) => string) {}

  get(key: K): V | undefined {
    return this.map.get(this.keyOf(key));
  }

  set(key: K, value: V): this {
    this.map.set(this.keyOf(key), value);
    return this;
  }
}

/** A batch's answer for each of its keys, in their order: the value, or the Error of that key alone. */
export type BatchFunction<K, V> = (keys: readonly K[]) => Promise<ReadonlyArray<V | Error>>;

let resolved: Promise<void> | undefined;
/** DataLoader's schedule: after the promise jobs queued so far, then after the next ticks. */
function afterPromiseJobs(): Promise<void> {
  resolved ??= Promise.resolve();
  return resolved.then(() => new Promise<void>((resolve) => process.nextTick(resolve)));
}

export class BatchedLoads<K, V> {
  // a key's answer once its batch has given it (or a prime), an Error when its read failed
  private readonly answers: KeyMap<K, V | Error>;
  // a key's batch while it is read
  private readonly reading: KeyMap<K, Promise<void>>;
  private queued: K[] = [];
  private nextBatch: Promise<void> | undefined;

  constructor(
    private readonly batch: BatchFunction<K, V>,
    makeMap: <T>() => KeyMap<K, T>,
  ) {
    this.answers = makeMap<V | Error>();
    this.reading = makeMap<Promise<void>>();
  }

  /** The key's answer when known (an Error when its read failed), else undefined. */
  answerOf(key: K): V | Error | undefined {
    return this.answers.get(key);
  }

  /**
   * Reads the keys not known yet, in the turn's batch. Undefined when every key is known; else a
   * promise that resolves (never rejects) once every one is: their answers are then `answerOf`.
   */
  request(keys: Iterable<K>): Promise<void> | undefined {
    const reads = new Reads();
    for (const key of keys) reads.add(this.requestOne(key));
    return reads.all();
  }

  /** `request` of one key. */
  requestOne(key: K): Promise<void> | undefined {
    if (this.answers.get(key) !== undefined) return undefined;
    let waiting = this.reading.get(key);
    if (!waiting) {
      waiting = this.enqueue(key);
      this.reading.set(key, waiting);
    }
    return waiting;
  }

  /** Its answer, at once when known: a promise only while it is read. An Error answer rejects. */
  current(key: K): V | Promise<V> {
    const known = this.answers.get(key);
    if (known !== undefined) return known instanceof Error ? Promise.reject(known) : known;
    return this.requestOne(key)!.then(() => this.settled(key));
  }

  /** Its answer as a promise, as DataLoader's `load`. */
  load(key: K): Promise<V> {
    const known = this.current(key);
    return known instanceof Promise ? known : Promise.resolve(known);
  }

  /** The answers of the keys, in their order, each its value or its Error (DataLoader's `loadMany`). */
  async loadMany(keys: readonly K[]): Promise<Array<V | Error>> {
    await this.request(keys);
    return keys.map((key) => this.answers.get(key)!);
  }

  /** Gives a key its answer unless it has one or is being read (DataLoader's `prime`). */
  prime(key: K, value: V): void {
    if (this.answers.get(key) === undefined && this.reading.get(key) === undefined) this.answers.set(key, value);
  }

  private settled(key: K): V {
    const answer = this.answers.get(key)!;
    if (answer instanceof Error) throw answer;
    return answer;
  }

  private enqueue(key: K): Promise<void> {
    this.queued.push(key);
    return (this.nextBatch ??= afterPromiseJobs().then(() => this.dispatch()));
  }

  private async dispatch(): Promise<void> {
    const keys = this.queued;
    this.queued = [];
    this.nextBatch = undefined;
    let answers: ReadonlyArray<V | Error>;
    try {
      answers = await this.batch(keys);
      if (answers.length !== keys.length) throw new Error(`a batch of ${keys.length} keys answered ${answers.length} values`);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      answers = keys.map(() => failure);
    }
    for (let i = 0; i < keys.length; i++) this.answers.set(keys[i], answers[i]);
  }
}

/** The reads to wait for, each batch once (a set of keys is mostly in one). */
export class Reads {
  private first: Promise<void> | undefined;
  private more: Array<Promise<void>> | undefined;

  add(read: Promise<void> | undefined): void {
    if (!read || read === this.first) return;
    if (!this.first) this.first = read;
    else if (!this.more?.includes(read)) (this.more ??= []).push(read);
  }

  /** One promise for them all (never rejects: batches do not); undefined when there are none. */
  all(): Promise<void> | undefined {
    return this.more ? Promise.all([this.first!, ...this.more]).then(nothing) : this.first;
  }
}

function nothing(): void {}
