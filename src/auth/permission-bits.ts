/**
 * Agentcloud's permission bitfields: 255-byte Binary values, bit n at byte n >> 3, mask 0x80 >> (n & 7).
 */
import { Binary } from 'mongodb';

/** The permission bits the gateway looks at (docs/data-layer.md). */
export const Permission = {
  /** In `accounts.permissions`. */
  ROOT: 0,
  /** In `orgs.permissions[accountIdHex]`. */
  ORG_ADMIN: 24,
  /** In `teams.permissions[accountIdHex]`. */
  TEAM_ADMIN: 39,
} as const;

export function hasBit(bits: unknown, bit: number): boolean {
  const bytes = toBytes(bits);
  if (!bytes) return false;
  const byte = bit >> 3;
  return byte < bytes.length && (bytes[byte] & (0x80 >> (bit & 7))) !== 0;
}

function toBytes(bits: unknown): Uint8Array | null {
  if (bits instanceof Binary) return bits.buffer.subarray(0, bits.position);
  if (bits instanceof Uint8Array) return bits;
  return null;
}
