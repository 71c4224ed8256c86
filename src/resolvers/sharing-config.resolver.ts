import { FieldResolver, Resolver, Root } from 'type-graphql';
import { Binary } from 'mongodb';
import { effectiveSharingMode, storedSharing } from '../policy/sharing-mode';
import { SharingMode } from '../schema/enums';
import { Icon, SharingConfig, SharingPermission } from '../schema/types/common';

@Resolver(() => SharingConfig)
export class SharingConfigResolver {
  @FieldResolver(() => SharingMode)
  mode(@Root() config: unknown): SharingMode {
    return effectiveSharingMode(config) as SharingMode;
  }

  @FieldResolver(() => String, { nullable: true })
  storedMode(@Root() config: unknown): string | null {
    const { mode } = storedSharing(config);
    return typeof mode === 'string' ? mode : null;
  }

  @FieldResolver(() => [SharingPermission])
  permissions(@Root() config: unknown): SharingPermission[] {
    const stored = storedSharing(config).permissions;
    if (stored === null || typeof stored !== 'object') return [];
    return Object.entries(stored).map(([granteeId, value]) => ({ granteeId, value: permissionText(value) }));
  }
}

function permissionText(value: unknown): string | null {
  if (value == null) return null;
  if (value instanceof Binary) return value.toString('base64');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

@Resolver(() => Icon)
export class IconResolver {
  @FieldResolver(() => String, { nullable: true })
  assetId(@Root() icon: { id?: unknown }): string | null {
    return icon.id == null ? null : String(icon.id);
  }
}
