import { badUserInput } from '../errors/codes';

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

/** A page's `first` as asked, checked against its field's most: BAD_USER_INPUT outside 0 to the most. */
export function checkPageSize(page: PageSpec, first: number): void {
  if (first < 0 || first > page.max) throw badUserInput(`first must be between 0 and ${page.max}; got ${first}`);
}
