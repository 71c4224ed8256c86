/** Waiting in tests: a pause, a bound on a promise, and polling until something holds. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection saying `what` took more than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls `probe` every `everyMs` until it gives something other than `undefined` or `false`, and
 * resolves with that; rejects, saying `what`, once `ms` have passed without it.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, ms: number, what: string, everyMs = 50): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(everyMs);
  }
}
