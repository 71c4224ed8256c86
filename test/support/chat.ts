/** Conversation messages (the `chat` collection) as the webapp writes them, for the live tests' writers. */
import { ObjectId, type Document } from 'mongodb';
import type { DemoData } from '../../src/seed/generate';

/**
 * A message of an Acme Main session: whole and completed, or streaming (its pieces, not completed
 * unless `completed` says so). `id` fixes its `_id` (an old one, say).
 */
export function chatMessage(fixtures: DemoData['fixtures'], sessionId: ObjectId, text: string, shape: { streaming?: string[]; completed?: boolean; id?: ObjectId } = {}): Document {
  const _id = shape.id ?? new ObjectId();
  const room = sessionId.toHexString();
  return {
    _id, orgId: fixtures.orgs.acme, teamId: fixtures.teams.acmeMain, sessionId, authorId: null, authorName: 'Writer', ts: Date.now(), isFeedback: false, chunkId: `c-${_id.toHexString()}`,
    message: { room, event: 'message', incoming: false, message: { text: shape.streaming ? '' : text, type: 'text', displayType: 'bubble', overwrite: false } },
    ...(shape.streaming ? { chunks: shape.streaming.map((chunk, i) => ({ ts: i + 1, chunk, tokens: 1 })) } : {}),
    ...((shape.completed ?? !shape.streaming) ? { completed: true } : {}),
  };
}

/** The pieces of a streaming reply, stored whole (the test database has no $push). */
export function chunksOf(pieces: string[]): Array<{ ts: number; chunk: string; tokens: number }> {
  return pieces.map((chunk, i) => ({ ts: i + 1, chunk, tokens: 1 }));
}
