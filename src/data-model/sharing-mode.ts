/**
 * The sharing modes, declared once: the stored one applies when it is one of the five, `team` when it
 * is missing or anything else (docs/access.md). The policy decides by this effective mode; GraphQL's
 * `SharingMode` enum is made from the same list and shows it, with the stored value beside it.
 */
export const SHARING_MODES = ['public', 'team', 'restricted', 'whitelist', 'owner'] as const;
export type EffectiveSharingMode = (typeof SHARING_MODES)[number];

/** Modes whose readers are listed in `permissions`, and the mode of the app's creator alone. */
export const LISTED_MODES: readonly EffectiveSharingMode[] = ['restricted', 'whitelist'];
export const OWNER_MODE: EffectiveSharingMode = 'owner';

export function storedSharing(sharingConfig: unknown): { mode?: unknown; permissions?: unknown } {
  return typeof sharingConfig === 'object' && sharingConfig !== null ? sharingConfig : {};
}

export function effectiveSharingMode(sharingConfig: unknown): EffectiveSharingMode {
  const { mode } = storedSharing(sharingConfig);
  return (SHARING_MODES as readonly unknown[]).includes(mode) ? (mode as EffectiveSharingMode) : 'team';
}
