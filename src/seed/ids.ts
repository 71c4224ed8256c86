import { ObjectId } from 'mongodb';

/** Hands out a new ObjectId on every call. */
export type IdFactory = () => ObjectId;

const MAX_SECONDS = 0xffffffff;

/**
 * A deterministic ObjectId source: the n-th id (counting from 0) has the 4-byte timestamp
 * `startSeconds + n` and the 8-byte big-endian counter `n`, so an id made later always sorts greater
 * (and its `getTimestamp()` is later) than every id made before it by the same factory.
 */
export function createIdFactory(startSeconds: number): IdFactory {
  if (!Number.isInteger(startSeconds) || startSeconds < 0 || startSeconds > MAX_SECONDS) {
    throw new RangeError(`startSeconds must be an integer in [0, ${MAX_SECONDS}], got ${startSeconds}`);
  }
  let count = 0;
  return () => {
    const seconds = startSeconds + count;
    if (seconds > MAX_SECONDS) {
      throw new RangeError('ObjectId timestamp overflow: too many ids for this start time');
    }
    const bytes = Buffer.alloc(12);
    bytes.writeUInt32BE(seconds, 0);
    bytes.writeBigUInt64BE(BigInt(count), 4);
    count += 1;
    return new ObjectId(bytes);
  };
}
