/**
 * Every `extensions.code` an answer of /graphql can carry, with the HTTP statuses it comes with and
 * the transports it can come on. src/graphql/README.md lists the same codes (a test compares them);
 * the fuzz suite (test/fuzz/) checks every answer against this table.
 */

/** Where a code can be answered. */
export type Transport = 'HTTP' | 'SSE' | 'WS';

/** One documented code. */
export interface ErrorCodeInfo {
  /**
   * HTTP statuses of an answer carrying the code (HTTP and the answer of an SSE request before its
   * stream starts). 200: inside a GraphQL result (an execution error, or a request error answered
   * as `application/json`, as the GraphQL-over-HTTP spec asks).
   */
  readonly http: readonly number[];
  readonly transports: readonly Transport[];
}

const ALL: readonly Transport[] = ['HTTP', 'SSE', 'WS'];
const HTTP_ONLY: readonly Transport[] = ['HTTP', 'SSE'];
/** A request error: 400 with `application/graphql-response+json`, 200 with `application/json`. */
const REQUEST = { http: [200, 400], transports: ALL } as const;
/** An error of execution: inside a 200 result. */
const EXECUTION = { http: [200], transports: ALL } as const;

/** The codes (see the module comment). */
export const ERROR_CODES = {
  // The request cannot be read or answered (HTTP refusals, src/graphql/http-refusals.ts).
  BAD_REQUEST: { http: [200, 400], transports: ALL },
  NOT_FOUND: { http: [404], transports: HTTP_ONLY },
  METHOD_NOT_ALLOWED: { http: [405], transports: HTTP_ONLY },
  NOT_ACCEPTABLE: { http: [406], transports: HTTP_ONLY },
  CONFLICT: { http: [409], transports: ['SSE'] },
  LENGTH_REQUIRED: { http: [411], transports: HTTP_ONLY },
  REQUEST_TIMEOUT: { http: [408], transports: HTTP_ONLY },
  HEADERS_TOO_LARGE: { http: [431], transports: HTTP_ONLY },
  BODY_TOO_LARGE: { http: [413], transports: HTTP_ONLY },
  UNSUPPORTED_MEDIA_TYPE: { http: [415], transports: HTTP_ONLY },
  // The document is refused before it runs.
  GRAPHQL_PARSE_FAILED: REQUEST,
  GRAPHQL_VALIDATION_FAILED: REQUEST,
  OPERATION_RESOLUTION_FAILURE: REQUEST,
  DEPTH_LIMIT: REQUEST,
  ALIAS_LIMIT: REQUEST,
  TOKEN_LIMIT: REQUEST,
  COST_LIMIT: REQUEST,
  DIRECTIVE_LIMIT: REQUEST,
  TOO_MANY_OPERATIONS: { http: [], transports: ['WS'] },
  // An argument or variable (400 when a variable does not coerce, 200 from a resolver).
  BAD_USER_INPUT: { http: [200, 400], transports: ALL },
  DATE_OUT_OF_RANGE: { http: [200, 400], transports: ALL },
  INVALID_INTERVAL: EXECUTION,
  INVALID_INDICATOR: EXECUTION,
  INVALID_CURSOR: EXECUTION,
  PAGE_TOO_LARGE: EXECUTION,
  BATCH_TOO_LARGE: EXECUTION,
  RANGE_TOO_LARGE: EXECUTION,
  // Session rules.
  NOT_TRADING_DAY: EXECUTION,
  NO_SESSION: EXECUTION,
  CLOCK_MODE: EXECUTION,
  CLOCK_BACKWARDS: EXECUTION,
  NO_REPLAY: EXECUTION,
  // Access.
  UNAUTHENTICATED: EXECUTION,
  FORBIDDEN: EXECUTION,
  // The server's side.
  STORE_UNAVAILABLE: EXECUTION,
  // A replica (BUS_URL): a mutation while NATS is unreachable (src/service/replication/README.md).
  BUS_UNAVAILABLE: EXECUTION,
  SLOW_CONSUMER: EXECUTION,
  INTERNAL_SERVER_ERROR: { http: [200, 500], transports: ALL },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A documented code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether a string is a documented code. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}
