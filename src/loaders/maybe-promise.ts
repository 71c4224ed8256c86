/**
 * Values that are there at once when the request has already read what they need, and promises
 * otherwise: GraphQL completes a field given a value without waiting a turn, so the loaders and
 * resolvers pass values on as values and wait only when something is still being read.
 */
export type MaybePromise<T> = T | Promise<T>;

export const isPromise = <T>(value: MaybePromise<T>): value is Promise<T> => value instanceof Promise;

/** `fn` of the value: at once for a value, once it resolves for a promise. */
export function andThen<T, U>(value: MaybePromise<T>, fn: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromise(value) ? value.then(fn) : fn(value);
}

/** Every value, at once when none is a promise. */
export function allOf<T>(values: Array<MaybePromise<T>>): MaybePromise<T[]> {
  return values.some(isPromise) ? Promise.all(values) : (values as T[]);
}

/** The documents found, without the references that resolve to nothing. */
export const present = <T>(found: Array<T | null>): T[] => found.filter((doc): doc is T => doc !== null);
