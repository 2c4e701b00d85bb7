/**
 * The abuse limits of the GraphQL API, with their defaults. Every refusal is a GraphQL error with
 * a stable `extensions.code`; none of them crashes or stalls the server.
 */
export interface Limits {
  /** Page size of `bars` when neither `first` nor `last` is given. */
  readonly defaultPage: number;
  /** Largest `first`/`last` of `bars` (PAGE_TOO_LARGE above it). */
  readonly maxPage: number;
  /** Largest `last` of `quotes`/`ticks` (PAGE_TOO_LARGE above it). */
  readonly maxBufferRead: number;
  /** Largest list of one ingest mutation (BATCH_TOO_LARGE above it). */
  readonly maxBatch: number;
  /** Largest HTTP request body in bytes (413 with a GraphQL error above it). */
  readonly maxBodyBytes: number;
  /** Deepest selection (graphql-armor max-depth; introspection is exempt). */
  readonly maxDepth: number;
  /** Most aliases in one operation (graphql-armor max-aliases). */
  readonly maxAliases: number;
  /** Most lexical tokens in one document (graphql-armor max-tokens). Send big batches as variables. */
  readonly maxTokens: number;
  /**
   * Deepest nesting of brackets, braces and parentheses in a document (DEPTH_LIMIT above it) and
   * of arrays and objects in the variables (BAD_USER_INPUT above it); src/graphql/request-shape.ts.
   */
  readonly maxNesting: number;
  /**
   * Highest static cost of one operation (graphql-armor cost-limit: objects 2, scalars 1, ×1.5 per
   * level, × the literal `first`/`last` of a field). The default admits reading one whole page of
   * 10,000 bars with every field through session → symbols → intervals (about 2.2 million); what
   * bounds a request's real size is the page cap, the depth, alias and token limits together.
   */
  readonly maxCost: number;
  /** Most directives in one operation (graphql-armor max-directives). */
  readonly maxDirectives: number;
  /** Most undelivered events a subscriber may have before it is dropped (SLOW_CONSUMER). */
  readonly subscriberQueue: number;
  /** Most trading dates one historical `bars` read may cover outside the in-memory window. */
  readonly maxHistoryDates: number;
  /** Most operations running at once on one WebSocket connection (TOO_MANY_OPERATIONS above). */
  readonly maxOperationsPerSocket: number;
}

/** The defaults (documented in the README). */
export const DEFAULT_LIMITS: Limits = {
  defaultPage: 1_000,
  maxPage: 10_000,
  maxBufferRead: 10_000,
  maxBatch: 10_000,
  maxBodyBytes: 4 * 1024 * 1024,
  maxDepth: 10,
  maxAliases: 30,
  maxTokens: 2_000,
  maxNesting: 32,
  maxCost: 5_000_000,
  maxDirectives: 10,
  subscriberQueue: 1_000,
  maxHistoryDates: 260,
  maxOperationsPerSocket: 100,
};

/** The defaults with some values overridden. */
export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
