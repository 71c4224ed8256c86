/**
 * At most `concurrency` tasks at once, the others waiting their turn in arrival order: a burst of
 * subscribes (every client of a replica reconnecting at once) is set up at the pace the database
 * answers, instead of all their reads queuing in the driver past their deadline.
 */
export function setupTurns(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
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
