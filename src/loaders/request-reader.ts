/**
 * Every database read of a unit of work goes through its reader, which counts it (and tells the
 * metrics), gives it what is left of the deadline (./read-deadline.ts), and counts what it returns
 * against the document budget (./request-reads.ts).
 */
import type { Collection, Document, Filter, FindOptions } from 'mongodb';
import { toGatewayError } from '../errors/classify';
import { ErrorCode } from '../errors/codes';
import { nextTurn } from './fair-turns';
import { beforeDeadline, readTiming, timeLeft } from './read-deadline';
import { receiveDocuments, type BatchInfo, type RequestReads } from './request-reads';

/** Runs every read of a request: counts it, gives it what is left of the deadline, counts what it returns. */
export interface RequestReader {
  find<T extends Document>(collection: Collection<T>, filter: Filter<T>, options?: FindOptions, batch?: BatchInfo): Promise<T[]>;
  /**
   * Reads the documents batch by batch, handing each batch on and keeping none, so that a long result
   * (a conversation) is never held whole; the budget counts every batch as it arrives.
   */
  each<T extends Document>(collection: Collection<T>, filter: Filter<T>, options: FindOptions, onBatch: (docs: T[]) => void): Promise<void>;
}

export function requestReader(reads: RequestReads): RequestReader {
  const received = (count: number) => receiveDocuments(reads, count);
  // an outage or the deadline met once is the answer of every later read of the unit of work
  const refuseIfUnavailable = () => {
    if (reads.exceeded) throw reads.exceeded;
    if (reads.unavailable !== undefined) throw reads.unavailable;
  };
  const noteFailure = (error: unknown) => {
    if (reads.unavailable === undefined && toGatewayError(error).code === ErrorCode.SERVICE_UNAVAILABLE) reads.unavailable = error;
  };
  return {
    async each<T extends Document>(collection: Collection<T>, filter: Filter<T>, options: FindOptions, onBatch: (docs: T[]) => void): Promise<void> {
      refuseIfUnavailable();
      const cursor = collection.find(filter, { ...options, ...readTiming(reads.deadline) });
      const counted = reads.count;
      const traced = reads.trace?.(collection.collectionName, undefined);
      let returned = 0;
      let failure: string | undefined;
      let asked: Promise<boolean> | undefined;
      try {
        while (await beforeDeadline((asked = cursor.hasNext()), reads.deadline)) {
          reads.onCommand?.(reads.count === counted ? 'find' : 'getMore');
          reads.count += 1; // the find, then each getMore
          if (reads.byCollection) reads.byCollection[collection.collectionName] = (reads.byCollection[collection.collectionName] ?? 0) + 1;
          await nextTurn(); // ./fair-turns.ts
          const docs = cursor.readBufferedDocuments() as T[];
          returned += docs.length;
          received(docs.length);
          onBatch(docs);
          if (!cursor.closed && reads.deadline !== undefined) timeLeft(reads.deadline); // a getMore comes next: none once the time is out
        }
      } catch (error) {
        failure = (error as { name?: string }).name ?? 'Error';
        noteFailure(error);
        throw error;
      } finally {
        traced?.end(returned, failure);
        if (failure === undefined) await cursor.close();
        // after a failure (the deadline among them) the last batch asked for may still be on its way:
        // closed once it is in (closing under it would leave its cursor open on the server), unawaited
        else void closeAfter(asked, cursor);
      }
    },
    async find<T extends Document>(collection: Collection<T>, filter: Filter<T>, options?: FindOptions, batch?: BatchInfo): Promise<T[]> {
      refuseIfUnavailable();
      const timing = readTiming(reads.deadline);
      reads.count += 1;
      reads.onCommand?.('find');
      if (reads.byCollection) reads.byCollection[collection.collectionName] = (reads.byCollection[collection.collectionName] ?? 0) + 1;
      if (batch) reads.onBatch?.(batch.collection, batch.size);
      const traced = reads.trace?.(collection.collectionName, batch?.size);
      let docs: T[];
      try {
        docs = (await beforeDeadline(collection.find(filter, { ...options, ...timing }).toArray(), reads.deadline)) as T[];
      } catch (error) {
        traced?.end(0, (error as { name?: string }).name ?? 'Error');
        noteFailure(error);
        throw error;
      }
      traced?.end(docs.length);
      await nextTurn(); // ./fair-turns.ts
      received(docs.length);
      return docs;
    },
  };
}

async function closeAfter(asked: Promise<boolean> | undefined, cursor: { close(): Promise<void> }): Promise<void> {
  await asked?.catch(ignore);
  await cursor.close().catch(ignore);
}

function ignore(): void {}
