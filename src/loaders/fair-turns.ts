/**
 * Fair turns for the work that follows database replies. A reply resumes a request, and what runs
 * then (graphql-js completing the fields that were waiting, the response's serialization) runs to its
 * next read without yielding. When many requests are in flight, their replies arrive together, and
 * Node would run all of those continuations in one pass of the event loop, with every other socket
 * (a load balancer's `/healthz`, a new request) waiting behind them. Each reply therefore resumes its
 * request in a turn of its own: one per pass of the event loop, with I/O served in between, so that a
 * probe waits for at most one request's step, however many are in flight.
 */
const waiting: Array<() => void> = [];
let pumping = false;

function pump(): void {
  waiting.shift()?.();
  // queued from within this pass, so it runs in the next one, after the poll phase has served I/O
  if (waiting.length > 0) setImmediate(pump);
  else pumping = false;
}

/** Resolves in a turn of the event loop of its own. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!pumping) {
      pumping = true;
      setImmediate(pump);
    }
  });
}

let shared: Promise<void> | undefined;
let sharing = 0;
/** Most waiters one shared turn resumes: a flood (a reconnect storm's replays) is spread over turns. */
const MOST_SHARING_A_TURN = 200;

/**
 * One turn for everyone who asks before it comes (at most MOST_SHARING_A_TURN): work queued together
 * (the events of a live tick) still runs together, and batches its reads, but after the I/O waiting
 * before it.
 */
export function nextSharedTurn(): Promise<void> {
  if (!shared || sharing >= MOST_SHARING_A_TURN) {
    sharing = 0;
    const turn: Promise<void> = nextTurn().then(() => {
      if (shared === turn) shared = undefined;
    });
    shared = turn;
  }
  sharing += 1;
  return shared;
}
