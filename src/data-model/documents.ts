/**
 * The shapes of the Agentcloud documents the gateway reads (docs/data-layer.md). Only the fields the gateway
 * itself looks at are typed; every document keeps all its stored fields, in stored order, because the
 * REST layer serializes them as they are.
 */
import type { Binary, Document, ObjectId } from 'mongodb';

export interface TenantDocument extends Document {
  _id: ObjectId;
  orgId: ObjectId;
  teamId: ObjectId;
}

export interface SharingConfig {
  permissions?: Record<string, unknown>;
  mode?: string;
}

export interface SessionDoc extends TenantDocument {
  name?: string;
  startDate?: Date;
  lastUpdatedDate?: Date;
  tokensUsed?: number;
  status?: string;
  appId?: ObjectId;
  sharingConfig?: SharingConfig;
  previewLabel?: string;
}

export interface AppDoc extends TenantDocument {
  createdBy?: string | ObjectId;
  type?: string;
  crewId?: ObjectId | null;
  chatAppConfig?: { agentId?: ObjectId | null; conversationStarters?: string[]; maxMessages?: number } | null;
  kickOffVariablesIds?: ObjectId[] | null;
}

export interface CrewDoc extends TenantDocument {
  tasks?: ObjectId[];
  agents?: ObjectId[];
  managerModelId?: ObjectId | null;
}

export interface AgentDoc extends TenantDocument {
  name?: string;
  modelId?: ObjectId | null;
  functionModelId?: ObjectId | null;
  toolIds?: ObjectId[];
  icon?: { id?: unknown; filename?: string; linkedId?: unknown } | null;
  variableIds?: ObjectId[];
}

export interface TaskDoc extends TenantDocument {
  toolIds?: ObjectId[];
  agentId?: ObjectId | null;
  context?: ObjectId[];
  variableIds?: ObjectId[];
}

/** Global built-in tools have no teamId or orgId. */
export interface ToolDoc extends Document {
  _id: ObjectId;
  teamId?: ObjectId;
  orgId?: ObjectId;
  datasourceId?: ObjectId | null;
  data?: { builtin?: boolean; [key: string]: unknown };
}

export interface ModelDoc extends TenantDocument {}

export interface DatasourceDoc extends TenantDocument {
  modelId?: ObjectId | null;
}

export interface VariableDoc extends TenantDocument {
  name?: string;
  defaultValue?: unknown;
}

/** One message of a session's conversation (collection `chat`), as the webapp stores it. */
export interface MessageDoc extends TenantDocument {
  sessionId?: ObjectId;
  authorId?: ObjectId | null;
  authorName?: string;
  /** Epoch milliseconds. */
  ts?: number;
  isFeedback?: boolean;
  chunkId?: string;
  /** The socket payload: `message.message` holds the text and how to show it. */
  message?: {
    incoming?: boolean;
    message?: { text?: string; type?: string; displayType?: string; language?: string; tokens?: number; overwrite?: boolean };
  } & Document;
  /** A streamed reply's pieces, while it streams (an overwrite removes them). */
  chunks?: Array<{ ts?: number; chunk?: string; tokens?: number }>;
  tokens?: number;
  completed?: boolean;
}

/** Permission maps hold 255-byte bitfields keyed by account id hex. */
export type PermissionMap = Record<string, Binary | undefined>;

export interface TeamDoc extends Document {
  _id: ObjectId;
  ownerId?: ObjectId;
  orgId?: ObjectId;
  permissions?: PermissionMap;
}

export interface OrgDoc extends Document {
  _id: ObjectId;
  ownerId?: ObjectId;
  permissions?: PermissionMap;
}

export interface AccountDoc extends Document {
  _id: ObjectId;
  name?: string;
  email?: string;
  orgs?: Array<{ id: ObjectId; name?: string; ownerId?: ObjectId; teams?: Array<{ id: ObjectId; name?: string; ownerId?: ObjectId }> }>;
  currentOrg?: ObjectId;
  currentTeam?: ObjectId;
  permissions?: Binary;
}

export interface ApiKeyDoc extends Document {
  _id: ObjectId;
  ownerId?: ObjectId;
  expirationDate?: Date | null;
  version?: number;
}

/** Each collection the gateway reads, with the type of its documents. */
export interface DocumentTypes {
  sessions: SessionDoc;
  apps: AppDoc;
  crews: CrewDoc;
  agents: AgentDoc;
  tasks: TaskDoc;
  tools: ToolDoc;
  models: ModelDoc;
  datasources: DatasourceDoc;
  variables: VariableDoc;
  teams: TeamDoc;
  orgs: OrgDoc;
  accounts: AccountDoc;
  apikeys: ApiKeyDoc;
  chat: MessageDoc;
}

export type CollectionName = keyof DocumentTypes;
