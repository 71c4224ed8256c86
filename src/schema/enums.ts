/**
 * Enums over stored lowercase strings. A stored value outside an enum makes that field null, with an
 * error at its path, and the rest of the response still arrives (graphql-js does this for enums).
 */
import { registerEnumType } from 'type-graphql';
import { SESSION_STATUSES, type StoredSessionStatus } from '../data-model/session-status';
import { SHARING_MODES, type EffectiveSharingMode } from '../data-model/sharing-mode';

/** The session states of the data model, by their GraphQL names (STARTED ↔ 'started'). */
export const SessionStatus = Object.fromEntries(SESSION_STATUSES.map((status) => [status.toUpperCase(), status])) as { readonly [S in StoredSessionStatus as Uppercase<S>]: S };
export type SessionStatus = StoredSessionStatus;

/** The sharing modes of the data model, by their GraphQL names (PUBLIC ↔ 'public'). */
export const SharingMode = Object.fromEntries(SHARING_MODES.map((mode) => [mode.toUpperCase(), mode])) as { readonly [M in EffectiveSharingMode as Uppercase<M>]: M };
export type SharingMode = EffectiveSharingMode;

export enum AppType {
  CHAT = 'chat',
  CREW = 'crew',
}

export enum CrewProcess {
  SEQUENTIAL = 'sequential',
  HIERARCHICAL = 'hierarchical',
}

export enum ToolType {
  FUNCTION = 'function',
  RAG = 'rag',
  BUILTIN = 'builtin',
}

export enum ModelType {
  LLM = 'llm',
  EMBEDDING = 'embedding',
}

export enum MessageType {
  TEXT = 'text',
  CODE = 'code',
}

export enum MessageDisplayType {
  BUBBLE = 'bubble',
  INLINE = 'inline',
}

registerEnumType(MessageType, {
  name: 'MessageType',
  description: 'Whether a message is prose or code.',
  valuesConfig: { TEXT: { description: 'Prose.' }, CODE: { description: 'Code, in `language` when it is stored.' } },
});
registerEnumType(MessageDisplayType, {
  name: 'MessageDisplayType',
  description: 'How a message is shown: a chat bubble, or inline in the conversation.',
  valuesConfig: { BUBBLE: { description: 'A chat bubble.' }, INLINE: { description: 'Inline in the conversation, between the bubbles (a step of the run).' } },
});
registerEnumType(ToolType, {
  name: 'ToolType',
  description: 'What a tool runs: custom code, a retriever over a datasource, or a global built-in.',
  valuesConfig: { FUNCTION: { description: 'Custom code.' }, RAG: { description: 'A retriever over its datasource.' }, BUILTIN: { description: 'One of the built-in tools, shared by every team.' } },
});
registerEnumType(ModelType, {
  name: 'ModelType',
  description: 'What a model is used for.',
  valuesConfig: { LLM: { description: 'A language model, for agents and crew managers.' }, EMBEDDING: { description: 'An embedding model, for a datasource’s vectors.' } },
});
registerEnumType(SessionStatus, {
  name: 'SessionStatus',
  description: 'The state of a session, as the webapp stores it (lowercase).',
  valuesConfig: {
    STARTED: { description: 'Stored as `started`: created, its run not yet under way.' },
    RUNNING: { description: 'Stored as `running`: its agents are at work.' },
    WAITING: { description: 'Stored as `waiting`: waiting for the user’s input.' },
    WARNING: { description: 'Stored as `warning`: the run reported a warning.' },
    ERROR: { description: 'Stored as `error`: the run failed.' },
    TERMINATED: { description: 'Stored as `terminated`: the session has ended.' },
  },
});
registerEnumType(SharingMode, {
  name: 'SharingMode',
  description: 'Who may read a session besides the admins of its team.',
  valuesConfig: {
    PUBLIC: { description: 'Anyone, anonymous callers included.' },
    TEAM: { description: 'Members of the session’s team (also used when the mode is missing or unknown).' },
    RESTRICTED: { description: 'Accounts, teams or orgs listed in `permissions`.' },
    WHITELIST: { description: 'Accounts, teams or orgs listed in `permissions`.' },
    OWNER: { description: 'Only the account that created the session’s app.' },
  },
});
registerEnumType(AppType, {
  name: 'AppType',
  description: 'A chat app (one agent) or a crew app (agents working through tasks).',
  valuesConfig: { CHAT: { description: 'One agent, in conversation (`App.agent`).' }, CREW: { description: 'A crew of agents working through its tasks (`App.crew`).' } },
});
registerEnumType(CrewProcess, {
  name: 'CrewProcess',
  description: 'How a crew works through its tasks: in order, or under a manager model.',
  valuesConfig: { SEQUENTIAL: { description: 'The tasks in order, each by its agent.' }, HIERARCHICAL: { description: 'A manager model (`Crew.managerModel`) hands the tasks out.' } },
});
