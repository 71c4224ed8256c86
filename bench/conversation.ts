/**
 * The benchmark's long conversation: `count` messages added to one session, copies of a demo message
 * with their own ids and texts, in one `insertMany` (the embedded database slows on many single writes).
 */
import { ObjectId, type Db, type Document } from 'mongodb';
import type { DemoData } from '../src/seed/generate';

export interface Conversation {
  sessionId: string;
  /** The message cursors of `messages(first: 100)` pages, from the start. */
  pageCursors: string[];
}

export async function addConversation(db: Db, data: DemoData, sessionId: string, count: number): Promise<Conversation> {
  const template = data.collections.chat.find((doc) => String(doc.sessionId) === String(data.fixtures.sessions.teamCrew))!;
  const session = new ObjectId(sessionId);
  const base = Math.floor(Date.now() / 1000);
  const docs: Document[] = Array.from({ length: count }, (_, i) => {
    const _id = ObjectId.createFromTime(base + i);
    const text = `Message ${i} of a long conversation about agents, tools and the tasks they share.`;
    return {
      ...template, _id, sessionId: session, ts: (base + i) * 1000,
      message: { ...template.message, room: sessionId, message: { ...template.message.message, text, tokens: text.length } },
    };
  });
  await db.collection('chat').insertMany(docs);
  const cursor = (id: ObjectId) => Buffer.from(`message:${id.toHexString()}`).toString('base64url');
  const pageCursors = docs.filter((_, i) => i % 100 === 99).map((doc) => cursor(doc._id as ObjectId));
  return { sessionId, pageCursors: ['', ...pageCursors.slice(0, -1)] };
}
