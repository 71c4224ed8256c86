import { Binary } from 'mongodb';

/** Length of every Agentcloud permission bitfield (accounts, org maps, team maps). */
const PERMISSION_BYTES = 255;

/**
 * A 255-byte bitfield, stored as Agentcloud stores it, with the given bits set:
 * bit n lives in byte `n >> 3` under mask `0x80 >> (n & 7)`. No bits gives all zeros.
 */
export function permissionBits(...bits: number[]): Binary {
  const bytes = Buffer.alloc(PERMISSION_BYTES);
  for (const bit of bits) {
    if (!Number.isInteger(bit) || bit < 0 || bit >= PERMISSION_BYTES * 8) {
      throw new RangeError(`permission bit out of range: ${bit}`);
    }
    bytes[bit >> 3] |= 0x80 >> (bit & 7);
  }
  return new Binary(bytes);
}
