/**
 * Enums over stored lowercase strings. A stored value outside an enum makes that field null, with an
 * error at its path, and the rest of the response still arrives (graphql-js does this for enums).
 */
import { registerEnumType } from 'type-graphql';

export enum SessionStatus {
  STARTED = 'started',
  RUNNING = 'running',
  WAITING = 'waiting',
  WARNING = 'warning',
  ERROR = 'error',
  TERMINATED = 'terminated',
}

export enum SharingMode {
  PUBLIC = 'public',
  TEAM = 'team',
  RESTRICTED = 'restricted',
  WHITELIST = 'whitelist',
  OWNER = 'owner',
}

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

registerEnumType(MessageType, { name: 'MessageType', description: 'Whether a message is prose or code.' });
registerEnumType(MessageDisplayType, { name: 'MessageDisplayType', description: 'How a message is shown: a chat bubble, or inline in the conversation.' });
registerEnumType(ToolType, { name: 'ToolType', description: 'What a tool runs: custom code, a retriever over a datasource, or a global built-in.' });
registerEnumType(ModelType, { name: 'ModelType', description: 'What a model is used for.' });
registerEnumType(SessionStatus, { name: 'SessionStatus', description: 'The state of a session.' });
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
registerEnumType(AppType, { name: 'AppType', description: 'A chat app (one agent) or a crew app (agents working through tasks).' });
registerEnumType(CrewProcess, { name: 'CrewProcess', description: 'How a crew works through its tasks: in order, or under a manager model.' });
