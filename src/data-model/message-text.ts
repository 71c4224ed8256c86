/** What a reader sees of a stored message (docs/api-reference.md, Message): shared by `Message` and the live engine. */
import { ErrorCode, GatewayError } from '../errors/codes';
import type { MessageDoc } from './documents';
import { kindOf } from './value-kind';

/** Still streaming: pieces are stored, and no overwrite has replaced them. */
export function isStreaming(doc: MessageDoc): boolean {
  return Array.isArray(doc.chunks) && doc.chunks.length > 0 && doc.message?.message?.overwrite !== true;
}

/**
 * Where a message records when it last changed, in epoch ms, as the webapp writes them: each streamed
 * piece's `ts`, and the socket payload's `ts`, set again with the payload at each write.
 */
export const CHANGE_TIME_PATHS = ['chunks.ts', 'message.ts'] as const;

/** Whether the message changed at or after `ms` (epoch ms): a piece, or the payload, written since. */
export function changedSince(doc: MessageDoc, ms: number): boolean {
  const payloadTs: unknown = doc.message?.ts;
  if (typeof payloadTs === 'number' && payloadTs >= ms) return true;
  return Array.isArray(doc.chunks) && doc.chunks.some((piece) => typeof piece?.ts === 'number' && piece.ts >= ms);
}

/** The stored flag (`completed`, or `message.completed`); a message that stores neither is not completed. */
export function isCompleted(doc: MessageDoc): boolean {
  return doc.completed === true || doc.message?.completed === true;
}

/**
 * The stored text, or, while a reply streams, its pieces joined in the order of their time. A text or
 * piece stored as something other than a string cannot be shown: INVALID_STORED_DATA, at the field.
 */
export function messageText(doc: MessageDoc): string | null {
  if (isStreaming(doc)) {
    for (const piece of doc.chunks!) if (piece === null || typeof piece !== 'object') notText(piece, 'a piece of the message', 'a document');
    const pieces = [...doc.chunks!].sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
    return pieces.map((piece) => (piece.chunk == null ? '' : asText(piece.chunk, 'a piece of the message'))).join('');
  }
  const text: unknown = doc.message?.message?.text;
  return text == null ? null : asText(text, 'the message’s text');
}

/** What the live engine compares between ticks: the text as a reader sees it, an unshowable one as null. */
export function seenText(doc: MessageDoc): string | null {
  try {
    return messageText(doc);
  } catch {
    return null;
  }
}

function asText(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  return notText(value, what);
}

function notText(value: unknown, what: string, expected = 'a string'): never {
  const kind = kindOf(value);
  const shown = kind === 'null' ? kind : `${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind}`;
  throw new GatewayError(ErrorCode.INVALID_STORED_DATA, `Stored value not shown: ${what} is stored as ${shown}, not ${expected}`);
}
