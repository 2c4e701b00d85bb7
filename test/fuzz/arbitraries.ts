/**
 * fast-check arbitraries of hostile GraphQL requests: documents (valid ones of our schema, mutated
 * ones, random text, deep and wide nesting), variables of every shape and size, numbers at the
 * edges, unicode and NUL in strings, wrong types, and the HTTP envelope around them.
 */
import fc from 'fast-check';

/** Valid operations of our schema (some take variables). Mutations are marked. */
export const OPERATIONS: readonly { readonly query: string; readonly mutation: boolean }[] = [
  { query: '{ session { date phase time symbols { symbol loaded } } }', mutation: false },
  {
    query:
      'query($s: String!) { symbol(symbol: $s) { metrics { volume vwap last barCount } intervals { name quality gapCount bars(last: 5) { totalCount nodes { ts open close volume } } } } }',
    mutation: false,
  },
  {
    query:
      'query($f: Int, $a: String, $from: DateTime, $to: DateTime) { symbol(symbol: "SPY") { interval(name: "1m") { bars(first: $f, after: $a, from: $from, to: $to) { totalCount pageInfo { hasNextPage endCursor } nodes { ts } } } } }',
    mutation: false,
  },
  {
    query:
      'query($n: Int!) { symbol(symbol: "SPY") { quotes(last: $n) { ts bid } ticks(last: $n) { ts price } } }',
    mutation: false,
  },
  {
    query: 'query($d: Date!) { tradingDay(date: $d) { date isTradingDay holiday regularOpen } }',
    mutation: false,
  },
  {
    query: 'query($s: [String!]) { session { export(symbols: $s) { cursor complete } } }',
    mutation: false,
  },
  {
    query: '{ symbol(symbol: "SPY") { historical { dates indicators { name value valid } } } }',
    mutation: false,
  },
  { query: '{ __schema { queryType { name } types { name kind } } }', mutation: false },
  {
    query:
      'subscription($s: [String!], $i: [String!], $c: Boolean) { barUpdates(symbols: $s, intervals: $i, completeOnly: $c) { symbol interval kind bar { ts close } } }',
    mutation: false,
  },
  {
    query: 'subscription($s: [String!]) { sessionEvents(symbols: $s) { kind symbol message } }',
    mutation: false,
  },
  {
    query: 'mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted rejected { index code message } } }',
    mutation: true,
  },
  {
    query: 'mutation($q: [QuoteInput!]!) { ingestQuotes(quotes: $q) { accepted rejected { index code } } }',
    mutation: true,
  },
  {
    query: 'mutation($t: [TickInput!]!) { ingestTicks(ticks: $t) { accepted rejected { index code } } }',
    mutation: true,
  },
  {
    query:
      'mutation($d: Date!, $m: ClockMode, $r: Float) { startSession(date: $d, clockMode: $m, replaySpeed: $r) { date } }',
    mutation: true,
  },
  { query: 'mutation { endSession { date phase } }', mutation: true },
  { query: 'mutation($t: DateTime!) { advanceClock(to: $t) { time } }', mutation: true },
  { query: 'mutation($i: LoadSymbolInput!) { loadSymbol(input: $i) { symbol loaded } }', mutation: true },
  { query: 'mutation($s: String!) { removeSymbol(symbol: $s) }', mutation: true },
  { query: 'mutation { pauseReplay { date } resumeReplay { date } }', mutation: true },
];

/** Numbers at the edges. */
export const edgeNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    1e308,
    -1e308,
    5e-324,
    2 ** 53 - 1,
    2 ** 53 + 1,
    -(2 ** 53) - 1,
    2 ** 31,
    2 ** 31 - 1,
    -(2 ** 31),
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Strings with unicode, NUL, control characters, lone surrogates and long runs. */
export const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    '\u0000',
    'SPY\u0000',
    '💥',
    '\ud800',
    'Robert"); DROP TABLE bars;--',
    '../../etc/passwd',
    'SPY',
    'spy',
    ' SPY ',
    'FZA',
    '1m',
    '5m',
    'x'.repeat(10_000),
  ),
  fc.constantFrom(
    '2011-01-11',
    '2011-01-11T14:30:00Z',
    '2011-01-11T14:30:00.000Z',
    '1800-06-02',
    '9999-12-31',
    '2011-02-30',
    'now',
  ),
);

/** Any JSON value, its leaves drawn from the hostile sets. */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    edgeNumber,
    hostileString,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** An array or object nested `depth` deep (the client's JSON.stringify recurses: see deepJson). */
export const deepValue = fc
  .tuple(fc.integer({ min: 20, max: 2_000 }), fc.boolean())
  .map(([depth, arrays]) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
    // fast-check prints a counterexample recursively: name this one instead.
    Object.defineProperty(value, fc.toStringMethod, {
      value: () => `${arrays ? 'array' : 'object'} nested ${depth} deep`,
    });
    return value;
  });

/** JSON text of variables nested far deeper than a JavaScript value could be stringified. */
export const deepJson = fc
  .tuple(fc.integer({ min: 2_000, max: 300_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? `{"v":${'['.repeat(depth)}${']'.repeat(depth)}}`
      : `{"v":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
  );

/** A bar input of a symbol, its fields sometimes wrong. */
function barLike(symbols: fc.Arbitrary<string>) {
  return fc.record(
    {
      symbol: fc.oneof(symbols, hostileString),
      ts: fc.oneof(
        fc
          .integer({ min: 0, max: 389 })
          .map((m) => new Date(Date.UTC(2011, 0, 11, 14, 30 + m)).toISOString()),
        hostileString,
        edgeNumber,
      ),
      open: fc.oneof(edgeNumber, hostileString),
      high: edgeNumber,
      low: edgeNumber,
      close: edgeNumber,
      volume: fc.oneof(edgeNumber, fc.constant(null)),
      vwap: fc.oneof(edgeNumber, fc.constant(null)),
      tradeCount: fc.oneof(edgeNumber, fc.constant(null)),
    },
    { requiredKeys: ['symbol', 'ts', 'open', 'high', 'low', 'close'] },
  );
}

/** Variables: typed for our documents (often wrong), random JSON, deep, huge, or not an object. */
export function variables(symbols: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.record(
      {
        s: fc.oneof(symbols, hostileString, fc.array(symbols, { maxLength: 4 })),
        n: edgeNumber,
        f: edgeNumber,
        a: hostileString,
        d: hostileString,
        t: hostileString,
        b: fc.array(barLike(symbols), { maxLength: 30 }),
        i: fc.oneof(
          fc.record({
            symbol: fc.oneof(symbols, hostileString),
            historicalDays: edgeNumber,
            derivedIntervals: fc.array(hostileString, { maxLength: 3 }),
          }),
          fc.array(hostileString, { maxLength: 3 }),
        ),
        c: fc.oneof(fc.boolean(), edgeNumber),
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(hostileString, jsonValue, { maxKeys: 6 }),
    deepValue.map((v) => ({ s: v, b: v })),
    fc
      .integer({ min: 10_001, max: 60_000 })
      .map((n) => ({ b: new Array(n).fill({ symbol: 'FZA' }), s: new Array(n).fill('SPY') })),
    jsonValue,
  );
}

/** One edit of a document's text. */
type Edit =
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'repeat'; readonly at: number; readonly length: number; readonly times: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      '{',
      '}',
      '(',
      ')',
      '[',
      ']',
      '$',
      '@skip(if: true)',
      '...',
      '"',
      '#',
      '\u0000',
      'a:',
      ':',
      ',',
      'x',
      '!',
      '=',
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 30 }),
    times: fc.integer({ min: 2, max: 400 }),
  }),
);

function mutate(query: string, edits: readonly Edit[]): string {
  let text = query;
  for (const e of edits) {
    const at = text.length === 0 ? 0 : e.at % text.length;
    if (e.kind === 'insert') text = text.slice(0, at) + e.text + text.slice(at);
    else if (e.kind === 'delete') text = text.slice(0, at) + text.slice(at + e.length);
    else {
      const piece = text.slice(at, at + e.length);
      text = text.slice(0, at) + piece.repeat(e.times) + text.slice(at + piece.length);
    }
  }
  return text;
}

/** Nesting of every kind: lists, objects, selections, parentheses, fragments spread in a loop. */
const nestedDocument = fc.oneof(
  fc
    .integer({ min: 10, max: 5_000 })
    .map((n) => `{ session { symbols(symbols: ${'['.repeat(n)}"SPY"${']'.repeat(n)}) { symbol } } }`),
  fc
    .integer({ min: 10, max: 3_000 })
    .map((n) => `{ tradingDay(date: ${'{a: '.repeat(n)}1${'}'.repeat(n)}) { date } }`),
  fc
    .integer({ min: 5, max: 1_000 })
    .map((n) => `{ session { ${'symbols { '.repeat(n)}symbol${' }'.repeat(n)} } }`),
  fc.integer({ min: 5, max: 2_000 }).map((n) => `{ ${'('.repeat(n)} }`),
  fc.constant('query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }'),
  fc
    .integer({ min: 2, max: 400 })
    .map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: session { date }`).join(' ')} }`),
  fc.integer({ min: 2, max: 3_000 }).map((n) => `{ session { date ${'@skip(if: false) '.repeat(n)} } }`),
  fc
    .integer({ min: 2, max: 20_000 })
    .map((n) => `{ session { symbols(symbols: [${'"SPY",'.repeat(n)}]) { symbol } } }`),
);

/** A document: valid, mutated, nested, random text, or not a string. */
export const document: fc.Arbitrary<{ query: unknown; mutation: boolean }> = fc.oneof(
  fc.constantFrom(...OPERATIONS),
  fc
    .tuple(fc.constantFrom(...OPERATIONS), fc.array(edit, { minLength: 1, maxLength: 4 }))
    .map(([op, edits]) => ({ query: mutate(op.query, edits), mutation: op.mutation })),
  nestedDocument.map((query) => ({ query, mutation: false })),
  hostileString.map((query) => ({ query, mutation: false })),
  fc
    .oneof(edgeNumber, fc.constant(null), fc.array(fc.string()), fc.object())
    .map((query) => ({ query, mutation: false })),
);

/** Which token a request carries. */
export const tokenChoice = fc.constantFrom('none', 'wrong', 'valid', 'malformed') as fc.Arbitrary<
  'none' | 'wrong' | 'valid' | 'malformed'
>;

/** The HTTP envelope of one request to /graphql. */
export interface HttpCase {
  readonly method: string;
  readonly contentType: string | null;
  readonly accept: string | null;
  readonly body: 'json' | 'raw' | 'none';
  readonly raw: string;
  readonly extra: Record<string, unknown>;
  readonly operationName: unknown;
  readonly queryString: string;
}

export const httpCase: fc.Arbitrary<HttpCase> = fc.record({
  method: fc.oneof(
    { weight: 8, arbitrary: fc.constant('POST') },
    { weight: 4, arbitrary: fc.constant('GET') },
    { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
  ),
  contentType: fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        null,
        'text/plain',
        'application/xml',
        '*/*',
        'application/graphql',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        'application/json, text/plain',
      ),
    },
  ),
  accept: fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        '*/*',
        'application/json',
        'application/graphql-response+json',
        'text/event-stream',
        'multipart/mixed',
        'text/html',
        'text/xml',
        'application/*',
        'application/json;q=0, text/event-stream',
        ';;;,,,',
      ),
    },
  ),
  body: fc.oneof(
    { weight: 8, arbitrary: fc.constant('json' as const) },
    { weight: 1, arbitrary: fc.constantFrom('raw' as const, 'none' as const) },
  ),
  raw: fc.oneof(
    fc.string({ unit: 'binary' }),
    deepJson.map(
      (vars) =>
        `{"query":"query($v: [String]) { session { symbols(symbols: $v) { symbol } } }","variables":${vars}}`,
    ),
    fc.constantFrom(
      '{"query":',
      '[1,',
      'null',
      '[]',
      '"x"',
      '{"query":"{ session { date } }"',
      '\u0000\u0001',
    ),
  ),
  extra: fc.dictionary(fc.constantFrom('extensions', 'foo', '__proto__', 'constructor', 'query'), jsonValue, {
    maxKeys: 2,
  }),
  operationName: fc.oneof(fc.constant(undefined), hostileString, edgeNumber, fc.constant(null)),
  queryString: fc.oneof(
    { weight: 6, arbitrary: fc.constant('') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '?token=nope',
        '?variables=%7Bbad',
        '?extensions=%5B',
        '?query=',
        '?%zz',
        '?operationName=x&query=%7B',
      ),
    },
  ),
});

/** A graphql-ws client message, well-formed or not. */
export const wsFrame: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc
    .tuple(fc.uuid(), deepJson)
    .map(
      ([id, vars]) =>
        `{"id":"${id}","type":"subscribe","payload":{"query":"subscription($v: [String!]) { sessionEvents(symbols: $v) { kind } }","variables":${vars}}}`,
    ),
  fc
    .record(
      {
        id: fc.oneof(fc.uuid(), hostileString, edgeNumber),
        type: fc.constantFrom(
          'subscribe',
          'complete',
          'ping',
          'pong',
          'connection_init',
          'next',
          'error',
          'nope',
        ),
        payload: fc.oneof(
          jsonValue,
          fc.record({
            query: fc.oneof(fc.constantFrom(...OPERATIONS.map((o) => o.query)), hostileString),
            variables: jsonValue,
          }),
        ),
      },
      { requiredKeys: [] },
    )
    .map((m) => JSON.stringify(m)),
  hostileString,
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);
