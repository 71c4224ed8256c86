/**
 * A subscription's events executed by graphql-jit: the subscribe's document compiled once (clients
 * share the document, src/server/limits/operation-check.ts), then each event is its selection run
 * against the event's payload, without graphql-js building an execution context and coercing the
 * variables again at every event. An event whose compiled run has errors is run again by graphql-js,
 * so that errors are graphql-js's own, as for queries (./jit-executor.ts).
 */
import { execute, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

export type EventExecutor = (args: Omit<ExecutionArgs, 'contextValue' | 'rootValue'>, payload: unknown, context: unknown) => Promise<ExecutionResult>;

export function eventExecutor(schema: GraphQLSchema, jit: boolean): EventExecutor {
  const interpreted: EventExecutor = async (args, payload, context) => (await execute({ ...args, rootValue: payload, contextValue: context })) as ExecutionResult;
  if (!jit) return interpreted;
  // by document and operation name: null when graphql-jit cannot compile it
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();
  const compiledFor = (document: DocumentNode, operationName: string | null | undefined) => {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    const key = operationName ?? '';
    if (!byName.has(key)) {
      const result = compileQuery(schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
      byName.set(key, isCompiledQuery(result) ? result : null);
    }
    return byName.get(key)!;
  };
  return async (args, payload, context) => {
    const query = compiledFor(args.document, args.operationName);
    if (!query) return interpreted(args, payload, context);
    const result = await query.query(payload, context, args.variableValues ?? {});
    return result.errors?.length ? interpreted(args, payload, context) : result;
  };
}
