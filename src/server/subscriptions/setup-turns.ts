/**
 * At most `concurrency` tasks at once, the others waiting their turn in arrival order: a burst of
 * subscribes (every client of a replica reconnecting at once) is set up at the pace the database
 * answers, instead of all their reads queuing in the driver past their deadline.
 */
export function setupTurns(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  // a queue read from its head (a reconnect storm queues tens of thousands: no shift of the whole array)
  let waiting: Array<() => void> = [];
  let head = 0;
  const release = () => {
    const next = waiting[head];
    if (!next) {
      running -= 1;
      return;
    }
    waiting[head++] = undefined as unknown as () => void;
    if (head > 1024 && head * 2 > waiting.length) {
      waiting = waiting.slice(head);
      head = 0;
    }
    next();
  };
  return async (task) => {
    if (running < concurrency) running += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      release();
    }
  };
}
