/**
 * The read path's executor (src/graphql/hot-path.ts, with its per-bar fragments) against a fresh
 * execution by graphql-jit: random documents — aliases, fragments, inline fragments, literal
 * @skip/@include, variables, __typename, bad arguments that must turn into the same errors — over a
 * tree that a random feed keeps changing (new bars, out-of-order bars, corrections, the clock,
 * loads with new settings, removals), in random interleavings. Every answer must be byte for byte
 * the fresh one, with the result cache on and off.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { sessionWindow, tradingDatesBefore } from '../../src/domain/calendar.ts';
import type { FeedState, FeedStatus } from '../../src/domain/feed-health.ts';
import type { SymbolSettingsInput } from '../../src/domain/symbol-settings.ts';
import type {
  BarInput,
  IngestResult,
  Instant,
  IsoDate,
  QuoteInput,
  StoredBar,
  TickInput,
} from '../../src/domain/types.ts';
import { setFragmentBudget } from '../../src/graphql/bar-fragments.ts';
import type { GraphqlService } from '../../src/graphql/context.ts';
import { hotPathStats } from '../../src/graphql/hot-path.ts';
import { encodeCursor } from '../../src/graphql/paging.ts';
import { createYoga, type SessionYoga } from '../../src/graphql/yoga.ts';
import { SessionData } from '../../src/session/session-data.ts';
import type { SymbolSessionData } from '../../src/session/symbol-session-data.ts';

const DATE: IsoDate = '2024-03-15';
const WINDOW = sessionWindow(DATE, false)!;
const EXTENDED = sessionWindow(DATE, true)!;

/** Stored days of the historical window, the same for every load. */
function history(symbol: string, days: number): Map<IsoDate, StoredBar[]> {
  const out = new Map<IsoDate, StoredBar[]>();
  for (const [d, date] of tradingDatesBefore(DATE, days).entries()) {
    const start = sessionWindow(date, false)!.start;
    const bars: StoredBar[] = [];
    for (let m = 0; m < 390; m += 1 + ((m * 7 + symbol.length) % 3)) {
      const price = 100 + d + m / 1000;
      bars.push({
        ts: start + m * 60_000,
        open: price,
        high: price + 0.5,
        low: price - 0.5,
        close: price + 0.1,
        volume: 1000 + m,
        vwap: m % 11 === 0 ? null : price,
        tradeCount: m % 13 === 0 ? null : m,
        revision: 0,
      });
    }
    out.set(date, bars);
  }
  return out;
}

/** The session service reduced to the tree. */
class TreeService implements GraphqlService {
  constructor(readonly session: SessionData) {}
  async startSession(date: IsoDate, mode: 'LIVE' | 'REPLAY' | 'MANUAL'): Promise<void> {
    this.session.start(date, mode);
  }
  async endSession(): Promise<void> {
    this.session.end();
  }
  async advanceClock(to: number): Promise<void> {
    this.session.advanceClock(to);
  }
  async loadSymbol(input: SymbolSettingsInput): Promise<SymbolSessionData> {
    const { data } = this.session.beginLoad(input);
    const days = input.historicalDays ?? 2;
    return this.session.completeLoad(data.symbol, history(data.symbol, days), []) ?? data;
  }
  async removeSymbol(symbol: string): Promise<boolean> {
    return this.session.removeSymbol(symbol);
  }
  ingestBars(bars: readonly BarInput[]): IngestResult {
    return this.session.ingestBars(bars);
  }
  ingestQuotes(quotes: readonly QuoteInput[]): IngestResult {
    return this.session.ingestQuotes(quotes);
  }
  ingestTicks(ticks: readonly TickInput[]): IngestResult {
    return this.session.ingestTicks(ticks);
  }
  async reportFeedStatus(
    feed: string,
    status: FeedStatus,
    at: Instant,
    reason: string | null,
  ): Promise<FeedState> {
    return this.session.reportFeedStatus(feed, status, at, reason);
  }
}

const SETTINGS: readonly SymbolSettingsInput[] = [
  { symbol: 'AAA', derivedIntervals: ['5m', '15m'], historicalDays: 2 },
  { symbol: 'AAA', derivedIntervals: ['7m', '1h', '1d'], historicalDays: 1 },
  { symbol: 'BBB', derivedIntervals: ['5m', '1d'], extendedHours: true, historicalDays: 0 },
  { symbol: 'CCC', baseInterval: '1s', derivedIntervals: ['7s', '1m', '1d'], historicalDays: 0 },
  { symbol: 'DDD', derivedIntervals: ['13m'], historicalDays: 2 },
];

// --- random documents --------------------------------------------------------------------------

const BAR_FIELDS = [
  'ts',
  'endTs',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'vwap',
  'tradeCount',
  'complete',
  'baseBars',
  'revision',
  '__typename',
];

const some = (fields: readonly string[]) => fc.subarray([...fields], { minLength: 1 });
const joinAll = (parts: readonly string[]) => parts.join(' ');

const barSelection = fc.oneof(
  some(BAR_FIELDS).map(joinAll),
  some(BAR_FIELDS).map((f) => `${joinAll(f)} closeA: close ${f[0]}`),
  some(BAR_FIELDS).map((f) => `ts ... on Bar { ${joinAll(f)} }`),
  fc.constant('...BarFields'),
  some(BAR_FIELDS).map((f) => `close @skip(if: true) ${joinAll(f)} open @include(if: false)`),
);

const instant = fc.integer({ min: EXTENDED.start - 600_000, max: EXTENDED.end + 600_000 });
const badBarsArgs = fc.constantFrom(
  '(first: -1)',
  '(first: 20000)',
  '(after: "not a cursor")',
  '(from: "2024-03-15T10:00:00")',
);
const barsArgs = fc.oneof(
  { weight: 1, arbitrary: badBarsArgs },
  {
    weight: 12,
    arbitrary: fc.oneof(
      fc.constant(''),
      fc.constant('(last: 100)'),
      fc.integer({ min: 0, max: 40 }).map((n) => `(first: ${n})`),
      fc.integer({ min: 0, max: 40 }).map((n) => `(last: ${n})`),
      fc.constant('(first: $first)'),
      fc
        .tuple(instant, instant)
        .map(
          ([a, b]) => `(from: "${new Date(a).toISOString()}", to: "${new Date(b).toISOString()}", first: 30)`,
        ),
      fc
        .tuple(instant, fc.integer({ min: 1, max: 20 }))
        .map(([a, n]) => `(after: "${encodeCursor(a)}", first: ${n})`),
      fc
        .tuple(instant, fc.integer({ min: 1, max: 20 }))
        .map(([a, n]) => `(before: "${encodeCursor(a)}", last: ${n})`),
    ),
  },
);

const connection = fc
  .tuple(
    barSelection,
    fc.subarray(['nodes', 'edges', 'pageInfo', 'totalCount', '__typename'], { minLength: 1 }),
  )
  .map(([bar, parts]) =>
    parts
      .map((part) =>
        part === 'nodes'
          ? `nodes { ${bar} }`
          : part === 'edges'
            ? `edges { cursor node { ${bar} } }`
            : part === 'pageInfo'
              ? 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }'
              : part,
      )
      .join(' '),
  );

const interval = fc
  .tuple(
    fc.subarray(['name', 'derived', 'base', 'quality', 'gapCount', 'missingBars', 'barCount', '__typename']),
    fc.boolean(),
    fc.option(barSelection, { nil: null }),
    fc.option(fc.tuple(barsArgs, connection), { nil: null }),
  )
  .map(([leaves, gaps, latest, bars]) => {
    const parts = [...leaves];
    if (gaps) parts.push('gaps { start end missingBars }');
    if (latest !== null) parts.push(`latestBar { ${latest} }`);
    if (bars !== null) parts.push(`bars${bars[0]} { ${bars[1]} }`);
    if (parts.length === 0) parts.push('name');
    return parts.join(' ');
  });

const symbolSelection = fc
  .tuple(
    fc.subarray(['symbol', 'baseInterval', 'derivedIntervals', 'loaded', 'extendedHours', 'historicalDays']),
    fc.option(some(['volume', 'high', 'low', 'open', 'last', 'vwap', 'barCount', 'lastUpdate']), {
      nil: null,
    }),
    fc.option(interval, { nil: null }),
    fc.option(
      fc.tuple(fc.constantFrom('"5m"', '"60m"', '"1d"', '"7s"', '"13m"', '"bad!"', '$name'), interval),
      { nil: null },
    ),
    fc.option(fc.tuple(fc.constantFrom('', '(last: 3)'), barSelection), { nil: null }),
    fc.boolean(),
  )
  .map(([leaves, metrics, intervals, one, latest, historical]) => {
    const parts = [...leaves];
    if (metrics !== null) parts.push(`metrics { ${joinAll(metrics)} }`);
    if (intervals !== null) parts.push(`intervals { ${intervals} }`);
    if (one !== null) parts.push(`one: interval(name: ${one[0]}) { ${one[1]} }`);
    if (latest !== null) parts.push(`latestBar { ${latest[1]} }`);
    if (historical) {
      parts.push(
        'historical { dates loaded intervals { name quality gapCount bars(first: 5) { totalCount nodes { ts close } } } }',
      );
    }
    if (parts.length === 0) parts.push('symbol');
    return parts.join(' ');
  });

const documentArb = fc
  .tuple(
    fc.subarray(['date', 'active', 'phase', 'clockMode', 'time', '__typename']),
    fc.option(
      fc.tuple(
        fc.constantFrom('', '(symbols: ["aaa", "CCC"])', '(loaded: true)', '(symbols: $symbols)'),
        symbolSelection,
      ),
      { nil: null },
    ),
    fc.option(
      fc.tuple(
        fc.constantFrom('"AAA"', '"bbb"', '"ZZZ"', '"CCC"', '"DDD"', '"not a symbol!"'),
        symbolSelection,
      ),
      {
        nil: null,
      },
    ),
    fc.boolean(),
  )
  .map(([leaves, symbols, one, named]) => {
    const parts = [...leaves];
    if (symbols !== null) parts.push(`symbols${symbols[0]} { ${symbols[1]} }`);
    const body = `session { ${parts.length === 0 ? 'date' : parts.join(' ')} }${one === null ? '' : ` x: symbol(symbol: ${one[0]}) { ${one[1]} }`}`;
    const usesFragment = body.includes('...BarFields');
    const header = named
      ? 'query Q($first: Int, $name: String!, $symbols: [String!])'
      : 'query($first: Int, $name: String!, $symbols: [String!])';
    // Unused variables are refused by validation: use each once in a field that is always there.
    const vars =
      'v1: symbol(symbol: "AAA") { interval(name: $name) { bars(first: $first) { totalCount } } } v2: session { symbols(symbols: $symbols) { symbol } }';
    return `${header} { ${body} ${vars} }${usesFragment ? ' fragment BarFields on Bar { ts close complete revision }' : ''}`;
  });

const variablesArb = fc.record({
  first: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 30 }) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant(-5) },
  ),
  name: fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom('1m', '5m', '15m', '1d', '2h') },
    { weight: 1, arbitrary: fc.constant('nope!') },
  ),
  symbols: fc.oneof(
    { weight: 5, arbitrary: fc.constant(['AAA', 'DDD']) },
    { weight: 4, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant(['x y']) },
  ),
});

// --- random feed ---------------------------------------------------------------------------------

type Command =
  | { readonly kind: 'bars'; readonly bars: readonly { symbol: number; minute: number; tweak: number }[] }
  | { readonly kind: 'clock'; readonly minutes: number }
  | { readonly kind: 'load'; readonly settings: number }
  | { readonly kind: 'remove'; readonly symbol: number }
  | { readonly kind: 'query'; readonly document: number; readonly variables: Record<string, unknown> };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(
        fc.record({
          symbol: fc.nat(4),
          minute: fc.oneof(fc.integer({ min: 0, max: 389 }), fc.integer({ min: 0, max: 30 })),
          tweak: fc.integer({ min: 0, max: 3 }),
        }),
        { minLength: 1, maxLength: 30 },
      )
      .map((bars): Command => ({ kind: 'bars', bars })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 45 }).map((minutes): Command => ({ kind: 'clock', minutes })),
  },
  {
    weight: 1,
    arbitrary: fc.nat(SETTINGS.length - 1).map((settings): Command => ({ kind: 'load', settings })),
  },
  { weight: 1, arbitrary: fc.nat(4).map((symbol): Command => ({ kind: 'remove', symbol })) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.nat(3), variablesArb)
      .map(([document, variables]): Command => ({ kind: 'query', document, variables })),
  },
);

const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD', 'EEE'];

describe('the read path executor', () => {
  const yogas: SessionYoga[] = [];
  afterAll(async () => {
    for (const yoga of yogas) await yoga.dispose();
  });

  async function setup() {
    const session = new SessionData();
    const service = new TreeService(session);
    session.start(DATE, 'MANUAL');
    for (const settings of SETTINGS) await service.loadSymbol(settings);
    const make = (options: { hotPath?: boolean; resultCache?: false }) => {
      const yoga = createYoga({ service, adminToken: 'x', graphiql: false, ...options });
      yogas.push(yoga);
      return yoga;
    };
    return {
      session,
      service,
      hot: make({ resultCache: false }),
      served: make({}),
      fresh: make({ hotPath: false, resultCache: false }),
    };
  }

  const post = async (yoga: SessionYoga, document: string, variables: Record<string, unknown>) => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: document, variables }),
    });
    return `${response.status} ${await response.text()}`;
  };

  /**
   * Runs one command; queries pick one of a few documents, so that the same compiled plans (and
   * their kept fragments) meet the tree again after it changed.
   */
  async function apply(
    world: Awaited<ReturnType<typeof setup>>,
    command: Command,
    clock: { minute: number },
    documents: readonly string[],
  ) {
    const { session, service } = world;
    if (command.kind === 'bars') {
      const batch: BarInput[] = command.bars.map(({ symbol, minute, tweak }) => {
        const name = SYMBOLS[symbol]!;
        const data = session.symbol(name);
        const baseMs = data?.day.base.spec.ms ?? 60_000;
        const start = data?.window.start ?? WINDOW.start;
        const ts = start + minute * (baseMs === 1_000 ? 7_000 : 60_000);
        const price = 50 + minute / 10 + tweak / 100;
        return {
          symbol: name,
          ts,
          open: price,
          high: price + 0.3 + tweak / 10,
          low: price - 0.2,
          close: price + 0.1,
          volume: 100 * (tweak + 1) + minute + 0.1 * tweak,
          vwap: tweak === 3 ? null : price + 0.05,
          tradeCount: tweak === 2 ? null : 10 + tweak,
        };
      });
      service.ingestBars(batch);
    } else if (command.kind === 'clock') {
      // Forward from where the clock is: windows close without their bars changing.
      clock.minute += command.minutes;
      if (session.time !== null) session.advanceClock(session.time + command.minutes * 60_000);
    } else if (command.kind === 'load') {
      await service.loadSymbol(SETTINGS[command.settings]!);
    } else if (command.kind === 'remove') {
      session.removeSymbol(SYMBOLS[command.symbol]!);
    } else {
      const document = documents[command.document % documents.length]!;
      const fresh = await post(world.fresh, document, command.variables);
      expect(await post(world.hot, document, command.variables)).toBe(fresh);
      expect(await post(world.served, document, command.variables)).toBe(fresh);
    }
  }

  it('answers every random document exactly as graphql-jit, while the tree changes', async () => {
    const before = { ...hotPathStats };
    await fc.assert(
      fc.asyncProperty(
        fc.array(documentArb, { minLength: 1, maxLength: 4 }),
        fc.array(commandArb, { minLength: 10, maxLength: 40 }),
        async (documents, commands) => {
          const world = await setup();
          const clock = { minute: 0 };
          for (const command of commands) await apply(world, command, clock, documents);
        },
      ),
      { numRuns: 40 },
    );
    // The plans answered many documents themselves (the others have errors: bad arguments).
    expect(hotPathStats.answered - before.answered).toBeGreaterThan(100);
    expect(hotPathStats.gaveUp - before.gaveUp).toBeGreaterThan(10);
  }, 300_000);

  it('stays exact when its caches are dropped for the byte budget over and over', async () => {
    setFragmentBudget(20_000);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(documentArb, { minLength: 1, maxLength: 3 }),
          fc.array(commandArb, { minLength: 10, maxLength: 30 }),
          async (documents, commands) => {
            const world = await setup();
            const clock = { minute: 0 };
            for (const command of commands) await apply(world, command, clock, documents);
          },
        ),
        { numRuns: 10 },
      );
    } finally {
      setFragmentBudget(128 * 1024 * 1024);
    }
  }, 300_000);

  it('stays exact with a feed running between concurrent requests', async () => {
    const world = await setup();
    const document =
      'query($first: Int, $name: String!, $symbols: [String!]) { session { time symbols(symbols: $symbols) { symbol metrics { volume vwap } intervals { name quality gaps { start } bars(last: 50) { nodes { ts open high low close volume complete revision } } } one: interval(name: $name) { bars(first: $first) { edges { cursor node { ts close } } } } } } }';
    const variables = { first: 20, name: '5m', symbols: null };
    let minute = 0;
    let stopped = false;
    let paused = false;
    const feed = (async () => {
      while (!stopped) {
        if (!paused) {
          minute = (minute + 1) % 390;
          world.service.ingestBars(
            ['AAA', 'BBB', 'DDD'].map((symbol, i) => ({
              symbol,
              ts: WINDOW.start + ((minute * (i + 3)) % 390) * 60_000,
              open: 10,
              high: 11 + (minute % 7),
              low: 9,
              close: 10.5,
              volume: minute + i,
              vwap: i === 1 ? null : 10.2,
              tradeCount: minute,
            })),
          );
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      for (let round = 0; round < 60; round++) {
        // Concurrent requests, the feed changing the tree between their steps; then, with the feed
        // paused, the same request by both executors must agree (the caches having seen it all).
        const answers = await Promise.all(
          Array.from({ length: 4 }, () => post(world.hot, document, variables)),
        );
        expect(answers.every((a) => a.startsWith('200 '))).toBe(true);
        paused = true;
        const fresh = await post(world.fresh, document, variables);
        expect(await post(world.hot, document, variables)).toBe(fresh);
        expect(await post(world.served, document, variables)).toBe(fresh);
        paused = false;
      }
    } finally {
      stopped = true;
      await feed;
    }
  }, 120_000);
});
