import type { Document, ObjectId } from 'mongodb';

import type { CollectionName } from '../data-model/documents';

export type { CollectionName };

export interface GenerateOptions {
  /** Extra crew apps per team (each with its own crew and sessions). Default 0. */
  scale?: number;
  /** Tasks in each extra crew. Default 5. */
  crewTasks?: number;
  /** Agents in each extra crew. Default 5. */
  crewAgents?: number;
  /** Messages of the long conversation in the first generated session. Default 30 × scale. */
  conversation?: number;
}

export type OrgKey = 'acme' | 'globex';
export type TeamKey = 'acmeMain' | 'acmeLabs' | 'globexMain';
export type AccountKey =
  | 'owner'
  | 'teamAdmin'
  | 'orgAdmin'
  | 'member'
  | 'labsMember'
  | 'outsider'
  | 'root'
  | 'appCreator'
  | 'sharedWith';
export type ApikeyKey = 'memberKey' | 'memberExpiredKey' | 'memberOldKey';
export type ModelKey = 'gpt' | 'claude' | 'embedder' | 'globexModel';
export type DatasourceKey = 'docs' | 'globexDocs';
export type ToolKey = 'builtinSearch' | 'ragTool' | 'codeTool' | 'globexTool';
export type VariableKey = 'topic' | 'audience' | 'tone' | 'language' | 'globexVar';
export type AgentKey = 'chatAgent' | 'researcher' | 'writer' | 'legacyAgent' | 'globexAgent';
export type TaskKey = 'research' | 'draft' | 'review' | 'globexTask';
export type CrewKey = 'contentCrew' | 'brokenCrew' | 'globexCrew';
export type AppKey = 'chatApp' | 'crewApp' | 'brokenCrewApp' | 'missingCrewApp' | 'globexApp';
export type MessageKey =
  | 'crewQuestion' | 'crewAnswer' | 'crewStreaming' | 'crewCode' | 'crewFeedback'
  | 'chatHello' | 'chatReply' | 'chatOverwritten'
  | 'globexOwn' | 'globexNamesAcmeSession';
export type SessionKey =
  | 'publicChat'
  | 'teamCrew'
  | 'restricted'
  | 'whitelistTeam'
  | 'whitelistOrg'
  | 'ownerMode'
  | 'ownerNoApp'
  | 'noMode'
  | 'unknownMode'
  | 'deletedApp'
  | 'brokenCrew'
  | 'missingCrew'
  | 'globexSession'
  | 'globexPublic';

/** The ids of the named demo documents, present whatever the scale. */
export interface DemoFixtures {
  orgs: Record<OrgKey, ObjectId>;
  teams: Record<TeamKey, ObjectId>;
  accounts: Record<AccountKey, ObjectId>;
  apikeys: Record<ApikeyKey, ObjectId>;
  models: Record<ModelKey, ObjectId>;
  datasources: Record<DatasourceKey, ObjectId>;
  tools: Record<ToolKey, ObjectId>;
  variables: Record<VariableKey, ObjectId>;
  agents: Record<AgentKey, ObjectId>;
  tasks: Record<TaskKey, ObjectId>;
  crews: Record<CrewKey, ObjectId>;
  apps: Record<AppKey, ObjectId>;
  sessions: Record<SessionKey, ObjectId>;
  /** Referenced by sessions `ownerNoApp` and `deletedApp`; no app document has it. */
  deletedAppId: ObjectId;
  /** The `crewId` of app `missingCrewApp`; no crew document has it. */
  missingCrewId: ObjectId;
  /** The demo conversations' messages. */
  messages: Record<MessageKey, ObjectId>;
  /** The generated session with the long conversation; null at scale 0. */
  longConversation: ObjectId | null;
  /** Every fake secret value written anywhere in the data; each contains 'SECRET-'. */
  secrets: string[];
}

export interface DemoData {
  collections: Record<CollectionName, Document[]>;
  fixtures: DemoFixtures;
}
