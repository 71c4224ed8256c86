/**
 * What GraphQL tells the access log and the metrics, which are written when the HTTP response ends
 * (./http-observer.ts):
 * - an Apollo plugin notes each operation's name and outcome under the request's `reads` object (the
 *   app puts the same object into `res.locals.reads`), so the end-of-response hook finds them;
 * - a formatError wrapper counts every error a GraphQL response carries by its final code: it sees the
 *   errors of context creation (a bad token) and of HTTP-level checks too, which no plugin hook gets.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type DocumentNode, type GraphQLFormattedError, type OperationDefinitionNode } from 'graphql';
import type { Request } from 'express';
import type { RequestReads } from '../loaders';
import type { GatewayMetrics, OperationOutcome } from './metrics';

export interface OperationRecord {
  /** As the request named it, or as the document's single operation is named; unchecked. */
  name: string | null | undefined;
  outcome: OperationOutcome;
}

const operationsByRequest = new WeakMap<RequestReads, OperationRecord[]>();

/** The operations a request ran: one, as HTTP batching is refused (src/server/graphql.ts). */
export function operationsOf(reads: RequestReads | undefined): readonly OperationRecord[] {
  return (reads && operationsByRequest.get(reads)) || [];
}

/** Notes each operation's name and outcome when its response is ready. */
export function operationRecorderPlugin<TContext extends { reads: RequestReads }>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, operationName, request, response, document }) {
          const body = response.body;
          const result = body.kind === 'single' ? body.singleResult : body.initialResult;
          // a document that parsed but failed validation has no resolved operation: name its only one
          const name = operationName ?? request.operationName ?? (document ? onlyOperationName(document) : undefined);
          const record: OperationRecord = { name, outcome: outcomeOf(result) };
          const records = operationsByRequest.get(contextValue.reads);
          if (records) records.push(record);
          else operationsByRequest.set(contextValue.reads, [record]);
        },
      };
    },
  };
}

function onlyOperationName(document: DocumentNode): string | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operations.length === 1 ? operations[0].name?.value : undefined;
}

function outcomeOf(result: { data?: unknown; errors?: readonly unknown[] }): OperationOutcome {
  if (!result.errors?.length) return 'success';
  return result.data !== undefined && result.data !== null ? 'partial' : 'error';
}

/**
 * The operation of a request that failed before Apollo parsed it (its context could not be made: a bad
 * token, the database down): the `operationName` it sent, else the name its document starts with.
 */
export function failedOperation(req: Request): OperationRecord {
  const params = typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : (req.query as Record<string, unknown>);
  const name = typeof params?.operationName === 'string' && params.operationName ? params.operationName : leadingOperationName(params?.query);
  return { name, outcome: 'error' };
}

/** `query Name` at the start of a document (after ignored tokens), without parsing the rest. */
// (a comment must end at its line break, so that no input can make the pattern backtrack far)
const LEADING_OPERATION = /^(?:[\s,\uFEFF]|#[^\n\r]*[\n\r])*(?:query|mutation|subscription)[\s,]+([A-Za-z_][A-Za-z0-9_]*)/;

function leadingOperationName(query: unknown): string | undefined {
  return typeof query === 'string' ? LEADING_OPERATION.exec(query.slice(0, 2048))?.[1] : undefined;
}

type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

const ERROR_CODE_PATTERN = /^[A-Z][A-Z0-9_]{0,47}$/;

/** `format`, counting each error it returns in graphql_errors_total by code. */
export function countingFormatError(format: FormatError, metrics: GatewayMetrics | undefined): FormatError {
  if (!metrics) return format;
  return (formatted, error) => {
    const result = format(formatted, error);
    const code = result.extensions?.code;
    metrics.graphqlErrors.inc({ code: typeof code === 'string' && ERROR_CODE_PATTERN.test(code) ? code : 'UNKNOWN' });
    return result;
  };
}
