/** What a reader sees of a stored message (CONTRACT §5): shared by `Message.text` and the live engine's diff. */
import type { MessageDoc } from './documents';

/** Still streaming: pieces are stored, and no overwrite has replaced them. */
export function isStreaming(doc: MessageDoc): boolean {
  return Array.isArray(doc.chunks) && doc.chunks.length > 0 && doc.message?.message?.overwrite !== true;
}

/** The stored text, or, while a reply streams, its pieces joined in the order of their time. */
export function messageText(doc: MessageDoc): string | null {
  if (isStreaming(doc)) {
    return [...doc.chunks!].sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0)).map((piece) => (typeof piece.chunk === 'string' ? piece.chunk : '')).join('');
  }
  const text = doc.message?.message?.text;
  return typeof text === 'string' ? text : null;
}
