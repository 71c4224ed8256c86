/**
 * Queries executed by graphql-jit (compiled once per document and operation), plugged into Apollo
 * Server as a gateway executor: Apollo still parses, validates, runs every plugin and formats errors;
 * only execution changes. graphql-js remains the reference:
 * - a document is compiled the second time it is seen (`compileAfter`: a one-off query is cheaper
 *   interpreted, and a stream of unique documents cannot make the gateway compile each one);
 * - what jit cannot compile, and operations other than queries, run on graphql-js;
 * - an answer with any error is computed again by graphql-js, so that errors, their paths and
 *   extensions are exactly graphql-js's (the request's loaders answer the second run from their cache).
 */
import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { execute, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { BoundedMap } from '../../bounded-map';
import type { ExecutionPath } from '../../observability/metrics';
import { compileOperation, variablesOf, type CompiledOperation } from './compiled-operation';

type GatewayInterface = ApolloServerOptionsWithGateway<object>['gateway'];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;

export interface JitOptions {
  /** Compiled operations kept (least recently used evicted). */
  maxCompiled: number;
  /** Documents remembered as seen, waiting to be compiled. */
  maxSeen: number;
  /** Times a document runs on graphql-js before it is compiled (0: at once, as the tests run). */
  compileAfter: number;
  /** Told how each operation was executed (metrics). */
  onExecute?(how: ExecutionPath): void;
}

const DEFAULT_JIT_OPTIONS: JitOptions = { maxCompiled: 500, maxSeen: 2000, compileAfter: 1 };

/** An LRU of compiled operations; `null` marks one jit cannot compile. */
class CompiledOperations {
  private readonly compiled: BoundedMap<string, CompiledOperation | null>;
  private readonly seen: BoundedMap<string, number>;

  constructor(private readonly schema: GraphQLSchema, private readonly options: JitOptions) {
    this.compiled = new BoundedMap(options.maxCompiled);
    this.seen = new BoundedMap(options.maxSeen);
  }

  /** The compiled operation, or undefined: run it on graphql-js this time. */
  get(key: string, document: DocumentNode, operationName: string | undefined): CompiledOperation | null | undefined {
    const found = this.compiled.get(key);
    if (found !== undefined) {
      this.compiled.delete(key);
      this.compiled.set(key, found);
      return found;
    }
    const sightings = this.seen.get(key) ?? 0;
    if (sightings < this.options.compileAfter) {
      this.seen.set(key, sightings + 1);
      return undefined;
    }
    this.seen.delete(key);
    const made = compileOperation(this.schema, document, operationName);
    this.compiled.set(key, made);
    return made;
  }

}

function jitExecutor(schema: GraphQLSchema, options: Partial<JitOptions> = {}): GatewayExecutor {
  const operations = new CompiledOperations(schema, { ...DEFAULT_JIT_OPTIONS, ...options });
  const told = options.onExecute ?? (() => undefined);
  return async (request) => {
    const { document, context } = request;
    // what the client asked for: the top-level operationName is the resolved operation's (null when none resolved)
    const { operationName, variables } = request.request;
    const reference = (how: ExecutionPath) => {
      told(how);
      return execute({ schema, document, contextValue: context, variableValues: variables, operationName }) as Promise<ExecutionResult>;
    };
    // no operation chosen (graphql-js answers why), a mutation or a subscription
    if (request.operation?.operation !== 'query') return reference('interpreted');
    const compiled = operations.get(`${operationName ?? ''}\u0000${request.source}`, document, operationName ?? undefined);
    if (!compiled) return reference('interpreted');
    const result = await compiled.query(undefined, context, variablesOf(compiled, variables));
    if (result.errors?.length) return reference('rerun');
    told('jit');
    return result;
  };
}

/** Apollo's gateway interface over a fixed schema, so that its executor can be ours. */
export function jitGateway(schema: GraphQLSchema, options?: Partial<JitOptions>): GatewayInterface {
  const executor = jitExecutor(schema, options);
  return {
    load: async () => ({ schema, executor }),
    onSchemaLoadOrUpdate: (callback) => {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    stop: async () => undefined,
  };
}
