/**
 * The per-request loaders: one DataLoader per collection, made fresh for each request so that nothing
 * is cached across requests or callers. Both surfaces (GraphQL and REST) read only through these.
 */
import type { Db } from 'mongodb';
import type {
  AccountDoc,
  AgentDoc,
  ApiKeyDoc,
  AppDoc,
  CrewDoc,
  DatasourceDoc,
  ModelDoc,
  OrgDoc,
  SessionDoc,
  TaskDoc,
  TeamDoc,
  ToolDoc,
  VariableDoc,
} from '../db/documents';
import { createByIdLoader, type ByIdLoader } from './by-id-loader';
import { createTeamScopedLoader, type TeamScopedLoader } from './team-scoped-loader';
import { readOptions, type BatchObserver, type QueryOptions, type RequestReads } from './query-options';
import { createSessionLister, type SessionLister } from './session-list';

export interface Loaders {
  sessions: ByIdLoader<SessionDoc>;
  apps: TeamScopedLoader<AppDoc>;
  crews: TeamScopedLoader<CrewDoc>;
  agents: TeamScopedLoader<AgentDoc>;
  tasks: TeamScopedLoader<TaskDoc>;
  tools: TeamScopedLoader<ToolDoc>;
  models: TeamScopedLoader<ModelDoc>;
  datasources: TeamScopedLoader<DatasourceDoc>;
  variables: TeamScopedLoader<VariableDoc>;
  teams: ByIdLoader<TeamDoc>;
  orgs: ByIdLoader<OrgDoc>;
  accounts: ByIdLoader<AccountDoc>;
  apikeys: ByIdLoader<ApiKeyDoc>;
  /** Pages of a team's sessions, newest first; found sessions are primed into `sessions`. */
  listSessions: SessionLister;
  /**
   * Tenant documents by `_id` alone, for federation references (an id that arrives without the team
   * it was reached through). The caller checks the document's team with the access policy before
   * using it. (A DataLoader that is never asked costs nothing but its construction.)
   */
  byId: ByIdTenantLoaders;
}

export interface ByIdTenantLoaders {
  readonly apps: ByIdLoader<AppDoc>;
  readonly agents: ByIdLoader<AgentDoc>;
  readonly tasks: ByIdLoader<TaskDoc>;
  readonly tools: ByIdLoader<ToolDoc>;
  readonly models: ByIdLoader<ModelDoc>;
  readonly datasources: ByIdLoader<DatasourceDoc>;
}

export type { BatchObserver, RequestReads };

/** `reads` receives the request's deadline and counts its reads. */
export function createLoaders(db: Db, reads: RequestReads = { count: 0 }): Loaders {
  const q: QueryOptions = readOptions(reads);
  const sessions = createByIdLoader<SessionDoc>(db, 'sessions', q);
  return {
    sessions,
    apps: createTeamScopedLoader<AppDoc>(db, 'apps', q),
    crews: createTeamScopedLoader<CrewDoc>(db, 'crews', q),
    agents: createTeamScopedLoader<AgentDoc>(db, 'agents', q),
    tasks: createTeamScopedLoader<TaskDoc>(db, 'tasks', q),
    tools: createTeamScopedLoader<ToolDoc>(db, 'tools', q, { includeBuiltins: true }),
    models: createTeamScopedLoader<ModelDoc>(db, 'models', q),
    datasources: createTeamScopedLoader<DatasourceDoc>(db, 'datasources', q),
    variables: createTeamScopedLoader<VariableDoc>(db, 'variables', q),
    teams: createByIdLoader<TeamDoc>(db, 'teams', q),
    orgs: createByIdLoader<OrgDoc>(db, 'orgs', q),
    accounts: createByIdLoader<AccountDoc>(db, 'accounts', q),
    apikeys: createByIdLoader<ApiKeyDoc>(db, 'apikeys', q),
    listSessions: createSessionLister(db, sessions, q),
    byId: byIdTenantLoaders(db, q),
  };
}

function byIdTenantLoaders(db: Db, q: QueryOptions): ByIdTenantLoaders {
  return {
    apps: createByIdLoader<AppDoc>(db, 'apps', q),
    agents: createByIdLoader<AgentDoc>(db, 'agents', q),
    tasks: createByIdLoader<TaskDoc>(db, 'tasks', q),
    tools: createByIdLoader<ToolDoc>(db, 'tools', q),
    models: createByIdLoader<ModelDoc>(db, 'models', q),
    datasources: createByIdLoader<DatasourceDoc>(db, 'datasources', q),
  };
}
