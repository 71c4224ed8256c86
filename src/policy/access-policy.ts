/**
 * Who may read which session (docs/access.md), for one request. Every surface asks this object, and
 * what lies below a session is readable through it: a document is part of a session when the data
 * model's relations reach it (./session-graph-member.ts). The one rule applied beneath the policy, in
 * every read, is tenancy: a reference resolves only in the team of the document that holds it, as
 * data-model/collections.ts declares and the loaders' filters apply. Answers are memoized per request,
 * and the documents they need (teams, orgs, apps) come through the request's loaders, so checking many
 * sessions costs batched reads.
 */
import { ObjectId, type Document, type Filter } from 'mongodb';
import type { Viewer } from '../auth/identity';
import { hasBit, Permission } from '../auth/permission-bits';
import type { CollectionName, SessionDoc } from '../data-model/documents';
import { RELATIONS } from '../data-model/relations';
import { asObjectId, hexOf, idHex, storedSpellingsOf } from '../data-model/object-id';
import type { Loaders } from '../loaders';
import { follow } from '../loaders/follow';
import { DEFAULT_QUERY_LIMITS } from '../config/query-limits';
import { SessionGraphWalks } from './session-graph-member';
import { effectiveSharingMode, LISTED_MODES, OWNER_MODE, storedSharing } from '../data-model/sharing-mode';

/** An id no team, org or app has (all zero: a time of 1970 no writer makes), for the reads of a denial. */
const NO_ID = new ObjectId('000000000000000000000000');

export class AccessPolicy {
  private readonly adminOf = new Map<string, Promise<boolean>>();
  /** The admin answers already settled, so that the per-session guard of a list needs no read. */
  private readonly adminKnown = new Map<string, boolean>();
  private readonly readable = new Map<string, Promise<boolean>>();
  /** The read answers already settled, for `readableNow`. */
  private readonly readableKnown = new Map<string, boolean>();
  private walks: SessionGraphWalks | undefined;

  constructor(
    private readonly loaders: Loaders,
    readonly viewer: Viewer | null,
    /** Most relations from its session a document reached by id is looked for (GRAPHQL_MAX_DEPTH). */
    private readonly maxGraphLevels = DEFAULT_QUERY_LIMITS.maxDepth,
  ) {}

  /** A document reached through a session the caller may read: itself when it is part of the session's graph, else null. */
  findInSessionGraph(session: SessionDoc, collection: CollectionName, id: ObjectId): Promise<Document | null> {
    return (this.walks ??= new SessionGraphWalks(this.loaders, this.maxGraphLevels)).find(session, collection, id);
  }

  /** Membership of a team: its id is among the teams of the caller's `account.orgs`. */
  isMember(teamId: ObjectId): boolean {
    return this.viewer?.teamIds.has(hexOf(teamId)) ?? false;
  }

  /**
   * Admin of a team: the ROOT bit, owner of the team or of its org, TEAM_ADMIN in the team's
   * permissions, or ORG_ADMIN in its org's permissions.
   */
  isAdmin(teamId: ObjectId, orgHint?: unknown): Promise<boolean> {
    const key = hexOf(teamId);
    let answer = this.adminOf.get(key);
    if (!answer) {
      answer = this.computeIsAdmin(teamId, orgHint instanceof ObjectId ? orgHint : undefined);
      this.adminOf.set(key, answer);
      void answer.then((known) => this.adminKnown.set(key, known), () => undefined);
    }
    return answer;
  }

  /**
   * The sharing rules of §3 as a MongoDB filter over a team's sessions, for a caller who is a member
   * of the team: `{}` for its admins; otherwise the modes any member may read (team, public, and
   * missing or unknown modes, read as team), the listed modes that name the caller's account, one of
   * its teams or orgs, and owner mode on an app the caller created (one read of the team's apps).
   * Every operator is one MongoDB has always had; `$nin` also matches a missing mode.
   */
  async sessionListFilter(teamId: ObjectId): Promise<Filter<SessionDoc>> {
    const viewer = this.viewer;
    if (!viewer || (await this.isAdmin(teamId))) return viewer ? {} : { _id: { $in: [] } };
    const grantees = [hexOf(viewer.accountId), ...viewer.teamIds, ...viewer.orgIds];
    const ownApps = await this.loaders.appsCreatedBy(teamId, viewer.accountId);
    // each as the check in code follows a session's appId: the ObjectId, or its hex (in anomalous documents)
    const ownAppIds = ownApps.flatMap((app) => storedSpellingsOf(app._id)) as unknown as ObjectId[];
    return {
      $or: [
        { 'sharingConfig.mode': { $nin: [...LISTED_MODES, OWNER_MODE] } },
        // a mode, or the whole config, stored as a list is read as team, as in code (a query matches a list's items)
        { 'sharingConfig.mode.0': { $exists: true } },
        { 'sharingConfig.0': { $exists: true } },
        { 'sharingConfig.mode': { $in: LISTED_MODES }, $or: grantees.map((id) => ({ [`sharingConfig.permissions.${id}`]: { $exists: true } })) },
        { 'sharingConfig.mode': OWNER_MODE, appId: { $in: ownAppIds } },
      ],
    };
  }

  /** Whether the caller may read this session; memoized by session id. */
  canReadSession(session: SessionDoc): Promise<boolean> {
    const key = hexOf(session._id);
    let answer = this.readable.get(key);
    if (!answer) {
      const now = this.readableNow(session);
      answer = now === undefined ? this.computeCanReadSession(session) : Promise.resolve(now);
      this.readable.set(key, answer);
      if (now === undefined) void answer.then((known) => this.readableKnown.set(key, known), () => undefined);
    }
    return answer;
  }

  /**
   * The same answer when it needs no read (the sharing rules allow, the caller is anonymous, or it is
   * already known); undefined when it does (the admin check, owner mode). The live engine asks this of
   * thousands of subscriptions per tick and waits only for the few that need a read; it passes the
   * session's hex id (`key`), which it holds.
   */
  readableNow(session: SessionDoc, key: string = hexOf(session._id)): boolean | undefined {
    const known = this.readableKnown.get(key);
    if (known !== undefined) return known;
    if (!(session.teamId instanceof ObjectId)) return this.settle(key, false); // anomalous: readable by nobody
    if (this.adminKnown.size > 0 && this.adminKnown.get(hexOf(session.teamId)) === true) return this.settle(key, true);
    if (this.sharingAllowsNow(session) === true) return this.settle(key, true);
    if (!this.viewer) return this.settle(key, false); // anonymous: no admin to check
    if (this.viewer.isRoot) return this.settle(key, true);
    return undefined;
  }

  private settle(key: string, answer: boolean): boolean {
    this.readableKnown.set(key, answer);
    return answer;
  }

  /**
   * What a denial costs, spent for a session that does not exist: the admin check's reads and the app's,
   * of a team, an org and an app that no one has. `session(_id)` and the other lookups by id then answer a missing session and
   * one the caller may not read in the same reads and round trips (docs/access.md, "Existence does not show").
   */
  async spendDenialReads(): Promise<void> {
    // an anonymous caller's denial reads nothing, and the root bit is never denied
    if (!this.viewer || this.viewer.isRoot) return;
    await Promise.all([this.isAdmin(NO_ID, NO_ID), this.loaders.apps.load({ teamId: NO_ID, id: NO_ID })]);
  }

  // The org is read beside the team when its id is known (the session's `orgId`), so that the check
  // takes one round trip; the team's own `orgId` decides, and a different one is read after.
  private async computeIsAdmin(teamId: ObjectId, orgHint: ObjectId | undefined): Promise<boolean> {
    const viewer = this.viewer;
    if (!viewer) return false;
    if (viewer.isRoot) return true;
    const accountHex = hexOf(viewer.accountId);
    const [team] = await Promise.all([this.loaders.teams.load(teamId), orgHint && this.loaders.orgs.load(orgHint)]);
    if (!team) return false;
    if (idHex(team.ownerId) === accountHex || hasBit(team.permissions?.[accountHex], Permission.TEAM_ADMIN)) return true;
    const orgId = asObjectId(team.orgId);
    const org = orgId ? await this.loaders.orgs.load(orgId) : null;
    if (!org) return false;
    return idHex(org.ownerId) === accountHex || hasBit(org.permissions?.[accountHex], Permission.ORG_ADMIN);
  }

  // Reached when `readableNow` has no answer: the sharing rules do not allow without a read (owner mode
  // asks the session's app), so the admin rule decides; an admin is allowed whatever the mode. The app
  // is read beside the admin check whatever the mode, so that every denial, and a missing session
  // (`spendDenialReads`), costs the same reads in one round trip: owner mode would otherwise show.
  private async computeCanReadSession(session: SessionDoc): Promise<boolean> {
    const [created, admin] = await Promise.all([this.createdSessionApp(session), this.isAdmin(session.teamId as ObjectId, session.orgId)]);
    return (created && effectiveSharingMode(session.sharingConfig) === OWNER_MODE) || admin;
  }

  /** The sharing rules of §3.2 that need no read: true or false, or undefined for owner mode (its app decides). */
  private sharingAllowsNow(session: SessionDoc): boolean | undefined {
    const viewer = this.viewer;
    switch (effectiveSharingMode(session.sharingConfig)) {
      case 'public':
        return true;
      case 'restricted':
      case 'whitelist': {
        if (!viewer) return false;
        const keys = Object.keys(storedSharing(session.sharingConfig).permissions ?? {});
        const accountHex = hexOf(viewer.accountId);
        return keys.some((key) => key === accountHex || viewer.teamIds.has(key) || viewer.orgIds.has(key));
      }
      case 'owner':
        return viewer ? undefined : false;
      case 'team':
        // also a missing or unknown mode, which the contract reads as 'team'
        return this.isMember(session.teamId as ObjectId);
    }
  }

  /** Owner mode: the caller created the session's app. */
  private async createdSessionApp(session: SessionDoc): Promise<boolean> {
    const app = await follow(this.loaders, RELATIONS.appOfSession, session);
    return app !== null && idHex(app.createdBy) === this.viewer?.accountId.toHexString();
  }
}
