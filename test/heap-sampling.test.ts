/** `bench:profile --alloc`: the sampling heap profiler over the inspector counts what a process allocates, freed objects included. */
import { spawn, type ChildProcess } from 'node:child_process';
import { startHeapSampling } from '../bench/heap-sampling';

// Allocates about 64 MB in short-lived arrays (each is garbage at once), on a signal from stdin.
const ALLOCATOR = `
process.stdin.on('data', () => {
  let kept = 0;
  function allocateArrays() { for (let i = 0; i < 64 * 1024; i++) kept += new Array(128).fill(i).length; }
  allocateArrays();
  process.stdout.write('done ' + kept + '\\n');
});
`;

let child: ChildProcess;

afterEach(() => child?.kill());

test('counts the bytes a function allocates and the collector has freed, by function and package', async () => {
  child = spawn(process.execPath, ['--inspect=127.0.0.1:0', '-e', ALLOCATOR], { stdio: ['pipe', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve) => {
    child.stderr!.on('data', (chunk) => {
      const match = /Debugger listening on (ws:\/\/\S+)/.exec(String(chunk));
      if (match) resolve(match[1]);
    });
  });
  const sampling = await startHeapSampling(url);
  const done = new Promise((resolve) => child.stdout!.once('data', resolve));
  child.stdin!.write('go\n');
  await done;
  const allocation = await sampling.stop();
  const allocator = [...allocation.byFunction].find(([name]) => name.startsWith('allocateArrays '));
  // 64 Ki arrays of 128 elements: at least 64 MB, long collected when the profile stops
  expect(allocator?.[1]).toBeGreaterThan(32e6);
  expect(allocation.total).toBeGreaterThanOrEqual(allocator![1]);
  expect([...allocation.byPackage.values()].reduce((sum, bytes) => sum + bytes, 0)).toBe(allocation.total);
}, 30_000);
