/**
 * The orgs and teams an account lists (`account.orgs[].teams[]`), read once for the policy and for
 * `viewer`. An entry that is not a document, or whose id is no id, names nothing and is left out: a
 * malformed membership grants nothing, and the caller is still who the token says.
 */
import type { AccountDoc } from './documents';
import { asObjectId } from './object-id';

export type OrgMembership = NonNullable<AccountDoc['orgs']>[number];
export type TeamMembership = NonNullable<OrgMembership['teams']>[number];

const isEntry = (value: unknown): value is { id: unknown } =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && asObjectId((value as { id?: unknown }).id) !== null;
const entriesOf = <T>(list: unknown): T[] => (Array.isArray(list) ? (list.filter(isEntry) as T[]) : []);

/** The account's orgs, each with its teams, as stored, without the entries that name nothing. */
export function membershipsOf(account: AccountDoc): Array<OrgMembership & { teams: TeamMembership[] }> {
  return entriesOf<OrgMembership>(account.orgs).map((org) => ({ ...org, teams: entriesOf<TeamMembership>(org.teams) }));
}
