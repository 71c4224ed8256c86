/** What `node(id)` and federation references resolve to (no decorators here: the cost check imports it). */
import type { Document } from 'mongodb';
import type { RequestContext } from '../context/request-context';
import { readableInSession, readableSession } from '../policy/readable-sessions';
import { reached } from '../schema/marks';
import type { GlobalId } from './global-id';

/** The node when its session is readable and it belongs to that session (docs/access.md). */
export async function readableNode(ctx: RequestContext, id: GlobalId): Promise<Document | null> {
  const doc = id.collection === 'sessions' ? await readableSession(ctx, id.id) : await readableInSession(ctx, id.sessionId, id.collection, id.id);
  return doc ? reached(doc, id.typeName, id.sessionId) : null;
}
