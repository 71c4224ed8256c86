/** The Apollo Server over the type-graphql schema. */
import { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { ideLandingPagePlugin, type IdeOptions } from '../ide';
import type { Logger } from '../observability/logger';
import { errorReportingPlugin, formatGraphQLError } from './graphql-errors';
import { applicationJsonStatusPlugin } from './json-status-plugin';
import type { RequestContext } from './request-context';

export interface GraphQLServerOptions {
  schema: GraphQLSchema;
  logger: Logger;
  introspection: boolean;
  /** What the GraphQL IDE (GET /graphql from a browser) starts with. */
  ide?: IdeOptions;
}

export function createGraphQLServer(options: GraphQLServerOptions): ApolloServer<RequestContext> {
  return new ApolloServer<RequestContext>({
    schema: options.schema,
    introspection: options.introspection,
    includeStacktraceInErrorResponses: false,
    // Kept on: GETs and simple POSTs must show they are not cross-site form posts.
    csrfPrevention: true,
    // The process owns shutdown (main.ts): Apollo's own signal handlers would race it.
    stopOnTerminationSignals: false,
    formatError: formatGraphQLError,
    logger: apolloLogger(options.logger),
    plugins: [
      errorReportingPlugin(options.logger),
      applicationJsonStatusPlugin<RequestContext>(),
      // GET /graphql from a browser: our own GraphiQL, served from this gateway (no CDN).
      ideLandingPagePlugin({ ...options.ide, endpoint: '/graphql', introspection: options.introspection }),
    ],
  });
}

function apolloLogger(logger: Logger) {
  return {
    debug: (message: string) => logger.debug(message),
    info: (message: string) => logger.info(message),
    warn: (message: string) => logger.warn(message),
    error: (message: string) => logger.error(message),
  };
}
