/**
 * The order a connection's frames reach graphql-ws in (src/server/subscriptions/ordered-frames.ts): a
 * subscribe under an id being ended waits for that end, however the client spelled its complete.
 */
import { OrderedFrames, subscribing } from '../src/server/subscriptions/ordered-frames';

function framesOverOperations() {
  const handled: string[] = [];
  const ends = new Map<string, () => void>();
  const frames = new OrderedFrames(
    (text) => {
      handled.push(text);
      const { id, type } = JSON.parse(text) as { id: string; type: string };
      if (type !== 'subscribe') return Promise.resolve();
      subscribing(id); // as graphql-ws's onSubscribe hook does, before its first await
      return new Promise<void>((resolve) => ends.set(id, resolve));
    },
    () => handled.push('too many'),
    (error) => handled.push(`failed: ${String(error)}`),
  );
  return { frames, handled, ends };
}

const subscribe = (id: string) => JSON.stringify({ id, type: 'subscribe', payload: { query: 'subscription { x }' } });

it.each([
  ['plainly', '{"id":"x","type":"complete"}'],
  ['with its letters escaped', '{"id":"x","type":"\\u0063omplete"}'],
  ['with spaces', '{ "id" : "x" , "type" : "complete" }'],
])('a subscribe under an id completed %s waits for the operation to end', async (_how, complete) => {
  const { frames, handled, ends } = framesOverOperations();
  frames.receive(subscribe('x'));
  frames.receive(complete);
  frames.receive(subscribe('x'));
  frames.receive(subscribe('y'));
  // the second subscribe under x, and the frame after it, wait for x's first operation to end
  expect(handled).toEqual([subscribe('x'), complete]);
  ends.get('x')!();
  await new Promise((resolve) => setImmediate(resolve));
  expect(handled).toEqual([subscribe('x'), complete, subscribe('x'), subscribe('y')]);
});
