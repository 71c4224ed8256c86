/**
 * urql: the same hand-over (the query's last `_id` as `after`) with `subscriptionExchange` over a
 * graphql-ws client, and the same resume from the last `_id` received when the socket comes back.
 */
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from '@urql/core';
import type { Client as WsClient } from 'graphql-ws';

export const CONVERSATION = `query Conversation($id: ObjectId!) {
  session(_id: $id) { id messages(first: 100) { nodes { id _id authorName text completed } } }
}`;

export const MESSAGE_ADDED = `subscription MessageAdded($sessionId: ObjectId!, $after: ObjectId) {
  messageAdded(sessionId: $sessionId, after: $after) { id _id authorName text completed }
}`;

/** The cursor of a client that holds no message yet: every message is after it (a conversation that was empty). */
export const NO_MESSAGE = '000000000000000000000000';

export interface Message {
  id: string;
  _id: string;
  authorName: string | null;
  text: string | null;
  completed: boolean;
}

export function urqlClient(url: string, token: string, ws: WsClient): Client {
  return new Client({
    url,
    // urql sends queries as GET when they fit the URL: GETs must show they are not cross-site requests
    fetchOptions: () => ({ headers: { Authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({ subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }) }),
      }),
    ],
  });
}

/** The conversation now, then each message and each new version of one; returns what stops it. */
export async function liveConversation(client: Client, ws: WsClient, sessionId: string, onMessage: (message: Message) => void): Promise<() => void> {
  const first = await client.query<{ session: { messages: { nodes: Message[] } } | null }>(CONVERSATION, { id: sessionId }).toPromise();
  const nodes = first.data?.session?.messages.nodes ?? [];
  nodes.forEach(onMessage);
  let last = nodes.length > 0 ? nodes[nodes.length - 1]._id : null;
  let subscription = { unsubscribe: () => {} };
  const follow = () => {
    subscription.unsubscribe();
    subscription = client.subscription<{ messageAdded: Message }>(MESSAGE_ADDED, { sessionId, after: last ?? NO_MESSAGE }).subscribe((result) => {
      const message = result.data?.messageAdded;
      if (!message) return;
      if (last === null || message._id > last) last = message._id;
      onMessage(message);
    });
  };
  const stopListening = ws.on('connected', (_socket, _payload, wasRetry) => {
    if (wasRetry) follow();
  });
  follow();
  return () => {
    stopListening();
    subscription.unsubscribe();
  };
}
