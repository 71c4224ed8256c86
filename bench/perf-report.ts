import { readFileSync, writeFileSync } from 'node:fs';

/**
 * CPU by package from `perf script` output (samples with call stacks, JS frames named by V8's
 * `--perf-basic-prof` map). A sample is charged to V8's garbage collector when any of its frames is
 * GC work, to V8's compilers likewise, else to the package of its nearest JS frame (so the builtins
 * and native code a package calls count as its own), else to the kernel or the native runtime.
 */
export interface PerfShares {
  samples: number;
  byPackage: Map<string, number>;
  /** The nearest JS function of each sample (or its native top frame), for the heaviest few. */
  byFunction: Map<string, number>;
}

const GC = /v8::internal::(Heap::|Scavenge|MarkCompact|MinorMarkCompact|MinorGC|ConcurrentMarking|MarkingVisitor|Sweeper|Evacuat|IncrementalMarking|.*GCTracer|MemoryReducer|ArrayBufferSweeper)|cppgc::/;
const COMPILER = /v8::internal::(compiler::|maglev::|baseline::|Compiler::|OptimizingCompileDispatcher|Parser|Zone)/;

export function perfShares(script: string): PerfShares {
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let samples = 0;
  const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  // one sample: a header line, then one frame per line (innermost first), then a blank line
  for (const block of script.split(/\n\s*\n/)) {
    const frames = block.split('\n').slice(1).map((line) => line.trim()).filter(Boolean);
    if (frames.length === 0) continue;
    samples += 1;
    const { pkg, fn } = charge(frames);
    add(byPackage, pkg);
    add(byFunction, fn);
  }
  return { samples, byPackage, byFunction };
}

function charge(frames: string[]): { pkg: string; fn: string } {
  // a frame: "<address> <symbol>+<offset> (<dso>)"
  const symbols = frames.map((frame) => frame.replace(/^[0-9a-f]+ /, ''));
  if (symbols.some((s) => GC.test(s))) return { pkg: 'V8 garbage collection', fn: 'V8 garbage collection' };
  if (symbols.some((s) => COMPILER.test(s))) return { pkg: 'V8 compilers', fn: 'V8 compilers' };
  const js = symbols.find((s) => s.startsWith('JS:'));
  if (js) {
    const where = /^JS:\S?(\S*) (\S+?):\d+(?::\d+)?\+/.exec(js);
    const file = where?.[2] ?? '';
    return { pkg: packageOf(file), fn: `${where?.[1] || '(anonymous)'} ${shortPath(file)}` };
  }
  const top = symbols[0];
  if (top.includes('[kernel.kallsyms]')) return { pkg: 'kernel (no JS caller)', fn: top.replace(/\+0x.*/, '') };
  return { pkg: 'native runtime (no JS caller: libuv, V8, node)', fn: top.replace(/\+0x.*/, '') };
}

/** The package a script belongs to: a dependency, the gateway's own build, node core. */
export function packageOf(file: string): string {
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(file)?.[1];
  if (pkg) return pkg;
  if (file.includes('/dist/')) return 'session-gateway (its own code)';
  if (file.startsWith('node:')) return 'node core (JS)';
  return file || 'JS without a file';
}

/** A script's path from its package (`graphql/execution/execute.js`, `src/loaders/follow.js`). */
export const shortPath = (file: string) => file.replace(/.*node_modules\//, '').replace(/.*\/dist\//, '');

/**
 * Rewrites a process's `/tmp/perf-<pid>.map` (V8's `--perf-basic-prof`) so that where V8 put new code
 * at the address of code it had freed, the newer code names the samples. The map is only appended to,
 * and `perf` names an address by the first entry that covers it: without this, code compiled under
 * load is charged to whatever ran there at start-up (a module's top level, a decorator).
 * `recordedBytes`: the map's length when the recording stopped.
 */
export function latestCodeWins(mapFile: string, recordedBytes = Infinity): void {
  // code written after the recording (the shutdown's) named no sample: it must not win
  const recorded = readFileSync(mapFile).subarray(0, recordedBytes).toString('utf8');
  const lines = recorded.slice(0, recorded.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
  // kept entries, sorted by start address, none overlapping: [start, end, line]
  const kept: Array<[number, number, string]> = [];
  const firstAtOrAfter = (address: number) => {
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (kept[middle][0] < address) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  for (let i = lines.length - 1; i >= 0; i--) {
    const [start, size] = lines[i].split(' ');
    const from = parseInt(start, 16);
    const to = from + parseInt(size, 16);
    const at = firstAtOrAfter(from);
    if (at < kept.length && kept[at][0] < to) continue; // newer code starts inside it
    if (at > 0 && kept[at - 1][1] > from) continue; // newer code covers its start
    kept.splice(at, 0, [from, to, lines[i]]);
  }
  writeFileSync(mapFile, kept.map(([, , line]) => line).join('\n') + '\n');
}
