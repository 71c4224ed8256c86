/**
 * Each collection the gateway reads, declared once: who owns its documents (tenancy), which of their
 * fields are secrets, and the GraphQL type its documents are shown as. Loaders, the secrets filter,
 * federation entities and the policy's document checks are derived from this table.
 */
import { ObjectId, type Document } from 'mongodb';
import type { CollectionName, MessageDoc } from './documents';
import { hexOf } from './object-id';

/**
 * - `team`: every document has the `teamId` (and `orgId`) of the team that owns it, and is read only
 *   for that team.
 * - `team-or-builtin`: as `team`, and global built-ins (no `teamId`, `data.builtin: true`) are read
 *   for every team (tools, as the webapp's tool lookups do).
 * - `global`: documents that belong to no team (teams, orgs, accounts, API keys), read by `_id`.
 */
export type Tenancy = 'team' | 'team-or-builtin' | 'global';

export interface CollectionSpec {
  tenancy: Tenancy;
  /** Dotted paths of the fields that never leave the gateway (docs/data-layer.md). */
  secrets: readonly string[];
  /** The GraphQL type its documents are shown as: a Relay node and a federation entity. */
  typeName?: string;
  /** Documents that belong to one session name it in this field (a session's messages). */
  sessionKey?: string;
  /** Indexes the gateway's queries want beyond `_id` (`npm run indexes` creates them). */
  indexes?: ReadonlyArray<Readonly<Record<string, 1 | -1>>>;
}

export const COLLECTIONS = {
  sessions: {
    tenancy: 'team', secrets: [], typeName: 'Session',
    // a team's pages, newest first; the same filtered by app or by status
    indexes: [{ teamId: 1, _id: -1 }, { teamId: 1, appId: 1, _id: -1 }, { teamId: 1, status: 1, _id: -1 }],
  },
  // the apps a caller created, for the owner sharing mode of list queries
  apps: { tenancy: 'team', secrets: [], typeName: 'App', indexes: [{ teamId: 1, createdBy: 1 }] },
  crews: { tenancy: 'team', secrets: [], typeName: 'Crew' },
  agents: { tenancy: 'team', secrets: [], typeName: 'Agent' },
  tasks: { tenancy: 'team', secrets: [], typeName: 'Task' },
  tools: { tenancy: 'team-or-builtin', secrets: ['data.environmentVariables'], typeName: 'Tool' },
  models: { tenancy: 'team', secrets: ['config'], typeName: 'Model' },
  datasources: { tenancy: 'team', secrets: ['connectionSettings'], typeName: 'Datasource' },
  variables: { tenancy: 'team', secrets: [], typeName: 'Variable' },
  teams: { tenancy: 'global', secrets: [] },
  orgs: { tenancy: 'global', secrets: [] },
  accounts: { tenancy: 'global', secrets: ['passwordHash', 'token', 'apiJwt', 'oauth'] },
  apikeys: { tenancy: 'global', secrets: ['token'] },
  // a session's conversation, oldest first
  chat: { tenancy: 'team', secrets: [], typeName: 'Message', sessionKey: 'sessionId', indexes: [{ sessionId: 1, _id: 1 }] },
} as const satisfies Record<CollectionName, CollectionSpec>;

type Collections = typeof COLLECTIONS;

/** Collections whose documents a team owns. */
export type TenantCollection = { [C in CollectionName]: Collections[C]['tenancy'] extends 'global' ? never : C }[CollectionName];

/** Collections a relation can point to: every tenant collection but sessions, which are reached by id. */
export type RelatedCollection = Exclude<TenantCollection, 'sessions'>;


export const COLLECTION_NAMES = Object.keys(COLLECTIONS) as CollectionName[];


/** Collections whose documents GraphQL shows as a type of their own (a Relay node, a federation entity). */
export type NodeCollection = { [C in CollectionName]: Collections[C] extends { typeName: string } ? C : never }[CollectionName];

/** The GraphQL type a node collection's documents are shown as. */
export function nodeTypeName(collection: NodeCollection): string {
  return (COLLECTIONS[collection] as { typeName: string }).typeName;
}

/** The type sessions are shown as: every surface starts from one. */
export const SESSION_TYPE_NAME = nodeTypeName('sessions');

/** A session's conversation: the collection of its messages, and the field of each that names the session. */
export const CONVERSATION = { collection: 'chat', sessionKey: COLLECTIONS.chat.sessionKey } as const;

/** The session a message belongs to, as stored; none when that is not an ObjectId (queries would not find it there). */
export const sessionOfMessage = (doc: MessageDoc): ObjectId | undefined => {
  const session: unknown = doc[CONVERSATION.sessionKey];
  return session instanceof ObjectId ? session : undefined;
};

/** Messages by their session's hex id, each session's in the order given: one pass, not one per session. */
export function messagesBySession(docs: readonly MessageDoc[]): Map<string, MessageDoc[]> {
  const groups = new Map<string, MessageDoc[]>();
  for (const doc of docs) {
    const session = sessionOfMessage(doc);
    if (session === undefined) continue;
    const key = hexOf(session);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(doc);
  }
  return groups;
}

/** The GraphQL type name of a collection's documents. */
export function typeNameOf(collection: CollectionName): string | undefined {
  const spec: CollectionSpec = COLLECTIONS[collection];
  return spec.typeName;
}

export function isBuiltinTool(doc: Document): boolean {
  return doc.teamId == null && doc.data?.builtin === true;
}

/**
 * Whether a document read from a collection is well formed enough to be used at all: an ObjectId
 * `_id` and, for tenant documents, an ObjectId `teamId` (built-in tools excepted). Anything else is
 * treated as missing, so that one anomalous document makes only itself unreadable.
 */
export function isUsableDocument(collection: CollectionName, doc: Document): boolean {
  if (!(doc._id instanceof ObjectId)) return false;
  const tenancy: Tenancy = COLLECTIONS[collection].tenancy;
  if (tenancy === 'global') return true;
  return doc.teamId instanceof ObjectId || (tenancy === 'team-or-builtin' && isBuiltinTool(doc));
}
