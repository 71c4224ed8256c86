/**
 * The loaders' batching (src/loaders/batched-loads.ts): the keys of one turn in one batch, as
 * DataLoader would batch them, each key's answer kept, a failed batch failing only its own keys.
 * The data-layer suite shows the same against a database (one `find` per collection).
 */
import { BatchedLoads, type KeyMap } from '../src/loaders/batched-loads';

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
    const { loads, batches } = recordingLoader();
    const early = loads.request(['a'])!;
    await early;
    const pending = loads.request(['b'])!;
    const both = loads.request(['b', 'c', 'a']);
    expect(both).toBe(pending); // a is known, b and c are in the batch under way
    await both;
    expect(batches).toEqual([['a'], ['b', 'c']]);
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
});
