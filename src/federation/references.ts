/**
 * `__resolveReference` of the federation entities: how an entity reference (`{__typename, _id}`) sent
 * by a federation router becomes a document. References go through the request's loaders and access
 * policy like everything else:
 * - a Session resolves when the caller may read it (CONTRACT §3), exactly as `session(_id)` does;
 * - an App, Agent, Task, Tool, Model or Datasource arrives without the session it was reached through,
 *   so it resolves only for members and admins of the team that owns it
 *   (`AccessPolicy.canReadTeamResources`); a global built-in tool resolves for any authenticated caller.
 * Everything else (missing, another team, anonymous, an id that is not 24 lowercase hex) is null.
 */
import { ObjectId, type Document } from 'mongodb';
import { ENTITY_COLLECTIONS, isBuiltinTool, typeNameOf, type EntityCollection } from '../data-model/collections';
import { isObjectIdHex } from '../db/object-id';
import type { TeamScopedLoader } from '../loaders/team-scoped-loader';
import { readableSession } from '../policy/readable-sessions';
import type { RequestContext } from '../context/request-context';

type ReferenceResolver = (reference: unknown, ctx: RequestContext) => Promise<Document | null>;

/**
 * The id of a reference. Representations are `_Any`, so the ObjectId scalar never parses them: the
 * spelling is checked here, and anything else (objects such as `{"$ne": null}` included) is no id.
 */
function referenceId(reference: unknown): ObjectId | null {
  const id = (reference as { _id?: unknown } | null)?._id;
  return isObjectIdHex(id) ? new ObjectId(id) : null;
}

async function resolveSession(reference: unknown, ctx: RequestContext): Promise<Document | null> {
  const id = referenceId(reference);
  return id ? readableSession(ctx, id) : null;
}

function teamResource(collection: Exclude<EntityCollection, 'sessions'>): ReferenceResolver {
  return async (reference, ctx) => {
    const id = referenceId(reference);
    if (!id) return null;
    const doc: Document | null = await ctx.loaders.byId[collection].load(id);
    if (!doc) return null;
    if (isBuiltinTool(doc)) return ctx.viewer ? doc : null;
    const teamId = doc.teamId;
    if (!(teamId instanceof ObjectId) || !(await ctx.policy.canReadTeamResources(teamId))) return null;
    // The team-scoped loader now knows the document too, so a field of this request that reaches it
    // again through a relation (another entity's `agent`, `tools`, …) does not read it a second time.
    (ctx.loaders[collection] as TeamScopedLoader<Document>).prime({ teamId, id }, doc);
    return doc;
  };
}

/**
 * Why a representation is malformed (the caller's mistake: BAD_USER_INPUT before any read), or null
 * when it is a reference to an entity of this subgraph. A well-formed reference to a document that is
 * missing or not readable resolves to null instead.
 */
export function representationProblem(representation: unknown): string | null {
  if (typeof representation !== 'object' || representation === null || Array.isArray(representation)) return 'is not an object';
  const { __typename: typeName, _id: id } = representation as Record<string, unknown>;
  if (typeof typeName !== 'string' || !referenceResolvers.has(typeName)) return 'names no entity type of this subgraph';
  if (!isObjectIdHex(id)) return 'has an _id that is not 24 lowercase hex characters';
  return null;
}

/** The entity types (the data model's entity collections), each keyed by `_id`, and how each resolves. */
export const referenceResolvers: ReadonlyMap<string, ReferenceResolver> = new Map(
  ENTITY_COLLECTIONS.map((collection) => [typeNameOf(collection)!, collection === 'sessions' ? resolveSession : teamResource(collection)]),
);
