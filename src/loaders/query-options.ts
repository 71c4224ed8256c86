/**
 * Options every read of a request carries: the time left of the request's budget, passed to MongoDB as
 * `maxTimeMS` so that the server stops work nobody will wait for.
 */
export type QueryOptions = () => { maxTimeMS?: number };

export function deadlineQueryOptions(deadline: number | undefined): QueryOptions {
  if (deadline === undefined) return () => ({});
  return () => ({ maxTimeMS: Math.max(1, deadline - Date.now()) });
}
