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
import { isObjectIdHex } from '../db/object-id';
import type { AgentDoc, AppDoc, DatasourceDoc, ModelDoc, SessionDoc, TaskDoc, ToolDoc } from '../db/documents';
import type { ByIdTenantLoaders, Loaders } from '../loaders';
import { isBuiltinTool } from '../loaders/team-scoped-loader';
import { readableSession } from '../policy/readable-sessions';
import type { RequestContext } from '../server/request-context';

/** The entity types, each keyed by `_id`: the classes carrying `@Directive('@key(fields: "_id")')`. */
export const ENTITY_TYPES = ['Session', 'App', 'Agent', 'Task', 'Tool', 'Model', 'Datasource'] as const;
export type EntityTypeName = (typeof ENTITY_TYPES)[number];

type ReferenceResolver = (reference: unknown, ctx: RequestContext) => Promise<Document | null>;

/**
 * The id of a reference. Representations are `_Any`, so the ObjectId scalar never parses them: the
 * spelling is checked here, and anything else (objects such as `{"$ne": null}` included) is no id.
 */
function referenceId(reference: unknown): ObjectId | null {
  const id = (reference as { _id?: unknown } | null)?._id;
  return isObjectIdHex(id) ? new ObjectId(id) : null;
}

async function resolveSession(reference: unknown, ctx: RequestContext): Promise<SessionDoc | null> {
  const id = referenceId(reference);
  return id ? readableSession(ctx, id) : null;
}

/** Collections whose documents resolve by bare id for the members and admins of their team. */
type TeamResource = keyof ByIdTenantLoaders & keyof Loaders;

function teamResource<T extends Document>(collection: TeamResource): ReferenceResolver {
  return async (reference, ctx): Promise<T | null> => {
    const id = referenceId(reference);
    if (!id) return null;
    const doc = (await ctx.loaders.byId[collection].load(id)) as T | null;
    if (!doc) return null;
    if (collection === 'tools' && isBuiltinTool(doc)) return ctx.viewer ? doc : null;
    const teamId = doc.teamId;
    if (!(teamId instanceof ObjectId) || !(await ctx.policy.canReadTeamResources(teamId))) return null;
    // The team-scoped loader now knows the document too, so a field of this request that reaches it
    // again through a relation (another entity's `agent`, `tools`, …) does not read it a second time.
    ctx.loaders[collection].prime({ teamId, id }, doc as never);
    return doc;
  };
}

export const referenceResolvers: Record<EntityTypeName, ReferenceResolver> = {
  Session: resolveSession,
  App: teamResource<AppDoc>('apps'),
  Agent: teamResource<AgentDoc>('agents'),
  Task: teamResource<TaskDoc>('tasks'),
  Tool: teamResource<ToolDoc>('tools'),
  Model: teamResource<ModelDoc>('models'),
  Datasource: teamResource<DatasourceDoc>('datasources'),
};
