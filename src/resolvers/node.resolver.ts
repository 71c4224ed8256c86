import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from 'type-graphql';
import type { Document } from 'mongodb';
import { SESSION_TYPE_NAME } from '../data-model/collections';
import type { RequestContext } from '../context/request-context';
import { badUserInput, internalError } from '../errors/codes';
import { viaOf } from '../schema/marks';
import { Node } from '../schema/types/node';
import { decodeGlobalId, encodeGlobalId, type GlobalId } from './global-id';
import { readableNode } from './readable-node';

/** Most ids `nodes(ids)` takes. */
const MAX_NODE_IDS = 100;

@Resolver(() => Node)
export class NodeResolver {
  // Inherited by every type that implements Node.
  @FieldResolver(() => ID)
  id(@Root() doc: Document, @Info() info: GraphQLResolveInfo): string {
    const typeName = info.parentType.name;
    const via = typeName === SESSION_TYPE_NAME ? doc._id : viaOf(doc);
    // every path to a document below a session marks it (./related.ts): a missing mark is a defect
    if (!via) throw internalError();
    return encodeGlobalId(typeName, doc._id, via);
  }

  @Query(() => Node, {
    nullable: true,
    description: 'The object with this global id; null when it does not exist or the caller may not read it (its session must be readable and the object part of that session).',
  })
  node(@Arg('id', () => ID, { description: 'A global id returned by this API.' }) id: string, @Ctx() ctx: RequestContext) {
    return readableNode(ctx, parse(id));
  }

  @Query(() => [Node], {
    nullable: 'items',
    description: `The objects with these global ids, in order; null for each that does not exist or that the caller may not read. At most ${MAX_NODE_IDS} ids.`,
  })
  nodes(@Arg('ids', () => [ID], { description: 'Global ids returned by this API.' }) ids: string[], @Ctx() ctx: RequestContext) {
    if (ids.length > MAX_NODE_IDS) throw badUserInput(`nodes takes at most ${MAX_NODE_IDS} ids; got ${ids.length}`);
    const parsed = ids.map(parse);
    return Promise.all(parsed.map((id) => readableNode(ctx, id)));
  }
}

function parse(id: string): GlobalId {
  const parsed = decodeGlobalId(id);
  if (!parsed) throw badUserInput('Not a global id returned by this API');
  return parsed;
}
