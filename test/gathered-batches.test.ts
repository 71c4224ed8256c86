/**
 * Keys gathered over a window and read in batches of a bounded size (src/loaders/gathered-batches.ts),
 * as the replays of a reconnecting fleet are; the live suites show the same against a database.
 */
import { GatheredBatches } from '../src/loaders/gathered-batches';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recording(options: { maxBatchSize?: number; answer?: (key: string) => string | Error; failWith?: Error } = {}) {
  const batches: string[][] = [];
  const batched = new GatheredBatches<string, string>(async (keys) => {
    batches.push([...keys]);
    await later(1);
    if (options.failWith) throw options.failWith;
    return keys.map(options.answer ?? ((key) => `value of ${key}`));
  }, { windowMs: 20, maxBatchSize: options.maxBatchSize ?? 100 });
  return { batched, batches };
}

describe('gathered batches', () => {
  it('reads the keys asked for within the window together, and those after it in a window of their own', async () => {
    const { batched, batches } = recording();
    const a = batched.load('a');
    await later(5); // within the window
    const b = batched.load('b');
    expect(batches).toEqual([]); // nothing read before the window ends
    expect(await Promise.all([a, b])).toEqual(['value of a', 'value of b']);
    expect(await batched.load('c')).toBe('value of c');
    expect(batches).toEqual([['a', 'b'], ['c']]);
  });

  it('splits a window past the batch size into batches read at once, and keeps nothing', async () => {
    const { batched, batches } = recording({ maxBatchSize: 2 });
    const answers = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((key) => batched.load(key)));
    expect(answers).toEqual(['a', 'b', 'c', 'd', 'e'].map((key) => `value of ${key}`));
    expect(batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    await batched.load('a'); // read again: a page is shared only while it is read
    expect(batches).toHaveLength(4);
  });

  it('an Error answered for one key rejects that key alone; a failed batch rejects its own keys only', async () => {
    const bad = new Error('malformed');
    const one = recording({ answer: (key) => (key === 'bad' ? bad : `value of ${key}`) });
    const [good, failed] = await Promise.allSettled([one.batched.load('good'), one.batched.load('bad')]);
    expect(good).toEqual({ status: 'fulfilled', value: 'value of good' });
    expect(failed).toEqual({ status: 'rejected', reason: bad });

    let calls = 0;
    const split = new GatheredBatches<string, string>(async (keys) => {
      calls += 1;
      if (keys.includes('x')) throw new Error('read failed');
      return keys.map((key) => `value of ${key}`);
    }, { windowMs: 5, maxBatchSize: 1 });
    const results = await Promise.allSettled([split.load('x'), split.load('y')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(calls).toBe(2);
  });

  it('a batch that answers the wrong number of values fails its keys as a defect', async () => {
    const batched = new GatheredBatches<string, string>(async () => ['only one'], { windowMs: 1, maxBatchSize: 10 });
    await expect(Promise.all([batched.load('a'), batched.load('b')])).rejects.toThrow('a batch of 2 keys answered 1 values');
  });
});
