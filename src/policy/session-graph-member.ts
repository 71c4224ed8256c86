/**
 * Whether a document is part of a session's graph, which is what makes it readable to those who may
 * read the session (a Relay `node`, a federation reference): reachable from the session through the data
 * model's relations (in the session's team, as every relation is). Walked level by level, every
 * relation of a level followed at once, so each level is one batched read per collection; the walk
 * stops when the document is found or nothing new is reached. A document that names its session
 * (a message) is part of the session it names.
 */
import type { Document, ObjectId } from 'mongodb';
import type { CollectionName, SessionDoc } from '../data-model/documents';
import { RELATION_LIST } from '../data-model/relations';
import { COLLECTIONS, type CollectionSpec, type RelatedCollection } from '../data-model/collections';
import type { Loaders } from '../loaders';
import { follow } from '../loaders/follow';
import type { TeamScopedLoader } from '../loaders/team-scoped-loader';
import { hexOf, sameId } from '../data-model/object-id';

export async function findInSessionGraph(loaders: Loaders, session: SessionDoc, collection: CollectionName, id: ObjectId): Promise<Document | null> {
  if (collection === 'sessions') return session._id.equals(id) ? session : null;
  // documents that name their session (messages) are part of it when they name it, in its team
  const sessionKey = (COLLECTIONS[collection] as CollectionSpec).sessionKey;
  if (sessionKey) {
    const doc = await (loaders[collection as RelatedCollection] as TeamScopedLoader<Document>).load({ teamId: session.teamId, id });
    return doc && sameId(session._id, doc[sessionKey]) ? doc : null;
  }
  const seen = new Set<string>();
  let frontier: Array<{ collection: CollectionName; doc: Document }> = [{ collection: 'sessions', doc: session }];
  while (frontier.length > 0) {
    const next: Array<{ collection: CollectionName; doc: Document }> = [];
    await Promise.all(
      frontier.flatMap(({ collection: from, doc }) =>
        RELATION_LIST.filter((relation) => relation.from === from).map(async (relation) => {
          const found = await follow(loaders, relation, doc as never);
          for (const target of (Array.isArray(found) ? found : found ? [found] : []) as Document[]) {
            const key = `${relation.to}:${hexOf(target._id)}`;
            if (seen.has(key)) continue;
            seen.add(key);
            next.push({ collection: relation.to, doc: target });
          }
        }),
      ),
    );
    const hit = next.find((entry) => entry.collection === collection && (entry.doc._id as ObjectId).equals(id));
    if (hit) return hit.doc;
    frontier = next;
  }
  return null;
}
