/**
 * The GraphQL operation's span, below its request's: its type and name once resolved, its cost, and
 * the codes of its errors when the response is sent.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestTrace, TraceSpan } from './tracing';

const spans = new WeakMap<object, TraceSpan>();

/** The cost of the operation of `context`'s request, on its span. */
export function traceOperationCost(context: object, cost: number): void {
  spans.get(context)?.setAttributes({ 'graphql.operation.cost': cost });
}

/** `traceOf`: the request's trace its context carries (none when the request is not traced). */
export function operationTracingPlugin<TContext extends object>(traceOf: (context: TContext) => RequestTrace | undefined): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      let span: TraceSpan | undefined;
      return {
        async didResolveOperation({ operation, operationName, contextValue }) {
          const trace = traceOf(contextValue);
          if (!operation || !trace) return;
          span = trace.child(`graphql.${operation.operation}`, { 'graphql.operation.type': operation.operation, ...(operationName ? { 'graphql.operation.name': operationName } : {}) });
          spans.set(contextValue, span);
        },
        async willSendResponse({ response }) {
          if (!span) return;
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = [...new Set(errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))];
          if (codes.length > 0) {
            span.setAttributes({ 'graphql.error.codes': codes });
            span.fail(codes[0]);
          }
          span.end();
        },
      };
    },
  };
}
