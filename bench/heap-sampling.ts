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

/** A connection to a process's inspector: `call` sends one method and resolves with its result. */
async function inspectorSession(url: string): Promise<{ call: (method: string, params?: object) => Promise<Record<string, unknown>>; close: () => void }> {
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
  return { call, close: () => socket.close() };
}

/** Starts sampling in the process whose inspector listens at `url`; `stop` ends it and sums the profile. */
export async function startHeapSampling(url: string): Promise<{ stop: () => Promise<Allocation> }> {
  const { call, close } = await inspectorSession(url);
  await call('HeapProfiler.enable');
  await call('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return {
    async stop() {
      const { profile } = (await call('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
      close();
      return { profile, ...summarize(profile.head) };
    },
  };
}

/**
 * What is alive at a moment, by where it was allocated: a full collection, then the sampler's live
 * samples. Taken under load and again idle, the difference is what the requests in flight hold, which
 * is what every scavenge finds alive and copies.
 */
export async function startLiveSampling(url: string): Promise<{ sample: () => Promise<Omit<Allocation, 'profile'>>; stop: () => Promise<void> }> {
  const { call, close } = await inspectorSession(url);
  await call('HeapProfiler.enable');
  await call('HeapProfiler.startSampling', { samplingInterval: 4096 });
  return {
    async sample() {
      await call('HeapProfiler.collectGarbage');
      const { profile } = (await call('HeapProfiler.getSamplingProfile')) as { profile: { head: SamplingNode } };
      return summarize(profile.head);
    },
    async stop() {
      await call('HeapProfiler.stopSampling');
      close();
    },
  };
}

function summarize(head: SamplingNode): Omit<Allocation, 'profile'> {
  const found: Omit<Allocation, 'profile'> = { total: 0, byPackage: new Map(), byFunction: new Map() };
  const add = (map: Map<string, number>, key: string, bytes: number) => map.set(key, (map.get(key) ?? 0) + bytes);
  const name = ({ functionName, url, lineNumber }: SamplingNode['callFrame']) => `${functionName || '(anonymous)'} ${shortPath(url)}:${lineNumber + 1}`;
  const visit = (node: SamplingNode, parent: SamplingNode | undefined) => {
    const { functionName, url } = node.callFrame;
    if (node.selfSize > 0) {
      found.total += node.selfSize;
      // builtins (Array.prototype.sort, Map) have no script: named by themselves, and by the function that called them
      add(found.byPackage, url ? packageOf(url) : functionName || '(V8)', node.selfSize);
      add(found.byFunction, url || !parent ? name(node.callFrame) : `${functionName || '(V8)'} ← ${name(parent.callFrame)}`, node.selfSize);
    }
    for (const child of node.children) visit(child, node);
  };
  visit(head, undefined);
  return found;
}
