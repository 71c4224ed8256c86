/**
 * Loading what a request reads below its sessions, in a fixed number of batched reads.
 *
 * For each collection a load plan (./load-plan.ts) reaches, a per-request batch over sessions
 * (./batched-loads.ts) loads, for all the sessions asking at once, every document of that collection
 * the plan's relations reach from the documents loaded before it: one `find` per collection, after the
 * collections it is reached from. Once a session's plan is loaded, every field below it resolves from
 * the loaders' answers, so the commands of a request are those of the collections its selection
 * reaches, whatever the number of sessions or the order in which their fields resolve.
 *
 * A session whose documents fail (a malformed reference, a read error) fails only itself: each
 * batch answers one value or one Error per session, and the session's stages fail with it.
 */
import type { Document } from 'mongodb';
import type { RelatedCollection } from '../data-model/collections';
import type { SessionDoc } from '../data-model/documents';
import { SESSION_GRAPH, type StageName, type StageValues } from '../data-model/session-graph';
import type { Loaders } from './index';
import type { LoadPlan } from './load-plan';
import { allOf, andThen, isPromise, type MaybePromise } from './maybe-promise';
import { documentsOf, loadReferenced, referencesFrom, whenRead, type ReferenceSource, type References } from './referenced-documents';
import { BatchedLoads, Reads, type KeyMap } from './batched-loads';
import { hexOf } from '../data-model/object-id';

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

export interface SessionGraphLoader {
  /** Resolves when everything the plan reaches from the session is read (a failed read: `stage` then fails as it did); nothing once it is. */
  ready(plan: LoadPlan, session: SessionDoc): Promise<void> | undefined;
  /**
   * Reads the plan of every session, so that the fields below them resolve at once, from documents
   * read (no promise per field). Resolves when the reads are in, never rejects: a session that failed
   * fails its own fields.
   */
  loadAll(plan: LoadPlan, sessions: readonly SessionDoc[]): Promise<void> | undefined;
  /**
   * A stage of the session graph (docs/data-layer.md), made from loaded documents (loading those that are
   * not): the value itself when they all are.
   */
  stage<S extends StageName>(stage: S, session: SessionDoc): MaybePromise<StageValues[S]>;
}

export function createSessionGraphLoader(loaders: Loaders): SessionGraphLoader {
  return new RequestSessionGraph(loaders);
}

/** Sessions as keys of a batch: by their id. */
class SessionKeyMap<V> implements KeyMap<SessionDoc, V> {
  private readonly byId = new Map<string, V>();
  get(session: SessionDoc): V | undefined {
    return this.byId.get(hexOf(session._id));
  }
  set(session: SessionDoc, value: V): this {
    this.byId.set(hexOf(session._id), value);
    return this;
  }
}
const sessionKeyMap = <V>() => new SessionKeyMap<V>();

/** What a plan loads, collection by collection, each a batch over the request's sessions. */
interface PlanLoads {
  plan: LoadPlan;
  collections: Map<RelatedCollection, BatchedLoads<SessionDoc, Document[]>>;
}

/**
 * One request's loading. Its steps are methods, not closures made per request: V8 keeps a function's
 * optimized code only while a closure that runs it lives, so a closure made per request loses it at
 * every full collection that finds none alive, and the next request's is compiled again
 * (docs/benchmarks.md, "Closures made per request, compiled again").
 */
class RequestSessionGraph implements SessionGraphLoader {
  private readonly plans = new Map<string, PlanLoads>();
  private readonly stages = new Map<string, MaybePromise<Document[]>>();

  constructor(private readonly loaders: Loaders) {}

  ready(plan: LoadPlan, session: SessionDoc): Promise<void> | undefined {
    let unread = false;
    for (const collection of this.planLoads(plan).collections.values()) {
      const answer = collection.answerOf(session);
      if (answer instanceof Error) return Promise.reject(answer);
      if (answer === undefined) unread = true;
    }
    // read: nothing to wait for (every field of a plan read first asks this). A session whose reads
    // fail is failed by its stages: they meet the same error (`stage`)
    return unread ? this.loadAll(plan, [session]) : undefined;
  }

  loadAll(plan: LoadPlan, sessions: readonly SessionDoc[]): Promise<void> | undefined {
    // the batches' promises, shared by their sessions: nothing is made per session
    const reads = new Reads();
    for (const collection of this.planLoads(plan).collections.values()) reads.add(collection.request(sessions));
    return reads.all();
  }

  stage<S extends StageName>(stage: S, session: SessionDoc): MaybePromise<StageValues[S]> {
    const list = this.stageList(stage, session);
    if (SESSION_GRAPH[stage].many) return list as MaybePromise<StageValues[S]>;
    return andThen(list, firstOrNull) as MaybePromise<StageValues[S]>;
  }

  private planLoads(plan: LoadPlan): PlanLoads {
    let loads = this.plans.get(plan.key);
    if (!loads) {
      const collections = new Map<RelatedCollection, BatchedLoads<SessionDoc, Document[]>>();
      loads = { plan, collections };
      for (const collection of plan.collections.keys()) collections.set(collection, new BatchedLoads((sessions) => this.loadCollection(loads!, collection, sessions), sessionKeyMap));
      this.plans.set(plan.key, loads);
    }
    return loads;
  }

  /**
   * For each session of a batch, the documents of `collection` its plan reaches, once the collections
   * they are reached from are loaded: one read for the batch.
   */
  private async loadCollection(loads: PlanLoads, collection: RelatedCollection, sessions: readonly SessionDoc[]): Promise<Array<Document[] | Error>> {
    // the session itself, or a collection of the plan (one the plan does not load reaches nothing)
    const sources = loads.plan.collections.get(collection)!.map(({ from, relations }) => ({
      loads: from === 'sessions' ? ('session' as const) : (loads.collections.get(from as RelatedCollection) ?? ('none' as const)),
      relations,
    }));
    const sourcesRead = new Reads();
    for (const source of sources) if (typeof source.loads !== 'string') sourcesRead.add(source.loads.request(sessions));
    const sourcesIn = sourcesRead.all();
    if (sourcesIn) await sourcesIn;
    const found: Array<References | Error> = [];
    const read = new Reads();
    for (const session of sessions) {
      try {
        const from: ReferenceSource[] = [];
        for (const source of sources) {
          const docs = source.loads === 'session' ? [session] : source.loads === 'none' ? [] : source.loads.answerOf(session);
          if (docs === undefined) throw new Error(`the ${collection} batch ran before its sources were read`);
          if (docs instanceof Error) throw docs;
          from.push({ docs, relations: source.relations });
        }
        const references = referencesFrom(this.loaders, from);
        whenRead(references, read);
        found.push(references);
      } catch (error) {
        found.push(asError(error));
      }
    }
    const referencesIn = read.all();
    if (referencesIn) await referencesIn;
    return found.map((references) => {
      if (references instanceof Error) return references;
      try {
        return documentsOf(references);
      } catch (error) {
        return asError(error);
      }
    });
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
