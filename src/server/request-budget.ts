/**
 * The runtime budget of a request, which holds whatever the static cost said (docs/limits.md): at most
 * MAX_DOCUMENTS_PER_REQUEST documents read (counted by the loaders, src/loaders/request-reads.ts) and
 * MAX_RESPONSE_BYTES of response. Past either, the answer is 400 QUERY_TOO_COMPLEX naming the budget,
 * with no partial data.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Request, Response } from 'express';
import { errorOnly } from './refusal-response';
import type { RequestContext } from '../context/request-context';
import { responseTooLarge } from '../errors/budgets';
import { ErrorCode } from '../errors/codes';
import type { RequestReads } from '../loaders';
import { failedOperation, operationsOf } from '../observability/graphql-metrics';

/** A request that went past its document budget is answered with that error alone, and 400. */
export function documentBudgetPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const exceeded = contextValue.reads?.exceeded;
          if (!exceeded) return;
          response.body = { kind: 'single', singleResult: errorOnly(exceeded) };
          response.http.status = 400;
        },
      };
    },
  };
}

/**
 * An answer over the byte budget, refused: the status and the accounting set, the body to send instead
 * (Apollo hands over the whole body as one string, so measuring it costs no second serialization).
 */
export function overBudget(req: Request, res: Response, maxBytes: number): string {
  // counted and logged as what it now is: a failed operation, with this error alone
  const recorded = operationsOf(res.locals.reads as RequestReads | undefined);
  res.locals.graphqlOperations = recorded.length > 0 ? recorded.map((operation) => ({ ...operation, outcome: 'error' })) : [failedOperation(req)];
  res.locals.refusedCode = ErrorCode.QUERY_TOO_COMPLEX;
  res.status(400);
  return JSON.stringify(errorOnly(responseTooLarge(maxBytes)));
}
