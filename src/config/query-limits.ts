/**
 * The query limits: what a single GraphQL operation may ask for. On by default; each can be changed
 * through the environment (./index.ts) or the `limits` option of `createGatewayApp`.
 */
export interface QueryLimits {
  /** Deepest field nesting, counted in fields (`{ a { b } }` is 2); fragments add no depth. GRAPHQL_MAX_DEPTH. */
  maxDepth: number;
  /** Highest query cost (src/server/limits/cost.ts). GRAPHQL_MAX_COST. */
  maxCost: number;
  /** Most aliased fields in an operation, fragments included. GRAPHQL_MAX_ALIASES. */
  maxAliases: number;
  /** Most directives in an operation. GRAPHQL_MAX_DIRECTIVES. */
  maxDirectives: number;
  /** Most lexical tokens in the query text (names, punctuation, values). GRAPHQL_MAX_TOKENS. */
  maxTokens: number;
  /** Largest request body of /graphql, in bytes. MAX_BODY_BYTES. */
  maxBodyBytes: number;
}

/**
 * Chosen so that the queries frontends write pass with room to spare: the deepest is 7 fields deep and
 * the longest 180 tokens (GraphiQL's introspection query too). Cost counts documents (src/server/limits/cost.ts): one
 * session with its full graph, every field, about 500, so a page of 20 about 10,000 and of 40 about the
 * limit, which is MAX_DOCUMENTS_PER_REQUEST's default too; deep `context { context { … } }` chains
 * (×5 a level) over pages of 100 are refused (docs/limits.md).
 */
export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 12,
  maxCost: 20_000,
  maxAliases: 15,
  maxDirectives: 50,
  maxTokens: 1_000,
  maxBodyBytes: 100 * 1024,
};

/** The limits, defaults filled in for those not given. */
export function resolveQueryLimits(given: Partial<QueryLimits> = {}): QueryLimits {
  const limits = { ...DEFAULT_QUERY_LIMITS };
  for (const key of Object.keys(limits) as Array<keyof QueryLimits>) {
    const value = given[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`query limit ${key} must be a positive integer; got ${value}`);
    limits[key] = value;
  }
  return limits;
}
