import { FieldResolver, ID, Resolver, Root } from 'type-graphql';
import { SESSION_TYPE_NAME, nodeTypeName } from '../data-model/collections';
import type { AppDoc, SessionDoc } from '../data-model/documents';
import { viaOf } from '../schema/marks';
import { App } from '../schema/types/app';
import { Session } from '../schema/types/session';
import { encodeGlobalId } from './global-id';
import { Binary } from 'mongodb';
import { isStoredDocument, kindOf } from '../data-model/value-kind';
import { ErrorCode, GatewayError } from '../errors/codes';
import { effectiveSharingMode, storedSharing } from '../data-model/sharing-mode';
import { SharingMode } from '../schema/enums';
import { SharingConfig, SharingPermission } from '../schema/types/common';

const OWNER = Symbol('the global id of the document a sharing config belongs to');

/**
 * The stored sharing config of a document, as GraphQL shows it: with its owner, for its `id`. Stored
 * as anything but a document (text, a list), it is not shown (the policy reads it as no config).
 */
function sharingOf(stored: unknown, owner: string): object {
  if (stored !== null && !isStoredDocument(stored)) {
    throw new GatewayError(ErrorCode.INVALID_STORED_DATA, `Stored value not shown: the sharing config is stored as a ${kindOf(stored)}, not a document`);
  }
  const view = Object.create(stored ?? {}) as Record<symbol, string>;
  view[OWNER] = owner;
  return view;
}

@Resolver(() => Session)
export class SessionSharingResolver {
  @FieldResolver(() => SharingConfig, { nullable: true, description: 'Who may read the session besides its team’s admins.' })
  sharingConfig(@Root() session: SessionDoc): object | null {
    return session.sharingConfig === undefined ? null : sharingOf(session.sharingConfig, encodeGlobalId(SESSION_TYPE_NAME, session._id, session._id));
  }
}

@Resolver(() => App)
export class AppSharingResolver {
  @FieldResolver(() => SharingConfig, { nullable: true, description: 'Who the app is shared with.' })
  sharingConfig(@Root() app: AppDoc): object | null {
    const via = viaOf(app);
    return app.sharingConfig === undefined || !via ? null : sharingOf(app.sharingConfig, encodeGlobalId(nodeTypeName('apps'), app._id, via));
  }
}

@Resolver(() => SharingConfig)
export class SharingConfigResolver {
  // An identity of its own (that of its document), so that client caches merge what two queries
  // select of it instead of replacing one with the other.
  @FieldResolver(() => ID)
  id(@Root() config: Record<symbol, string>): string {
    return Buffer.from(`SharingConfig:${config[OWNER]}`).toString('base64url');
  }

  @FieldResolver(() => SharingMode)
  mode(@Root() config: unknown): SharingMode {
    return effectiveSharingMode(config) as SharingMode;
  }

  // as stored: what String cannot show (a document, a list) is INVALID_STORED_DATA, as for any String field
  @FieldResolver(() => String, { nullable: true })
  storedMode(@Root() config: unknown): unknown {
    return storedSharing(config).mode ?? null;
  }

  @FieldResolver(() => [SharingPermission])
  permissions(@Root() config: unknown): SharingPermission[] {
    const stored = storedSharing(config).permissions;
    if (stored == null) return [];
    // keyed by grantee id: a list's positions, or a value that is not a document, are no grantees
    if (typeof stored !== 'object' || Array.isArray(stored) || stored instanceof Binary) {
      throw new GatewayError(ErrorCode.INVALID_STORED_DATA, `Stored value not shown: the permissions are stored as a ${kindOf(stored)}, not a document keyed by grantee`);
    }
    return Object.entries(stored).map(([granteeId, value]) => ({ granteeId, value: permissionText(value) }));
  }
}

function permissionText(value: unknown): string | null {
  if (value == null) return null;
  if (value instanceof Binary) return value.toString('base64');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
