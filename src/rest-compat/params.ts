/** The legacy routes' parameters, checked before anything else: a bad one is a 400 whatever the credentials. */
import type { Request } from 'express';
import { ObjectId } from 'mongodb';
import { isObjectIdHex } from '../data-model/object-id';
import { badUserInput } from '../errors/codes';

export interface Params {
  teamId: ObjectId;
  /** Set on the routes of one session. */
  sessionId?: ObjectId;
  /** `?messageId=`: only messages after it. */
  messageId?: ObjectId;
  /** `?before=`: only sessions before it (`null` or absent: from the newest). */
  before?: ObjectId;
}

/** The query parameter a route takes: `messageId` (messages.json) or `before` (sessions.json). */
export type QueryParam = 'messageId' | 'before';

/** The path's ids, and the query parameter the route takes (another route's is ignored, as the webapp ignores it). */
export function routeParams(req: Request, query?: QueryParam): Params {
  return {
    teamId: pathId(req.params.resourceSlug, 'resourceSlug'),
    sessionId: req.params.sessionId === undefined ? undefined : pathId(req.params.sessionId, 'sessionId'),
    messageId: query === 'messageId' ? optionalQueryId(req.query.messageId, 'messageId') : undefined,
    before: query === 'before' && req.query.before !== 'null' ? optionalQueryId(req.query.before, 'before') : undefined,
  };
}

/** An optional id of the query string: absent is undefined; anything but 24 lowercase hex is a 400. */
function optionalQueryId(value: unknown, name: string): ObjectId | undefined {
  if (value === undefined) return undefined;
  return pathId(value as string, name);
}

function pathId(value: string | string[] | undefined, name: string): ObjectId {
  if (!isObjectIdHex(value)) throw badUserInput(`Invalid ${name}: expected 24 lowercase hex characters`);
  return new ObjectId(value);
}
