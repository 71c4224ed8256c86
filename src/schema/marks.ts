/**
 * Documents as GraphQL shows them: each one below a Session carries the session it was reached
 * through, which its Relay id records (docs/api-reference.md: the same agent seen in two sessions has two ids),
 * and the GraphQL type it is shown as. The loaders' documents are shared by every path of a request,
 * so the marks go on a view of the document, never on the document itself: a shallow copy (a view
 * whose prototype is the document makes every document's property reads slower).
 */
import type { ObjectId } from 'mongodb';

const VIA = Symbol('the session a document was reached through');
const TYPE = Symbol('the GraphQL type of a document');

interface Marks {
  [VIA]?: ObjectId;
  [TYPE]?: string;
}

/** A view of `doc` as a `typeName` reached through the session `via`. */
export function reached<T extends object>(doc: T, typeName: string, via: ObjectId): T {
  return { ...doc, [VIA]: via, [TYPE]: typeName };
}

export const viaOf = (value: unknown): ObjectId | undefined => (value as Marks | null)?.[VIA];
export const typeOf = (value: unknown): string | undefined => (value as Marks | null)?.[TYPE];
