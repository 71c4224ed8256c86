/**
 * What the static query cost counts (src/server/limits/cost.ts), derived from the data model: the
 * documents a query can return. A field whose type is a collection's document type counts one
 * document per value; a list multiplies by its size: a relation's or a session stage's declared list
 * size, a page's `first`, the number of representations of `_entities`. Scalars and objects held
 * inside a document (sharing settings, icons) are free: they arrive with their document.
 */
import { COLLECTION_NAMES, SESSION_TYPE_NAME, typeNameOf } from '../data-model/collections';
import { RELATION_LIST } from '../data-model/relations';
import { SESSION_GRAPH, SESSION_LIST_FIELDS } from '../data-model/session-graph';
import { PAGES } from './page-size';

/** The GraphQL types whose values are stored documents. */
export const DOCUMENT_TYPES: ReadonlySet<string> = new Set(COLLECTION_NAMES.map(typeNameOf).filter((name): name is string => name !== undefined));

/** `Type.field` → how many values the list holds, as the cost counts it. */
export const LIST_SIZES: ReadonlyMap<string, number> = new Map([
  ...RELATION_LIST.filter((relation) => relation.many).map((relation): [string, number] => [`${typeNameOf(relation.from)}.${relation.field}`, relation.listSize]),
  ...SESSION_LIST_FIELDS.map((field): [string, number] => [`${SESSION_TYPE_NAME}.${field}`, SESSION_GRAPH[field].listSize]),
]);

/** `Type.field` → the list argument whose length is the number of values (`nodes(ids)`). */
export const ARGUMENT_SIZES: ReadonlyMap<string, string> = new Map([['Query.nodes', 'ids']]);

/** `Type.field` of a paged connection → the argument that sizes the page, and its most. */
export const PAGE_SIZES: ReadonlyMap<string, { argument: string; max: number }> = new Map(
  Object.values(PAGES).map((page): [string, { argument: string; max: number }] => [page.field, { argument: 'first', max: page.max }]),
);

/** `Query._entities` (federation): one value per representation it is given. */
export const ENTITIES = { field: 'Query._entities', argument: 'representations' } as const;

/** Every argument whose value the cost reads; no other argument's value changes an operation's cost. */
export const SIZING_ARGUMENTS: ReadonlySet<string> = new Set([
  ...[...PAGE_SIZES.values()].map((page) => page.argument),
  ...ARGUMENT_SIZES.values(),
  ENTITIES.argument,
]);

/** The lists of one page (`edges`, `nodes`): one value each, the page's size counted on its field. */
export const PAGE_ITEM_LISTS: ReadonlySet<string> = new Set(Object.values(PAGES).flatMap((page) => [`${page.connection}.edges`, `${page.connection}.nodes`]));
