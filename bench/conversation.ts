/**
 * The benchmark's long conversation: the generated session with `conversation` messages (the seed
 * generator's; BENCH_MESSAGES), and the cursors of its `messages(first: 100)` pages.
 */
import type { ObjectId } from 'mongodb';
import type { DemoData } from '../src/seed/generate';

export interface Conversation {
  sessionId: string;
  /** The message cursors of `messages(first: 100)` pages, from the start. */
  pageCursors: string[];
}

export function conversationOf(data: DemoData): Conversation {
  const session = data.fixtures.longConversation;
  if (!session) throw new Error('the benchmark needs a generated session (BENCH_SCALE ≥ 1)');
  const ids = data.collections.chat.filter((doc) => String(doc.sessionId) === String(session)).map((doc) => doc._id as ObjectId);
  const cursor = (id: ObjectId) => Buffer.from(`message:${id.toHexString()}`).toString('base64url');
  const pageCursors = ids.filter((_, i) => i % 100 === 99).map(cursor);
  return { sessionId: session.toHexString(), pageCursors: ['', ...pageCursors.slice(0, -1)] };
}
