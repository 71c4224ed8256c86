/** The states a session is stored in, declared once: GraphQL's `SessionStatus` enum and the seed are made from it. */
export const SESSION_STATUSES = ['started', 'running', 'waiting', 'warning', 'error', 'terminated'] as const;
export type StoredSessionStatus = (typeof SESSION_STATUSES)[number];
