/** The runtime budget of a request and the process's concurrency bound: their defaults, declared once. */

export interface RequestBudgets {
  /** MAX_DOCUMENTS_PER_REQUEST */
  maxDocuments: number;
  /** MAX_RESPONSE_BYTES */
  maxResponseBytes: number;
}

export const DEFAULT_REQUEST_BUDGETS: RequestBudgets = { maxDocuments: 20_000, maxResponseBytes: 5 * 1024 * 1024 };

/** MAX_CONCURRENT_REQUESTS */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 64;
