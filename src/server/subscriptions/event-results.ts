/**
 * A subscription's results: graphql-js's `subscribe`, but each event's selection is executed in the
 * event's own context (the live engine's tick), not the subscribe's.
 */
import { createSourceEventStream, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { nextSharedTurn } from '../../loaders/fair-turns';
import type { LiveEvent } from '../../live/live-options';
import type { EventExecutor } from '../jit/event-executor';

/** The source stream comes from the field's `subscribe` resolver, as graphql-js would get it. */
export async function subscribeWithEventContexts(args: ExecutionArgs, executeEvent: EventExecutor): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in Object(source))) return source as ExecutionResult;
  // not the subscribe's context: held as long as the subscription lives, it would keep its loaders
  const { contextValue: _subscribeContext, ...eventArgs } = args;
  return new EventResults(source as AsyncIterableIterator<LiveEvent<unknown>>, eventArgs, executeEvent);
}

const DONE: IteratorResult<ExecutionResult> = { value: undefined, done: true };

/**
 * Each event of the engine executed in its own context. An iterator whose methods are on its
 * prototype and whose `next` suspends no frame while it waits: tens of thousands of them wait at once.
 * Not an async generator, whose `return()` would wait for the pending event.
 */
class EventResults implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly events: AsyncIterableIterator<LiveEvent<unknown>>,
    private readonly eventArgs: Omit<ExecutionArgs, 'contextValue'>,
    private readonly executeEvent: EventExecutor,
  ) {}

  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.events.next().then((event) => (event.done ? DONE : this.execute(event.value)));
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.events.return?.();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.events.return?.();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Its subscription is over: the engine's stream has ended. */
  get done(): boolean {
    return (this.events as { done?: boolean }).done === true;
  }

  private async execute(event: LiveEvent<unknown>): Promise<IteratorResult<ExecutionResult>> {
    const { context } = event;
    // after the I/O waiting (a probe, a request), and together with the other events of its tick
    await nextSharedTurn();
    const result = await this.executeEvent(this.eventArgs, event.payload, context);
    // past the document budget an event is that error alone, as a request is: no partial data
    if (result.errors && context.reads.exceeded) return { value: { errors: [context.reads.exceeded] }, done: false };
    return { value: result, done: false };
  }
}
