/** Following relations from the documents GraphQL shows, keeping the session they were reached through. */
import type { ObjectId } from 'mongodb';
import { typeNameOf, type RelatedCollection } from '../data-model/collections';
import type { Followed, Relation } from '../data-model/relations';
import type { RequestContext } from '../context/request-context';
import { follow } from '../loaders/follow';
import { andThen, type MaybePromise } from '../loaders/maybe-promise';
import { reached, viaOf } from '../schema/marks';

/** Marks what a relation gives with the session its source was reached through. */
export function markAll<T extends object>(found: T | T[] | null, collection: RelatedCollection, via: ObjectId | undefined): T | T[] | null {
  if (!via || found === null) return found;
  const typeName = typeNameOf(collection)!;
  return Array.isArray(found) ? found.map((doc) => reached(doc, typeName, via)) : reached(found, typeName, via);
}

/** The relation's documents, at once when the request has read them all (most nested fields of a graph). */
export function related<R extends Relation>(ctx: RequestContext, relation: R, parent: object): MaybePromise<Followed<R>> {
  return andThen(follow(ctx.loaders, relation, parent as never), (found) => markAll(found as object | object[] | null, relation.to, viaOf(parent)) as Followed<R>);
}
