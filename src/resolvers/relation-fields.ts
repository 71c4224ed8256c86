/**
 * The relation fields (all but the session's own stages) resolved straight from the data model.
 * The object types declare them (src/schema/types), src/schema/model-conformance.ts checks that they
 * agree with the model, and their resolvers are set here, not through type-graphql's resolver
 * classes, whose wrapper works out a resolver's parameters on every call (and sorts their list each
 * time), for each of the thousands of relation fields of a page.
 */
import type { GraphQLSchema } from 'graphql';
import { typeNameOf } from '../data-model/collections';
import { RELATION_LIST } from '../data-model/relations';
import type { RequestContext } from '../context/request-context';
import { related } from './related';
import { setFieldResolver } from './schema-resolvers';

export function resolveRelationsFromModel(schema: GraphQLSchema): GraphQLSchema {
  for (const relation of RELATION_LIST) {
    // a session's stage fields follow the request's load plan (./session.resolver.ts)
    if (relation.from === 'sessions') continue;
    const resolve = (parent: object, _args: unknown, ctx: RequestContext) => related(ctx, relation, parent);
    setFieldResolver(schema, typeNameOf(relation.from), relation.field, resolve, `the relation ${relation.from}.${relation.field}`);
  }
  return schema;
}
