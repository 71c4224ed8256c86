import { FieldResolver, Resolver, Root } from 'type-graphql';
import { Binary } from 'mongodb';
import type { SharingConfig as StoredSharingConfig } from '../data-model/documents';
import { PermissionEntry, SharingConfig } from '../schema/types/common';

@Resolver(() => SharingConfig)
export class SharingConfigResolver {
  @FieldResolver(() => [PermissionEntry], { description: 'Presence of an id means it may read.' })
  permissions(@Root() config: StoredSharingConfig): PermissionEntry[] {
    const stored = config.permissions;
    if (stored === null || typeof stored !== 'object') return [];
    return Object.entries(stored).map(([id, value]) => ({ id, value: permissionText(value) }));
  }
}

function permissionText(value: unknown): string | null {
  if (value == null) return null;
  if (value instanceof Binary) return value.toString('base64');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
