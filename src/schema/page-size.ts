/** The paged fields, each declared once: its argument's default and most (the argument, the resolver and the query cost read it). */
export interface PageSpec {
  /** `Type.field` of the paged field. */
  field: string;
  /** The type of its page, whose `edges` and `nodes` hold one page. */
  connection: string;
  max: number;
  default: number;
}

export const PAGES = {
  sessions: { field: 'Query.sessions', connection: 'SessionConnection', max: 100, default: 20 },
  messages: { field: 'Session.messages', connection: 'MessageConnection', max: 100, default: 20 },
} as const satisfies Record<string, PageSpec>;

export const MAX_PAGE_SIZE = PAGES.sessions.max;
export const DEFAULT_PAGE_SIZE = PAGES.sessions.default;
