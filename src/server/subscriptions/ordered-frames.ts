/** The order in which ./ws-transport.ts hands a connection's frames to graphql-ws. */
import { MessageType } from 'graphql-ws';

/** What a connection may send while one of its ids is being ended (frames, and their characters); past it, the connection is closed. */
const MOST_HELD_FRAMES = 1_000;
const MOST_HELD_CHARACTERS = 2 ** 20;

/** The `id` and `type` of a client's frame, when it has an id. */
function frameOf(text: string): { id: string; type: unknown } | undefined {
  try {
    const { id, type } = JSON.parse(text) as { id?: unknown; type?: unknown };
    return typeof id === 'string' ? { id, type } : undefined;
  } catch {
    return undefined; // graphql-ws refuses it
  }
}

/** The id of the subscribe graphql-ws is handling, told synchronously from within its handling (`subscribing`). */
let subscribingNow: string | undefined;

/** Called by graphql-ws's onSubscribe hook, before its first await: the subscribe being handled is `id`'s. */
export function subscribing(id: string): void {
  subscribingNow = id;
}

/**
 * A connection's frames, handed to graphql-ws in order. The protocol lets a client subscribe again under
 * an id as soon as it has completed it (or been told it is complete), but graphql-ws ends an operation
 * later, and at its end forgets the id: a new subscription under it meanwhile would be forgotten with
 * it. So while an operation is ending, a frame under its id waits for that end, and the frames after it
 * wait with it. Not awaited otherwise: a subscribe's handling lasts as long as its subscription.
 */
export class OrderedFrames {
  /** The handling of each subscribe, by id, until it is ending (`ended`). */
  private readonly operations = new Map<string, Promise<void>>();
  /** The handling of those ending, until it returns. */
  private readonly ending = new Map<string, Promise<void>>();
  private held: string[] | undefined;
  private heldCharacters = 0;
  private closed = false;

  constructor(
    private readonly handle: (text: string) => Promise<void>,
    private readonly tooMany: () => void,
    private readonly failed: (error: unknown) => void,
  ) {}

  receive(text: string): void {
    if (this.closed) return;
    if (this.held) {
      this.heldCharacters += text.length;
      if (this.held.length >= MOST_HELD_FRAMES || this.heldCharacters > MOST_HELD_CHARACTERS) {
        this.close();
        this.tooMany();
        return;
      }
      this.held.push(text);
      return;
    }
    // a complete is small and rare, a subscribe read again only while an id is being ended; a `\u`
    // escape can spell "complete" too
    const frame = text.includes('"complete"') || text.includes('\\u') || this.ending.size > 0 ? frameOf(text) : undefined;
    const ends = frame && this.ending.get(frame.id);
    if (ends) {
      this.held = [text];
      this.heldCharacters = text.length;
      void ends.then(() => this.release());
      return;
    }
    if (frame?.type === MessageType.Complete) this.ended(frame.id);
    this.run(text);
  }

  /** The connection has closed: frames still held are dropped (its operations end with it). */
  close(): void {
    this.closed = true;
    this.held = undefined;
  }

  /**
   * The operation of `id` is ending: the client completed it, or graphql-ws is ending it (its complete or
   * error hook), which it finishes only once that frame is written. Until its handling returns, a
   * subscribe under the id waits, and so does a complete (it would end the next one).
   */
  ended(id: string): void {
    const operation = this.operations.get(id);
    if (!operation || this.closed) return; // closed: no frame of it will come
    this.operations.delete(id);
    this.ending.set(id, operation);
    void operation.then(() => this.ending.get(id) === operation && this.ending.delete(id));
  }

  private run(text: string): void {
    subscribingNow = undefined;
    const handling = this.handle(text).catch(this.failed);
    const id = subscribingNow;
    subscribingNow = undefined;
    if (id !== undefined) this.operations.set(id, handling);
  }

  private release(): void {
    const frames = this.held;
    if (!frames) return; // closed meanwhile
    this.held = undefined;
    this.heldCharacters = 0;
    for (let i = 0; i < frames.length; i++) {
      this.receive(frames[i]);
      // held again behind another id being ended: the rest wait behind it, in order
      if (this.held) {
        const rest = frames.slice(i + 1);
        for (const frame of rest) this.heldCharacters += frame.length;
        (this.held as string[]).push(...rest);
        return;
      }
    }
  }
}
