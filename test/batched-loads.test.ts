/**
 * The loaders' batching (src/loaders/batched-loads.ts): the keys of one turn in one batch, as
 * DataLoader would batch them, each key's answer kept, a failed batch failing only its own keys.
 * The data-layer suite shows the same against a database (one `find` per collection).
 */
import { BatchedLoads, keyedBy, type KeyMap } from '../src/loaders/batched-loads';

const stringMap = <V>(): KeyMap<string, V> => new Map<string, V>();

/** A loader whose batches are recorded and answered `answer(key)` (or rejected with `failWith`). */
function recordingLoader(options: { failWith?: Error; answer?: (key: string) => string | Error } = {}) {
  const batches: string[][] = [];
  const loads = new BatchedLoads<string, string>(async (keys) => {
    batches.push([...keys]);
    if (options.failWith) throw options.failWith;
    return keys.map(options.answer ?? ((key) => `value of ${key}`));
  }, stringMap);
  return { loads, batches };
}

describe('batched loads', () => {
  it('reads the keys asked for in one turn in one batch, each once, and answers them synchronously after it', async () => {
    const { loads, batches } = recordingLoader();
    const first = loads.request(['a', 'b']);
    const second = loads.request(['b', 'c']);
    expect(first).toBeInstanceOf(Promise);
    expect(second).toBe(first); // one batch, one promise to wait on
    await first;
    expect(batches).toEqual([['a', 'b', 'c']]);
    expect(loads.answerOf('c')).toBe('value of c');
    // known keys need no read and no promise
    expect(loads.request(['a', 'c'])).toBeUndefined();
    expect(loads.current('a')).toBe('value of a');
    expect(batches).toHaveLength(1);
  });

  it('batches with DataLoader: keys asked after promise jobs of the same turn join the batch, keys asked after it a new one', async () => {
    const { loads, batches } = recordingLoader();
    const first = loads.request(['a'])!;
    await Promise.resolve(); // a promise job later, in the same turn: still the same batch
    expect(loads.request(['b'])).toBe(first);
    await first;
    await loads.load('c');
    expect(batches).toEqual([['a', 'b'], ['c']]);
  });

  it('waits on every batch a set of keys is spread over', async () => {
    // the first batch is held open until the test lets it answer
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const batches: string[][] = [];
    const loads = new BatchedLoads<string, string>(async (keys) => {
      batches.push([...keys]);
      if (batches.length === 1) await held;
      return keys.map((key) => `value of ${key}`);
    }, stringMap);
    const first = loads.request(['a'])!;
    await new Promise((resolve) => setImmediate(resolve)); // the first batch is dispatched, and waits
    const both = loads.request(['a', 'b'])!; // a in the first batch, b in a new one
    expect(both).not.toBe(first);
    await new Promise((resolve) => setImmediate(resolve));
    expect(loads.answerOf('b')).toBe('value of b'); // the second batch is in...
    let settled = false;
    void both.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false); // ...but a is not: both are waited for
    release();
    await both;
    expect([loads.answerOf('a'), loads.answerOf('b')]).toEqual(['value of a', 'value of b']);
    expect(batches).toEqual([['a'], ['b']]);
  });

  it('a failed batch answers its error for each of its keys, and only for those', async () => {
    const failure = new Error('read failed');
    const failing = recordingLoader({ failWith: failure });
    const healthy = recordingLoader();
    await expect(failing.loads.load('a')).rejects.toBe(failure);
    expect(failing.loads.answerOf('a')).toBe(failure);
    await expect(failing.loads.current('a')).rejects.toBe(failure);
    expect(await healthy.loads.load('a')).toBe('value of a');
  });

  it('a failed batch leaves the next batch of the same loader alone', async () => {
    let calls = 0;
    const loads = new BatchedLoads<string, string>(async (keys) => {
      calls += 1;
      if (calls === 1) throw new Error('read failed');
      return keys.map((key) => `value of ${key}`);
    }, stringMap);
    await loads.request(['a']);
    expect(loads.answerOf('a')).toBeInstanceOf(Error);
    expect(await loads.load('b')).toBe('value of b');
    // the failed key keeps its error for the unit of work: not read again
    await expect(loads.load('a')).rejects.toThrow('read failed');
    expect(calls).toBe(2);
  });

  it('an Error answered for one key fails that key alone', async () => {
    const bad = new Error('malformed');
    const { loads } = recordingLoader({ answer: (key) => (key === 'bad' ? bad : `value of ${key}`) });
    await loads.request(['good', 'bad']);
    expect(loads.answerOf('good')).toBe('value of good');
    await expect(loads.load('bad')).rejects.toBe(bad);
  });

  it('a batch that answers the wrong number of values fails its keys as a defect', async () => {
    const loads = new BatchedLoads<string, string>(async () => ['only one'], stringMap);
    await loads.request(['a', 'b']);
    expect(String(loads.answerOf('a'))).toContain('a batch of 2 keys answered 1 values');
  });

  it('a primed key is answered without a read, and a prime never replaces an answer or a read under way', async () => {
    const { loads, batches } = recordingLoader();
    loads.prime('p', 'primed');
    expect(loads.current('p')).toBe('primed');
    const reading = loads.request(['q']);
    loads.prime('q', 'too late');
    await reading;
    loads.prime('p', 'again');
    expect([loads.answerOf('p'), loads.answerOf('q')]).toEqual(['primed', 'value of q']);
    expect(batches).toEqual([['q']]);
  });
  it('loadMany answers each key in order, a value or its own Error, without rejecting', async () => {
    const bad = new Error('malformed');
    const { loads, batches } = recordingLoader({ answer: (key) => (key === 'bad' ? bad : `value of ${key}`) });
    expect(await loads.loadMany(['a', 'bad', 'a', 'b'])).toEqual(['value of a', bad, 'value of a', 'value of b']);
    expect(await loads.loadMany([])).toEqual([]);
    expect(batches).toEqual([['a', 'bad', 'b']]);
  });

  it('keys made of objects are one key when their strings are the same', async () => {
    const batches: Array<Array<{ id: string }>> = [];
    const loads = new BatchedLoads<{ id: string }, string>(async (keys) => {
      batches.push([...keys]);
      return keys.map((key) => `value of ${key.id}`);
    }, keyedBy((key: { id: string }) => key.id));
    await loads.request([{ id: 'a' }, { id: 'a' }, { id: 'b' }]);
    expect(await loads.load({ id: 'a' })).toBe('value of a');
    expect(batches).toEqual([[{ id: 'a' }, { id: 'b' }]]);
  });
});
