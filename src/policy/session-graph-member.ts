/**
 * Whether a document is part of a session's graph, which is what makes it readable to those who may
 * read the session (a Relay `node`, a federation reference): reachable from the session through the data
 * model's relations (in the session's team, as every relation is). Walked level by level, every
 * relation of a level followed at once, so each level is one batched read per collection; the walk
 * stops when the document is found or nothing new is reached, and is kept by the request's policy, so
 * that many ids of one session (`nodes`, federation's `_entities`, aliases) cost one walk. It goes at
 * most as many relations from the session as a query may nest fields (GRAPHQL_MAX_DEPTH): a chain of
 * task contexts has no other end than the stored data's, and each level is a read after the last. A document that
 * names its session (a message) is part of the session it names.
 */
import type { Document, ObjectId } from 'mongodb';
import type { CollectionName, SessionDoc } from '../data-model/documents';
import { RELATION_LIST } from '../data-model/relations';
import { COLLECTIONS, type CollectionSpec, type RelatedCollection } from '../data-model/collections';
import type { Loaders } from '../loaders';
import { follow } from '../loaders/follow';
import type { TeamScopedLoader } from '../loaders/team-scoped-loader';
import { hexOf, sameId } from '../data-model/object-id';

/** The request's walks, by session: however many ids ask (`nodes`, `_entities`, aliases), each graph is walked once. */
export class SessionGraphWalks {
  private readonly bySession = new Map<string, SessionGraphWalk>();

  constructor(
    private readonly loaders: Loaders,
    /** Most relations from the session a document is looked for. */
    private readonly maxLevels: number,
  ) {}

  /** The document if it is part of the session's graph, else null. */
  async find(session: SessionDoc, collection: CollectionName, id: ObjectId): Promise<Document | null> {
    if (collection === 'sessions') return session._id.equals(id) ? session : null;
    // documents that name their session (messages) are part of it when they name it, in its team
    const sessionKey = (COLLECTIONS[collection] as CollectionSpec).sessionKey;
    if (sessionKey) {
      const doc = await (this.loaders[collection as RelatedCollection] as TeamScopedLoader<Document>).load({ teamId: session.teamId, id });
      return doc && sameId(session._id, doc[sessionKey]) ? doc : null;
    }
    const key = hexOf(session._id);
    let walk = this.bySession.get(key);
    if (!walk) this.bySession.set(key, (walk = new SessionGraphWalk(this.loaders, session, this.maxLevels)));
    return walk.find(collection, id);
  }
}

/**
 * A session's graph, walked a level at a time as far as the ids asked of it need: what it has reached
 * answers at once, a level is walked once for every id waiting on it, and once the walk has reached
 * everything an id it did not meet is answered without another step.
 */
class SessionGraphWalk {
  private readonly reached = new Map<string, Document>();
  private frontier: Array<{ collection: CollectionName; doc: Document }>;
  private step: Promise<void> | undefined;
  private levels = 0;

  constructor(
    private readonly loaders: Loaders,
    session: SessionDoc,
    private readonly maxLevels: number,
  ) {
    this.frontier = [{ collection: 'sessions', doc: session }];
  }

  async find(collection: CollectionName, id: ObjectId): Promise<Document | null> {
    const key = `${collection}:${hexOf(id)}`;
    for (;;) {
      const hit = this.reached.get(key);
      if (hit) return hit;
      if (this.frontier.length === 0) return null;
      await (this.step ??= this.walkLevel().finally(() => (this.step = undefined)));
    }
  }

  // every relation of the level followed at once: one batched read per collection
  private async walkLevel(): Promise<void> {
    const next: Array<{ collection: CollectionName; doc: Document }> = [];
    await Promise.all(
      this.frontier.flatMap(({ collection: from, doc }) =>
        RELATION_LIST.filter((relation) => relation.from === from).map(async (relation) => {
          const found = await follow(this.loaders, relation, doc as never);
          for (const target of (Array.isArray(found) ? found : found ? [found] : []) as Document[]) {
            const key = `${relation.to}:${hexOf(target._id)}`;
            if (this.reached.has(key)) continue;
            this.reached.set(key, target);
            next.push({ collection: relation.to, doc: target });
          }
        }),
      ),
    );
    this.levels += 1;
    this.frontier = this.levels < this.maxLevels ? next : [];
  }
}
