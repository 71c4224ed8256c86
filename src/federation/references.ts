/**
 * `__resolveReference` of the federation entities: how an entity reference sent by a federation
 * router becomes a document. Every entity is keyed on its Relay `id` (`@key(fields: "id")`), which
 * carries the session it was reached through, so a reference resolves exactly as `node(id)` does:
 * only when that session is readable and the document is part of it (docs/access.md). A well-formed
 * reference to anything else is null; a malformed one is the caller's mistake (BAD_USER_INPUT, see
 * `representationProblem`, checked with the query cost before anything runs).
 */
import type { Document } from 'mongodb';
import type { RequestContext } from '../context/request-context';
import { decodeGlobalId, NODE_TYPES } from '../resolvers/global-id';
import { readableNode } from '../resolvers/readable-node';

type ReferenceResolver = (reference: unknown, ctx: RequestContext) => Promise<Document | null>;

/**
 * Why a representation is malformed, or null when it is a reference to an entity of this subgraph.
 * Representations are `_Any`, so no scalar parses them: they are checked here.
 */
export function representationProblem(representation: unknown): string | null {
  if (typeof representation !== 'object' || representation === null || Array.isArray(representation)) return 'is not an object';
  const { __typename: typeName, id } = representation as Record<string, unknown>;
  if (typeof typeName !== 'string' || !NODE_TYPES.has(typeName)) return 'names no entity type of this subgraph';
  if (decodeGlobalId(id)?.typeName !== typeName) return `has an id that is not the id of ${/^[AEIOU]/.test(typeName) ? 'an' : 'a'} ${typeName} from this API`;
  return null;
}

const resolveReference: ReferenceResolver = (reference, ctx) => readableNode(ctx, decodeGlobalId((reference as { id: unknown }).id)!);

/** The entity types (every node type), each keyed by `id`, and how each resolves. */
export const referenceResolvers: ReadonlyMap<string, ReferenceResolver> = new Map([...NODE_TYPES.keys()].map((typeName) => [typeName, resolveReference]));
