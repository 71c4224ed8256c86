/**
 * A subscription's events executed by graphql-jit: the subscribe's document compiled once (clients
 * share the document, src/server/limits/operation-check.ts), then each event is its selection run
 * against the event's payload, without graphql-js building an execution context and coercing the
 * variables again at every event. An event whose compiled run has errors is run again by graphql-js,
 * so that errors are graphql-js's own, as for queries (./jit-executor.ts).
 */
import { execute, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { ExecutionPath } from '../../observability/metrics';
import { compileOperation, variablesOf, type CompiledOperation } from './compiled-operation';

export type EventExecutor = (args: Omit<ExecutionArgs, 'contextValue' | 'rootValue'>, payload: unknown, context: unknown) => Promise<ExecutionResult>;

/** `told`: how each event was executed (tests). */
export function eventExecutor(schema: GraphQLSchema, jit: boolean, told: (how: ExecutionPath) => void = () => undefined): EventExecutor {
  const interpreted = async (args: Omit<ExecutionArgs, 'contextValue' | 'rootValue'>, payload: unknown, context: unknown, how: ExecutionPath) => {
    told(how);
    return (await execute({ ...args, rootValue: payload, contextValue: context })) as ExecutionResult;
  };
  if (!jit) return (args, payload, context) => interpreted(args, payload, context, 'interpreted');
  // by document and operation name: null when graphql-jit cannot compile it
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledOperation | null>>();
  const compiledFor = (document: DocumentNode, operationName: string | null | undefined) => {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    const key = operationName ?? '';
    if (!byName.has(key)) byName.set(key, compileOperation(schema, document, operationName ?? undefined));
    return byName.get(key)!;
  };
  return async (args, payload, context) => {
    const operation = compiledFor(args.document, args.operationName);
    if (!operation) return interpreted(args, payload, context, 'interpreted');
    const result = await operation.query(payload, context, variablesOf(operation, args.variableValues ?? undefined));
    if (result.errors?.length) return interpreted(args, payload, context, 'rerun');
    told('jit');
    return result;
  };
}
