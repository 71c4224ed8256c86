/**
 * Builders for the tenant documents, one per collection. Each writes its fields in the order of the
 * table of docs/data-layer.md, since the REST layer serializes documents in stored field order.
 * Creation dates come from the document's own id, so they follow the id order.
 */
import type { Document, ObjectId } from 'mongodb';
import type { StoredSessionStatus } from '../data-model/session-status';
import type { TeamScope } from './context';

export interface Icon {
  id: ObjectId;
  filename: string;
  linkedId: ObjectId;
}

const HOUR_MS = 3_600_000;

function after(date: Date, ms: number): Date {
  return new Date(date.getTime() + ms);
}

export function variableDoc(
  id: ObjectId,
  scope: TeamScope,
  name: string,
  defaultValue: string,
  description: string,
): Document {
  return { _id: id, orgId: scope.orgId, teamId: scope.teamId, name, defaultValue, description };
}

export interface ModelInput {
  name: string;
  model: string;
  modelType: 'llm' | 'embedding';
  embeddingLength: number;
  /** The provider. */
  type: string;
  /** Provider credentials: a secret. */
  config: Record<string, string>;
}

export function modelDoc(id: ObjectId, scope: TeamScope, m: ModelInput): Document {
  return {
    _id: id,
    orgId: scope.orgId,
    teamId: scope.teamId,
    name: m.name,
    model: m.model,
    modelType: m.modelType,
    embeddingLength: m.embeddingLength,
    type: m.type,
    config: m.config,
  };
}

export interface DatasourceInput {
  name: string;
  description: string;
  originalName: string;
  sourceType: string;
  recordCount: { total: number; success: number; failure: number };
  modelId: ObjectId;
  /** May hold credentials: a secret. */
  connectionSettings: Document;
}

export function datasourceDoc(id: ObjectId, scope: TeamScope, d: DatasourceInput): Document {
  const createdDate = id.getTimestamp();
  return {
    _id: id,
    orgId: scope.orgId,
    teamId: scope.teamId,
    name: d.name,
    description: d.description,
    originalName: d.originalName,
    sourceType: d.sourceType,
    status: 'ready',
    recordCount: d.recordCount,
    createdDate,
    lastSyncedDate: after(createdDate, HOUR_MS),
    modelId: d.modelId,
    connectionSettings: d.connectionSettings,
  };
}

export interface ToolData {
  name: string;
  description: string;
  builtin: boolean;
  runtime: string | null;
  code: string;
  requirements: string;
  /** A secret. */
  environmentVariables: Record<string, string>;
  parameters: Document;
}

export interface ToolInput {
  name: string;
  description: string;
  type: 'function' | 'rag' | 'builtin';
  /** Rag tools only; `null` on the others. */
  datasourceId?: ObjectId;
  retriever_type?: string;
  retriever_config?: Document;
  data: ToolData;
}

/** A tool of `scope`, or a global built-in tool (no orgId/teamId keys at all) when scope is null. */
export function toolDoc(id: ObjectId, scope: TeamScope | null, t: ToolInput): Document {
  return {
    _id: id,
    ...(scope ? { orgId: scope.orgId, teamId: scope.teamId } : {}),
    name: t.name,
    description: t.description,
    type: t.type,
    datasourceId: t.datasourceId ?? null,
    retriever_type: t.retriever_type ?? null,
    retriever_config: t.retriever_config ?? null,
    data: {
      name: t.data.name,
      description: t.data.description,
      builtin: t.data.builtin,
      runtime: t.data.runtime,
      code: t.data.code,
      requirements: t.data.requirements,
      environmentVariables: t.data.environmentVariables,
      parameters: t.data.parameters,
    },
    icon: null,
    state: 'ready',
  };
}

/** The usual JSON-schema parameters of a tool taking one string `query`. */
export function queryParameters(description: string): Document {
  return {
    type: 'object',
    required: ['query'],
    properties: { query: { type: 'string', description } },
  };
}

export interface AgentInput {
  name: string;
  role: string;
  goal: string;
  backstory: string;
  modelId: ObjectId;
  functionModelId: ObjectId | null;
  toolIds: ObjectId[];
  icon: Icon | null;
  /** Omitted (not empty) on agents stored before variables existed. */
  variableIds?: ObjectId[];
  allowDelegation?: boolean;
}

export function agentDoc(id: ObjectId, scope: TeamScope, a: AgentInput): Document {
  return {
    _id: id,
    orgId: scope.orgId,
    teamId: scope.teamId,
    name: a.name,
    role: a.role,
    goal: a.goal,
    backstory: a.backstory,
    modelId: a.modelId,
    functionModelId: a.functionModelId,
    maxIter: 10,
    maxRPM: 60,
    verbose: false,
    allowDelegation: a.allowDelegation ?? false,
    toolIds: a.toolIds,
    icon: a.icon,
    ...(a.variableIds ? { variableIds: a.variableIds } : {}),
    dateCreated: id.getTimestamp(),
  };
}

export interface TaskInput {
  name: string;
  description: string;
  expectedOutput: string;
  toolIds: ObjectId[];
  agentId: ObjectId | null;
  context: ObjectId[];
  variableIds: ObjectId[];
  requiresHumanInput?: boolean;
  taskOutputFileName?: string | null;
  taskOutputVariableName?: string | null;
}

export function taskDoc(id: ObjectId, scope: TeamScope, t: TaskInput): Document {
  return {
    _id: id,
    orgId: scope.orgId,
    teamId: scope.teamId,
    name: t.name,
    description: t.description,
    expectedOutput: t.expectedOutput,
    toolIds: t.toolIds,
    agentId: t.agentId,
    context: t.context,
    asyncExecution: false,
    requiresHumanInput: t.requiresHumanInput ?? false,
    displayOnlyFinalOutput: false,
    storeTaskOutput: Boolean(t.taskOutputFileName),
    taskOutputFileName: t.taskOutputFileName ?? null,
    icon: null,
    formFields: [],
    isStructuredOutput: false,
    variableIds: t.variableIds,
    dateCreated: id.getTimestamp(),
    taskOutputVariableName: t.taskOutputVariableName ?? null,
  };
}

export interface CrewInput {
  name: string;
  tasks: ObjectId[];
  agents: ObjectId[];
  process: 'sequential' | 'hierarchical';
  managerModelId: ObjectId | null;
}

export function crewDoc(id: ObjectId, scope: TeamScope, c: CrewInput): Document {
  return {
    _id: id,
    orgId: scope.orgId,
    teamId: scope.teamId,
    name: c.name,
    tasks: c.tasks,
    agents: c.agents,
    process: c.process,
    verbose: false,
    fullOutput: false,
    managerModelId: c.managerModelId,
  };
}

interface AppCommon {
  /** Stored as a hex string, as the webapp does. */
  createdBy: ObjectId;
  name: string;
  description: string;
  tags: string[];
  author: string;
  icon: Icon | null;
  sharingMode: string;
  kickOffVariablesIds: ObjectId[] | null;
}

export type AppInput = AppCommon &
  (
    | { type: 'crew'; crewId: ObjectId; memory?: boolean; cache?: boolean }
    | { type: 'chat'; agentId: ObjectId; conversationStarters: string[]; maxMessages: number }
  );

export function appDoc(id: ObjectId, scope: TeamScope, a: AppInput): Document {
  const doc: Document = {
    _id: id,
    createdBy: a.createdBy.toHexString(),
    orgId: scope.orgId,
    teamId: scope.teamId,
    name: a.name,
    description: a.description,
    tags: a.tags,
    author: a.author,
    icon: a.icon,
    type: a.type,
    sharingConfig: { permissions: {}, mode: a.sharingMode },
    kickOffVariablesIds: a.kickOffVariablesIds,
  };
  if (a.type === 'crew') {
    doc.crewId = a.crewId;
    doc.memory = a.memory ?? false;
    doc.cache = a.cache ?? true;
  } else {
    doc.chatAppConfig = {
      agentId: a.agentId,
      conversationStarters: a.conversationStarters,
      maxMessages: a.maxMessages,
    };
  }
  return doc;
}

export interface SessionInput {
  name: string;
  tokensUsed: number;
  status: StoredSessionStatus;
  appId: ObjectId;
  /** Omitted from `sharingConfig` when undefined; any string is stored as is. */
  mode: string | undefined;
  permissions?: Record<string, string>;
  variables?: Record<string, string>;
  previewLabel?: string;
}

export function sessionDoc(id: ObjectId, scope: TeamScope, s: SessionInput): Document {
  const startDate = id.getTimestamp();
  return {
    _id: id,
    orgId: scope.orgId,
    teamId: scope.teamId,
    name: s.name,
    startDate,
    // Deterministic, and always after startDate.
    lastUpdatedDate: after(startDate, 60_000 + (s.tokensUsed % 3_600) * 1_000),
    tokensUsed: s.tokensUsed,
    status: s.status,
    appId: s.appId,
    sharingConfig: {
      permissions: s.permissions ?? {},
      ...(s.mode === undefined ? {} : { mode: s.mode }),
    },
    ...(s.variables ? { variables: s.variables } : {}),
    ...(s.previewLabel === undefined ? {} : { previewLabel: s.previewLabel }),
  };
}
