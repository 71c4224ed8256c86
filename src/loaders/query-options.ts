/**
 * A first batch larger than the most documents a find can return (its ids, or its limit), so that the
 * server sends them all in its first reply and closes the cursor: no `getMore` for batches of more than
 * 101 ids, no `killCursors` after a limit, on MongoDB and on stricter servers alike.
 */
export function wholeBatch(most: number): { batchSize: number } {
  return { batchSize: most + 1 };
}
