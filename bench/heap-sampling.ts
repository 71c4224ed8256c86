/**
 * Allocation by function and package for `bench:profile -- <target> --alloc`: V8's sampling heap
 * profiler over the inspector protocol, asked to keep the objects garbage collection has already
 * freed, so that what a request allocates (what the collector then spends its time on) is counted,
 * not only what is still alive when the profile stops.
 */
import WebSocket from 'ws';
import { packageOf, shortPath } from './perf-report';

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

export interface Allocation {
  /** The profile as V8 gave it (a .heapprofile: Chrome DevTools' Memory panel opens it). */
  profile: unknown;
  /** Bytes allocated while sampling (an estimate from the samples). */
  total: number;
  byPackage: Map<string, number>;
  byFunction: Map<string, number>;
}

/** Starts sampling in the process whose inspector listens at `url`; `stop` ends it and sums the profile. */
export async function startHeapSampling(url: string): Promise<{ stop: () => Promise<Allocation> }> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let next = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++next;
      const onMessage = (data: WebSocket.RawData) => {
        const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
        if (message.id !== id) return;
        socket.off('message', onMessage);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result ?? {});
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call('HeapProfiler.enable');
  await call('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return {
    async stop() {
      const { profile } = (await call('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
      socket.close();
      return { profile, ...summarize(profile.head) };
    },
  };
}

function summarize(head: SamplingNode): Omit<Allocation, 'profile'> {
  const found: Omit<Allocation, 'profile'> = { total: 0, byPackage: new Map(), byFunction: new Map() };
  const add = (map: Map<string, number>, key: string, bytes: number) => map.set(key, (map.get(key) ?? 0) + bytes);
  const visit = (node: SamplingNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    if (node.selfSize > 0) {
      found.total += node.selfSize;
      // builtins (Array.prototype.sort, Map) have no script: named by themselves
      add(found.byPackage, url ? packageOf(url) : functionName || '(V8)', node.selfSize);
      add(found.byFunction, `${functionName || '(anonymous)'} ${shortPath(url)}:${lineNumber + 1}`, node.selfSize);
    }
    for (const child of node.children) visit(child);
  };
  visit(head);
  return found;
}
