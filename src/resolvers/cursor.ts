/** Opaque Relay cursors over document ids, one kind per connection (a session's cursor is no message's). */
import { ObjectId } from 'mongodb';
import { hexOf, isObjectIdHex } from '../data-model/object-id';
import { badUserInput } from '../errors/codes';

export type CursorKind = 'session' | 'message';

function encodeCursor(kind: CursorKind, id: ObjectId): string {
  return Buffer.from(`${kind}:${hexOf(id)}`).toString('base64url');
}

/** The id of a cursor this API made for `kind`, exactly as made: Node's base64 decoder skips what it cannot read, so the cursor is made again and compared. */
export function decodeCursor(kind: CursorKind, cursor: string): ObjectId {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const hex = text.startsWith(`${kind}:`) ? text.slice(kind.length + 1) : '';
  const id = isObjectIdHex(hex) ? new ObjectId(hex) : undefined;
  if (!id || encodeCursor(kind, id) !== cursor) throw badUserInput('after is not a cursor returned by this API');
  return id;
}

/**
 * A Relay connection of `items` (at most `first` of them, in order), whose next page exists when
 * `more`. An empty page (`first: 0`, or past the end) stays where it was asked: its cursors are `after`.
 */
export function connectionOf<T extends { _id: ObjectId }>(kind: CursorKind, items: T[], more: boolean, after: string | null | undefined) {
  // a loop, not a closure per call: V8 keeps its optimized code (see src/loaders/session-graph-loader.ts)
  const edges: Array<{ cursor: string; node: T }> = [];
  for (const node of items) edges.push({ cursor: encodeCursor(kind, node._id), node });
  const here = after ?? null;
  return {
    edges,
    nodes: items,
    pageInfo: {
      hasNextPage: more,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? here,
      endCursor: edges[edges.length - 1]?.cursor ?? here,
    },
  };
}
