import { nextTurn } from '../loaders/fair-turns';

/**
 * A tick's work on tens of thousands of subscriptions runs in slices of a few milliseconds, each in a
 * turn of the event loop of its own (src/loaders/fair-turns.ts), so that `/healthz` and requests are
 * served in between rather than after the whole tick.
 */
export function timeSlicer(sliceMs = 5): () => Promise<void> | undefined {
  let sliceStarted = performance.now();
  return () => {
    if (performance.now() - sliceStarted < sliceMs) return undefined;
    return nextTurn().then(() => {
      sliceStarted = performance.now();
    });
  };
}
