/**
 * What one unit of work has read: its reads (every read goes through its loaders, so these are its
 * database commands), the documents they returned under its document budget (MAX_DOCUMENTS_PER_REQUEST),
 * and its deadline. Past the budget, the read that crossed it fails, no further read starts, and the
 * work is answered QUERY_TOO_COMPLEX with no partial data (`exceeded` tells the surfaces).
 */
import { documentBudgetExceeded } from '../errors/budgets';
import type { GatewayError } from '../errors/codes';

export interface RequestReads {
  /** Epoch ms after which the request's reads are abandoned. */
  deadline?: number;
  /** Reads issued so far. */
  count: number;
  /** The same, by collection, when asked for (the live engine's per-tick figures). */
  byCollection?: Record<string, number>;
  /** Told of every database command a read issues (`find`, `getMore`): the metrics' command count. */
  onCommand?: (command: 'find' | 'getMore') => void;
  /** Told of every loader batch (the metrics' batch-size histogram); loaders stay free of metrics code. */
  onBatch?: BatchObserver;
  /** Documents received so far. */
  documents?: number;
  /** Most documents the request may read; unset: no bound. */
  maxDocuments?: number;
  /** What going past `maxDocuments` is answered with (the request's budget error by default). */
  overBudget?: GatewayError;
  /** Set once the request went past a budget: the error it is answered with. */
  exceeded?: GatewayError;
  /**
   * Set once a read met a database outage or the deadline (what it failed with): the later reads of the
   * unit of work fail with it at once, so that no request waits twice for a database that is not there
   * (a field's second read, graphql-js's second run of an answer with errors).
   */
  unavailable?: unknown;
  /** Told of each database read as it starts (a span, when tracing is on); ends with what it returned. */
  trace?: ReadTrace;
}

/** A read's trace: its collection and the ids it asks for (a batch); ended with the documents returned. */
export type ReadTrace = (collection: string, ids: number | undefined) => { end(documents: number, failure?: string): void };

export type BatchObserver = (collection: string, size: number) => void;

/** A loader batch: the collection it reads and how many keys it holds. */
export interface BatchInfo {
  collection: string;
  size: number;
}

/** Counts documents a read returned; throws (and records) the budget's error once they are past it. */
export function receiveDocuments(reads: RequestReads, count: number): void {
  reads.documents = (reads.documents ?? 0) + count;
  if (reads.maxDocuments !== undefined && reads.documents > reads.maxDocuments) {
    reads.exceeded ??= reads.overBudget ?? documentBudgetExceeded(reads.maxDocuments);
    throw reads.exceeded;
  }
}
