/**
 * Loading what a request reads below its sessions, in a fixed number of batched reads.
 *
 * A load plan is the set of relations a request follows below a session (GraphQL derives it from the
 * operation's selection, src/resolvers/selection-plan.ts; the REST body has a fixed one). For each
 * collection the plan reaches, a per-request DataLoader over sessions loads, for all the sessions
 * asking at once, every document of that collection the plan's relations reach from the documents
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
import { RELATIONS, referencesOf, teamOf, type Relation } from '../data-model/relations';
import { SESSION_GRAPH, type StageName, type StageValues } from '../data-model/session-graph';
import type { Loaders } from './index';
import type { TeamScopedLoader } from './team-scoped-loader';
import { isPromise, present } from './follow';

export interface LoadPlan {
  /** Identifies the plan among the request's plans (its relations' names, sorted). */
  readonly key: string;
  readonly relations: readonly Relation[];
}

const RELATION_NAMES = new Map<Relation, string>(Object.entries(RELATIONS).map(([name, relation]) => [relation, name]));

export function loadPlan(relations: Iterable<Relation>): LoadPlan {
  const unique = [...new Set(relations)];
  const key = unique.map((relation) => RELATION_NAMES.get(relation)).sort().join(',');
  return { key, relations: unique };
}

/** The documents referenced through `relations` from `docs`, each once, in first-met order. */
interface ReferenceSource {
  docs: readonly Document[];
  relations: readonly Relation[];
}

function loadReferenced(loaders: Loaders, sources: readonly ReferenceSource[]): Document[] | Promise<Document[]> {
  const seen = new Set<string>();
  // documents the request has read already are taken as they are: a promise only for those it has not
  const found: Array<Document | null | Promise<Document | null>> = [];
  for (const { docs, relations } of sources) {
    for (const doc of docs) {
      const teamId = teamOf(doc);
      if (!teamId) continue;
      for (const relation of relations) {
        const loader = loaders[relation.to] as TeamScopedLoader<Document>;
        for (const id of referencesOf(relation, doc as never)) {
          const key = `${relation.to}:${id.toHexString()}`;
          if (seen.has(key)) continue;
          seen.add(key);
          found.push(loader.current({ teamId, id }));
        }
      }
    }
  }
  return found.some(isPromise) ? Promise.all(found).then(present) : present(found as Array<Document | null>);
}

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
  /** Resolves when everything the plan reaches from the session is loaded. */
  ready(plan: LoadPlan, session: SessionDoc): Promise<void>;
  /** A stage of the session graph (CONTRACT §4.5), made from loaded documents (loading those that are not). */
  stage<S extends StageName>(stage: S, session: SessionDoc): Promise<StageValues[S]>;
}

export function createSessionGraphLoader(loaders: Loaders): SessionGraphLoader {
  const plans = new Map<string, Map<CollectionName, DataLoader<SessionDoc, Document[], string>>>();
  const stages = new Map<string, Promise<Document[]>>();
  const sessionKey = { cacheKeyFn: (session: SessionDoc) => session._id.toHexString() };

  function collectionLoader(plan: LoadPlan, collection: CollectionName): DataLoader<SessionDoc, Document[], string> {
    let byCollection = plans.get(plan.key);
    if (!byCollection) plans.set(plan.key, (byCollection = new Map()));
    let loader = byCollection.get(collection);
    if (!loader) {
      loader =
        collection === 'sessions'
          ? new DataLoader(async (sessions) => sessions.map((session) => [session]), sessionKey)
          : new DataLoader((sessions) => loadCollection(plan, collection as RelatedCollection, sessions), sessionKey);
      byCollection.set(collection, loader);
    }
    return loader;
  }

  // A relation from a collection to itself (a task's context) is not part of the plan's stage: those
  // documents resolve as the field asks for them.
  async function loadCollection(plan: LoadPlan, collection: RelatedCollection, sessions: readonly SessionDoc[]): Promise<Array<Document[] | Error>> {
    const incoming = plan.relations.filter((relation) => relation.to === collection && relation.from !== collection);
    const sourceNames = [...new Set(incoming.map((relation) => relation.from))];
    const sourceDocs = await Promise.all(sourceNames.map((source) => collectionLoader(plan, source).loadMany(sessions)));
    return Promise.all(
      sessions.map((_, i) =>
        perSession(() => {
          const sources: ReferenceSource[] = [];
          for (const [s, source] of sourceNames.entries()) {
            const docs = sourceDocs[s][i];
            if (docs instanceof Error) return docs;
            sources.push({ docs, relations: incoming.filter((relation) => relation.from === source) });
          }
          return loadReferenced(loaders, sources);
        }),
      ),
    );
  }

  function stageList(stage: StageName, session: SessionDoc): Promise<Document[]> {
    const key = `${stage}:${session._id.toHexString()}`;
    let list = stages.get(key);
    if (!list) {
      const spec = SESSION_GRAPH[stage];
      list = Promise.all(spec.sources.map((source) => (source.from === 'session' ? [session] : stageList(source.from, session))))
        .then((docs) => loadReferenced(loaders, spec.sources.map((source, s) => ({ docs: docs[s], relations: source.relations }))))
        .then((found) => (spec.many ? found : found.slice(0, 1)));
      stages.set(key, list);
    }
    return list;
  }

  return {
    async ready(plan, session) {
      const collections = new Set(plan.relations.map((relation) => relation.to));
      await Promise.all([...collections].map((collection) => collectionLoader(plan, collection).load(session)));
    },
    async stage(stage, session) {
      const list = await stageList(stage, session);
      return (SESSION_GRAPH[stage].many ? list : (list[0] ?? null)) as StageValues[typeof stage];
    },
  };
}
