/**
 * A session's conversation, live, over a plain graphql-ws client: the messages as they come, each
 * version of a message replacing the one before (merge by `_id`), resumed from the last `_id` held
 * whenever the socket comes back. graphql-ws reconnects by itself and would resubscribe with the
 * first `after`; resubscribing from the last one replays only what was missed.
 */
import type { Client } from 'graphql-ws';

export const MESSAGE_ADDED = `subscription MessageAdded($sessionId: ObjectId!, $after: ObjectId) {
  messageAdded(sessionId: $sessionId, after: $after) { id _id authorName text completed }
}`;

/** The cursor of a client that holds no message yet: every message is after it (a conversation that was empty). */
export const NO_MESSAGE = '000000000000000000000000';

export interface LiveMessage {
  id: string;
  _id: string;
  authorName: string | null;
  text: string | null;
  completed: boolean;
}

/** Calls `onMessage` with each message and each new version of one; returns what stops it. */
export function followConversation(client: Client, sessionId: string, after: string | null, onMessage: (message: LiveMessage) => void): () => void {
  let last = after; // the greatest `_id` received: where a resume starts
  let stopped = false;
  let unsubscribe = () => {};
  const subscribe = () => {
    unsubscribe = client.subscribe<{ messageAdded: LiveMessage }>(
      { query: MESSAGE_ADDED, variables: { sessionId, after: last ?? NO_MESSAGE } },
      {
        next: ({ data }) => {
          if (!data) return;
          const message = data.messageAdded;
          if (last === null || message._id > last) last = message._id;
          onMessage(message);
        },
        error: () => undefined, // the socket failed for good (retries exhausted): the client reports it
        complete: () => undefined, // the session was deleted, or the caller lost access to it
      },
    );
  };
  const stopListening = client.on('connected', (_socket, _payload, wasRetry) => {
    if (!wasRetry || stopped) return;
    unsubscribe();
    subscribe();
  });
  subscribe();
  return () => {
    stopped = true;
    stopListening();
    unsubscribe();
  };
}
