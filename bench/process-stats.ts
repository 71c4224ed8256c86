/** Figures the benchmarks read of a process and of their rounds. */
import { readFileSync } from 'node:fs';

/** CPU time (user + system) of a process so far, in microseconds, from /proc; null where there is none. */
export function processCpuMicros(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    // fields after the command's closing parenthesis: utime and stime are the 12th and 13th
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
