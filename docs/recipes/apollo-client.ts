/**
 * Apollo Client: the conversation from a query, then live through `subscribeToMore`, starting `after`
 * the query's last message, so that nothing written between the two is lost; on a reconnect, the
 * subscription starts again from the last message in the cache. Messages are normalized by `id`, and
 * the list is merged by `_id`, so a replayed version replaces the one before.
 */
import type * as ApolloCore from '@apollo/client/core' with { 'resolution-mode': 'import' };
import type { Client } from 'graphql-ws';

export interface ConversationData {
  session: { id: string; messages: { nodes: Array<{ __typename?: 'Message'; id: string; _id: string; authorName: string | null; text: string | null; completed: boolean }> } } | null;
}

export const CONVERSATION = `query Conversation($id: ObjectId!) {
  session(_id: $id) { id messages(first: 100) { nodes { id _id authorName text completed } } }
}`;

export const MESSAGE_ADDED = `subscription MessageAdded($sessionId: ObjectId!, $after: ObjectId) {
  messageAdded(sessionId: $sessionId, after: $after) { id _id authorName text completed }
}`;

/** The cursor of a client that holds no message yet: every message is after it (a conversation that was empty). */
export const NO_MESSAGE = '000000000000000000000000';

type Message = NonNullable<ConversationData['session']>['messages']['nodes'][number];

/** The query's list with one message added or replaced, in `_id` order. */
export function mergeMessage(previous: ConversationData, message: Message): ConversationData {
  if (!previous.session) return previous;
  const nodes = previous.session.messages.nodes.filter((node) => node._id !== message._id);
  nodes.push(message);
  nodes.sort((a, b) => (a._id < b._id ? -1 : 1));
  return { session: { ...previous.session, messages: { ...previous.session.messages, nodes } } };
}

/** Watches the conversation and keeps it live; returns the observable query and what stops it. */
export function liveConversation(apollo: ApolloCore.ApolloClient<unknown>, gql: typeof ApolloCore.gql, ws: Client, sessionId: string) {
  const query = apollo.watchQuery<ConversationData>({ query: gql(CONVERSATION), variables: { id: sessionId } });
  let stopFollowing = () => {};
  const follow = () => {
    stopFollowing();
    const nodes = query.getCurrentResult().data?.session?.messages.nodes ?? [];
    const after = nodes.length > 0 ? nodes[nodes.length - 1]._id : NO_MESSAGE;
    stopFollowing = query.subscribeToMore<{ messageAdded: Message }>({
      document: gql(MESSAGE_ADDED),
      variables: { sessionId, after },
      updateQuery: (previous, { subscriptionData }) => mergeMessage(previous, subscriptionData.data.messageAdded),
    });
  };
  // observed, as a component's `useQuery` observes it (an unobserved query drops what subscribeToMore brings)
  const watching = query.subscribe({ error: () => undefined });
  // the first subscription once the query has its data; again from the cache's last message after a reconnect
  const started = query.result().then(follow);
  const stopListening = ws.on('connected', (_socket, _payload, wasRetry) => {
    if (wasRetry) follow();
  });
  return {
    query,
    started,
    stop: () => {
      stopListening();
      stopFollowing();
      watching.unsubscribe();
    },
  };
}
