/**
 * A defect on demand, for the tests of how one is answered and logged (500, the request id, one error
 * line, no details): while `failing` is set, reads of one collection throw a TypeError, as a bug in the
 * gateway's own code would. Everything else is the real database. Stored data cannot provoke a defect
 * any more (a malformed document fails only itself), so the tests inject one here.
 */
import type { Collection, Db, FindOptions } from 'mongodb';

export interface Fault {
  failing: boolean;
  /** The database to give the gateway: the real one, with the fault on `collection`'s reads. */
  wrap(db: Db): Db;
}

export function faultOnReadsOf(collection: string): Fault {
  const fault = faultOn(collection, (real) =>
    new Proxy(real, {
      get(target, property) {
        if (fault.failing && (property === 'find' || property === 'findOne')) {
          return () => {
            throw new TypeError(`a defect injected by the test into the reads of ${collection}`);
          };
        }
        return forward(target, property);
      },
    }));
  return fault;
}

/** While `failing` is set, each `find` of one collection answers `delayMs` late (a slow database, deterministically). */
export function slowFindsOf(collection: string, delayMs: number): Fault {
  return findsOf(collection, (cursor) => {
    const toArray = cursor.toArray.bind(cursor);
    cursor.toArray = async () => {
      await sleepFor(delayMs);
      return toArray();
    };
  });
}

/**
 * While `failing` is set, each `find` of `collection` that `which` picks is read at once but answered
 * `delayMs` late: a reply slow on the way back, holding what was stored when it was read. `reads`
 * counts those finds as they start.
 */
export function lateAnswersOf(collection: string, delayMs: number, which: (filter: unknown, options: FindOptions | undefined) => boolean): Fault & { reads: number } {
  const fault = Object.assign(findsOf(collection, (cursor, filter, options) => {
    if (!which(filter, options)) return;
    fault.reads += 1;
    const read = cursor.toArray();
    cursor.toArray = async () => {
      const docs = await read;
      await sleepFor(delayMs);
      return docs;
    };
  }), { reads: 0 });
  return fault;
}

type FindCursor = { toArray(): Promise<unknown[]> };

/** A fault that, while `failing` is set, hands each cursor of `collection`'s finds to `change` before the caller reads it. */
function findsOf(collection: string, change: (cursor: FindCursor, filter: unknown, options: FindOptions | undefined) => void): Fault {
  const fault = faultOn(collection, (real) =>
    new Proxy(real, {
      get(target, property) {
        if (property !== 'find' || !fault.failing) return forward(target, property);
        return (filter: unknown, options?: FindOptions) => {
          const cursor = (target.find as (...a: unknown[]) => FindCursor)(filter, options);
          change(cursor, filter, options);
          return cursor;
        };
      },
    }));
  return fault;
}

const sleepFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fault whose database gives `collection` through `faulty`, every other collection as it is. */
function faultOn(collection: string, faulty: (real: Collection) => Collection): Fault {
  return {
    failing: false,
    wrap: (db) =>
      new Proxy(db, {
        get(target, property) {
          if (property !== 'collection') return forward(target, property);
          return (name: string, ...rest: unknown[]) => {
            const real = (target.collection as (...args: unknown[]) => Collection)(name, ...rest);
            return name === collection ? faulty(real) : real;
          };
        },
      }),
  };
}

function forward(target: object, property: string | symbol): unknown {
  const value = Reflect.get(target, property, target);
  return typeof value === 'function' ? value.bind(target) : value;
}
