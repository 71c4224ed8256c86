/** The sizes of a page of sessions (`sessions(first)`), shared by its argument and the query cost. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
