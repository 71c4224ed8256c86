/**
 * Loading what a request reads below its sessions, in a fixed number of batched reads.
 *
 * For each collection a load plan (./load-plan.ts) reaches, a per-request DataLoader over sessions
 * loads, for all the sessions asking at once, every document of that collection the plan's relations reach from the documents
 * loaded before it: one `find` per collection, after the collections it is reached from. Once a
 * session's plan is loaded, every field below it resolves from the loaders' cache, so the commands
 * of a request are those of the collections its selection reaches, whatever the number of sessions
 * or the order in which their fields resolve.
 *
 * A session whose documents fail (a malformed reference, a read error) fails only itself: each
 * batch answers one value or one Error per session, as DataLoader expects.
 */
import DataLoader from 'dataloader';
import type { Document } from 'mongodb';
import type { RelatedCollection } from '../data-model/collections';
import type { CollectionName, SessionDoc } from '../data-model/documents';
import { SESSION_GRAPH, type StageName, type StageValues } from '../data-model/session-graph';
import type { Loaders } from './index';
import type { LoadPlan } from './load-plan';
import { allOf, andThen, isPromise, type MaybePromise } from './maybe-promise';
import { loadReferenced, type ReferenceSource } from './referenced-documents';
import { hexOf } from '../db/object-id';

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/** Runs `fn` for one session of a batch, turning a throw or a rejection into that session's Error. */
function perSession<T>(fn: () => Promise<T> | T | Error): Promise<T | Error> {
  try {
    return Promise.resolve(fn()).catch(asError);
  } catch (error) {
    return Promise.resolve(asError(error));
  }
}

export interface SessionGraphLoader {
  /** Resolves when everything the plan reaches from the session is loaded; nothing once it is. */
  ready(plan: LoadPlan, session: SessionDoc): Promise<void> | undefined;
  /**
   * A stage of the session graph (docs/data-layer.md), made from loaded documents (loading those that are
   * not): the value itself when they all are.
   */
  stage<S extends StageName>(stage: S, session: SessionDoc): MaybePromise<StageValues[S]>;
}

export function createSessionGraphLoader(loaders: Loaders): SessionGraphLoader {
  return new RequestSessionGraph(loaders);
}

const sessionKey = { cacheKeyFn: (session: SessionDoc) => hexOf(session._id) };
async function sessionsThemselves(sessions: readonly SessionDoc[]): Promise<SessionDoc[][]> {
  const lists: SessionDoc[][] = [];
  for (const session of sessions) lists.push([session]);
  return lists;
}

/**
 * One request's loading. Its steps are methods, not closures made per request: V8 keeps a function's
 * optimized code only while a closure that runs it lives, so a closure made per request loses it at
 * every full collection that finds none alive, and the next request's is compiled again (15–37 ms
 * of TurboFan each time, over and over under load).
 */
class RequestSessionGraph implements SessionGraphLoader {
  private readonly plans = new Map<string, Map<CollectionName, DataLoader<SessionDoc, Document[], string>>>();
  private readonly stages = new Map<string, MaybePromise<Document[]>>();
  // each session's plan: the promise of its loading, null once loaded
  private readonly loading = new Map<string, Promise<void> | null>();

  constructor(private readonly loaders: Loaders) {}

  ready(plan: LoadPlan, session: SessionDoc): Promise<void> | undefined {
    const key = `${plan.key}|${hexOf(session._id)}`;
    const known = this.loading.get(key);
    if (known !== undefined) return known ?? undefined;
    const collections = new Set(plan.relations.map((relation) => relation.to));
    const loaded = Promise.all([...collections].map((collection) => this.collectionLoader(plan, collection).load(session))).then(() => {
      this.loading.set(key, null);
    });
    this.loading.set(key, loaded);
    return loaded;
  }

  stage<S extends StageName>(stage: S, session: SessionDoc): MaybePromise<StageValues[S]> {
    const list = this.stageList(stage, session);
    if (SESSION_GRAPH[stage].many) return list as MaybePromise<StageValues[S]>;
    return andThen(list, firstOrNull) as MaybePromise<StageValues[S]>;
  }

  private collectionLoader(plan: LoadPlan, collection: CollectionName): DataLoader<SessionDoc, Document[], string> {
    let byCollection = this.plans.get(plan.key);
    if (!byCollection) this.plans.set(plan.key, (byCollection = new Map()));
    let loader = byCollection.get(collection);
    if (!loader) {
      loader =
        collection === 'sessions'
          ? new DataLoader(sessionsThemselves, sessionKey)
          : new DataLoader((sessions) => this.loadCollection(plan, collection as RelatedCollection, sessions), sessionKey);
      byCollection.set(collection, loader);
    }
    return loader;
  }

  // A relation from a collection to itself (a task's context) is not part of the plan's stage: those
  // documents resolve as the field asks for them.
  private async loadCollection(plan: LoadPlan, collection: RelatedCollection, sessions: readonly SessionDoc[]): Promise<Array<Document[] | Error>> {
    const incoming = plan.relations.filter((relation) => relation.to === collection && relation.from !== collection);
    const sourceNames = [...new Set(incoming.map((relation) => relation.from))];
    const sourceDocs = await Promise.all(sourceNames.map((source) => this.collectionLoader(plan, source).loadMany(sessions)));
    return Promise.all(
      sessions.map((_, i) =>
        perSession(() => {
          const sources: ReferenceSource[] = [];
          for (const [s, source] of sourceNames.entries()) {
            const docs = sourceDocs[s][i];
            if (docs instanceof Error) return docs;
            sources.push({ docs, relations: incoming.filter((relation) => relation.from === source) });
          }
          return loadReferenced(this.loaders, sources);
        }),
      ),
    );
  }

  // A stage's list, or the promise of it until it is made; kept for the request.
  private stageList(stage: StageName, session: SessionDoc): MaybePromise<Document[]> {
    const key = `${stage}:${hexOf(session._id)}`;
    const known = this.stages.get(key);
    if (known) return known;
    const spec = SESSION_GRAPH[stage];
    const sources: Array<MaybePromise<Document[]>> = [];
    for (const source of spec.sources) sources.push(source.from === 'session' ? [session] : this.stageList(source.from, session));
    const inputs = allOf(sources);
    const list = isPromise(inputs) ? inputs.then((docs) => this.madeStage(stage, key, docs)) : this.madeStage(stage, key, inputs);
    // the promise until the list is made, then the list itself
    if (isPromise(list)) this.stages.set(key, list);
    return list;
  }

  /** A stage's list from its sources' documents, kept once made. */
  private madeStage(stage: StageName, key: string, sourceDocs: Document[][]): MaybePromise<Document[]> {
    const spec = SESSION_GRAPH[stage];
    const found = loadReferenced(this.loaders, spec.sources.map((source, s) => ({ docs: sourceDocs[s], relations: source.relations })));
    return isPromise(found) ? found.then((docs) => this.keptStage(key, spec.many, docs)) : this.keptStage(key, spec.many, found);
  }

  private keptStage(key: string, many: boolean, docs: Document[]): Document[] {
    const made = many ? docs : docs.slice(0, 1);
    this.stages.set(key, made);
    return made;
  }
}

const firstOrNull = (docs: Document[]) => docs[0] ?? null;
