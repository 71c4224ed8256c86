/**
 * What a watch forgets at the end of a tick while one of its subscriptions is being replayed: the
 * bookkeeping of src/live/watch.ts on its own, with messages as the webapp stores them.
 */
import { ObjectId } from 'mongodb';
import type { MessageDoc } from '../src/data-model/documents';
import { forgetOldMessages, messageSeen, newWatch, type MessageSubscription } from '../src/live/watch';

const at = (seconds: number) => ObjectId.createFromTime(1_700_000_000 + seconds);
const hex = (id: ObjectId) => id.toHexString();

function message(id: ObjectId, text: string, completed: boolean): MessageDoc {
  return { _id: id, teamId: new ObjectId(), sessionId: new ObjectId(), message: { message: { text } }, ...(completed ? { completed: true } : {}) } as MessageDoc;
}

function subscription(since: string, replaying: boolean, cursor?: string): MessageSubscription {
  return { kind: 'messages', caller: { id: 'c', credentials: null, overflow: () => undefined, retryLater: () => undefined }, addedAt: 0, stream: {} as MessageSubscription['stream'], since, sent: new Map(), replaying, cursor };
}

it('keeps for a replay what it lacks below its cursor or holds in an older version, and forgets what its replay reads itself', () => {
  const watch = newWatch(new ObjectId(), 'w');
  const [held, lagging, above, done] = [at(10), at(20), at(40), at(5)];
  const replaying = subscription(hex(at(0)), true, hex(at(30)));
  watch.subscriptions.add(replaying);
  watch.messageSubscriptions = 1;
  // the replay sent `held` streaming, and `done` as it is; the ticks read `held` ended, a lagging
  // message below the cursor, and one above it (the replay's next pages read that one)
  replaying.sent.set(hex(held), messageSeen(message(held, 'half', false)));
  replaying.sent.set(hex(done), messageSeen(message(done, 'done', true)));
  for (const doc of [message(held, 'whole', true), message(lagging, 'late', true), message(above, 'next', true), message(done, 'done', true)]) {
    watch.known.set(hex(doc._id), { doc, seen: messageSeen(doc) });
  }
  forgetOldMessages(watch, hex(at(100)), 20, 0);
  expect([...watch.known.keys()].sort()).toEqual([hex(held), hex(lagging)]);
  // what the replay sent stays remembered until its hand-over
  expect([...replaying.sent.keys()].sort()).toEqual([hex(done), hex(held)]);

  // handed over: forgotten as any other
  replaying.replaying = false;
  replaying.cursor = undefined;
  replaying.sent.set(hex(held), watch.known.get(hex(held))!.seen);
  replaying.sent.set(hex(lagging), watch.known.get(hex(lagging))!.seen);
  forgetOldMessages(watch, hex(at(100)), 20, 0);
  expect([...watch.known.keys()]).toEqual([]);
  expect([...replaying.sent.keys()]).toEqual([]);
});
