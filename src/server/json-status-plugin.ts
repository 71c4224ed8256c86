/**
 * GraphQL over HTTP, legacy `application/json` responses: a request error (the document does not parse
 * or validate, no operation can be chosen, variables do not coerce) SHOULD be answered with 200 when
 * the client asked for `application/json` by name; Apollo answers 400 whatever was asked. Clients that
 * accept `application/graphql-response+json`, `*` or nothing keep the 400, as the spec prefers.
 *
 * Only request errors: a refusal made once execution has started (a runtime budget) keeps its 400
 * whatever was asked, so this plugin notes when execution starts and leaves those answers alone.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import Negotiator from 'negotiator';

const MEDIA_TYPES = ['application/json', 'application/graphql-response+json'];

/** Whether a request error is answered 200 for this `Accept`: `application/json` asked for by name and chosen. */
export function requestErrorsAre200(accept: string | undefined): boolean {
  if (!accept) return false;
  const negotiator = new Negotiator({ headers: { accept } });
  return negotiator.mediaType(MEDIA_TYPES) === 'application/json' && negotiator.mediaTypes().some((type) => type.toLowerCase() === 'application/json');
}

export function applicationJsonStatusPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ request }) {
      if (!requestErrorsAre200(request.http?.headers.get('accept'))) return;
      let executed = false;
      return {
        // without a chosen operation graphql-js refuses before running anything: still a request error
        async executionDidStart({ operation }) {
          executed = operation !== undefined;
        },
        async willSendResponse({ response }) {
          const body = response.body;
          if (!executed && response.http.status === 400 && body.kind === 'single' && body.singleResult.data === undefined) {
            response.http.status = 200;
          }
        },
      };
    },
  };
}
