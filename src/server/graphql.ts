/** The Apollo Server over the type-graphql schema. */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import { ideLandingPagePlugin, type IdeOptions } from '../ide';
import { countingFormatError, operationRecorderPlugin } from '../observability/graphql-metrics';
import type { Logger } from '../observability/logger';
import type { GatewayMetrics } from '../observability/metrics';
import { errorReportingPlugin, formatGraphQLError } from './graphql-errors';
import { applicationJsonStatusPlugin } from './json-status-plugin';
import type { QueryLimits } from '../config/query-limits';
import { queryLimitOptions } from './limits';
import type { CostSpender } from './limits/cost';
import type { Tracing } from '../observability/tracing';
import { operationTracingPlugin, traceOperationCost } from '../observability/graphql-tracing';
import type { RequestContext } from '../context/request-context';
import { documentBudgetPlugin } from './request-budget';
import { jitGateway, type JitOptions } from './jit/jit-executor';

export interface GraphQLServerOptions {
  schema: GraphQLSchema;
  logger: Logger;
  introspection: boolean;
  /** What the GraphQL IDE (GET /graphql from a browser) starts with. */
  ide?: IdeOptions;
  /** Depth, cost, aliases, directives and tokens (./limits). */
  limits: QueryLimits;
  /** Where errors are counted by code (graphql_errors_total); none when metrics are off. */
  metrics?: GatewayMetrics;
  /** Federation inline traces (`ftv1`) when a router asks; off unless GRAPHQL_FEDERATION_TRACES. */
  federationTraces?: boolean;
  /** The operation's span (OpenTelemetry), when tracing is on. */
  tracing?: Tracing;
  /** Told of each operation's cost, and may refuse it (the cost quota). */
  spendCost?: CostSpender<RequestContext>;
  /** Queries executed by graphql-jit (./jit), with these options; graphql-js when false. */
  jit?: boolean | Partial<JitOptions>;
}

export function createGraphQLServer(options: GraphQLServerOptions): ApolloServer<RequestContext> {
  // the operation's span holds its cost, refused for it or not
  const limits = queryLimitOptions<RequestContext>(options.limits, options.spendCost, options.tracing && ((cost, ctx) => traceOperationCost(ctx, cost)));
  // inline traces time each resolver through Apollo's schema instrumentation: kept on graphql-js
  const jit = options.jit !== false && !options.federationTraces;
  return new ApolloServer<RequestContext>({
    ...(jit
      ? { gateway: jitGateway(options.schema, { onExecute: options.metrics?.observeExecution, ...(typeof options.jit === 'object' ? options.jit : {}) }) }
      : { schema: options.schema }),
    introspection: options.introspection,
    includeStacktraceInErrorResponses: false,
    // Kept on: GETs and simple POSTs must show they are not cross-site form posts.
    csrfPrevention: true,
    // The process owns shutdown (main.ts): Apollo's own signal handlers would race it.
    stopOnTerminationSignals: false,
    // One operation per request: a JSON array body is a 400 BAD_USER_INPUT ("Operation batching disabled.").
    allowBatchedHttpRequests: false,
    parseOptions: limits.parseOptions,
    validationRules: limits.validationRules,
    validationOptions: limits.validationOptions,
    formatError: countingFormatError(formatGraphQLError, options.metrics),
    logger: apolloLogger(options.logger),
    plugins: [
      // first: the operation's span exists before the cost plugin reports the cost on it
      ...(options.tracing ? [operationTracingPlugin<RequestContext>((context) => context.trace)] : []),
      ...limits.plugins,
      // a request past its document budget is answered with that error alone (./request-budget.ts)
      documentBudgetPlugin(),
      // Apollo's cache-control plugin is on by default and wraps every resolver to collect cache hints;
      // this gateway sets none (its answers are per caller), so it is only cost
      ApolloServerPluginCacheControlDisabled(),
      // Apollo installs inline tracing for subgraph schemas by itself: resolver timings for anyone who asks
      ...(options.federationTraces ? [] : [ApolloServerPluginInlineTraceDisabled()]),
      errorReportingPlugin(options.logger),
      // each operation's name and outcome, for the access log and the metrics (src/observability)
      operationRecorderPlugin<RequestContext>(),
      applicationJsonStatusPlugin<RequestContext>(),
      // GET /graphql from a browser: our own GraphiQL, served from this gateway (no CDN).
      ideLandingPagePlugin({ ...options.ide, endpoint: '/graphql', introspection: options.introspection }),
    ],
  });
}

/** Apollo's line for an error out of its pipeline prints the error, a GraphQL error with the query's text. */
const UNEXPECTED = 'Unexpected error processing request: ';

function apolloLogger(logger: Logger) {
  return {
    debug: (message: string) => logger.debug(message),
    info: (message: string) => logger.info(message),
    warn: (message: string) => logger.warn(message),
    // that error is logged, without the query, under its request id (errorReportingPlugin)
    error: (message: string) => (message.startsWith(UNEXPECTED) ? undefined : logger.error(message)),
  };
}
