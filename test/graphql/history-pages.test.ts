/**
 * Pages of stored history (keyset in SQL, derived intervals aggregated in SQL) against the tree:
 * for random pages of every interval — base, 5m, odd windows (7m, 13m, 7s), 1h, 1d, regular and
 * extended hours, 1m and 1s bases, with gaps, bars outside the session window, misaligned bars,
 * null vwaps and trade counts and fractional volumes — the API's answer is byte for byte what the
 * tree computes (src/session/historical-data.ts over every date of the range, paged by
 * src/graphql/paging.ts), with one SQL statement per request. On PGlite and on PostgreSQL.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextTradingDate, nyDate, sessionWindow } from '../../src/domain/calendar.ts';
import type { Bar, IsoDate, StoredBar } from '../../src/domain/types.ts';
import { DEFAULT_LIMITS } from '../../src/graphql/limits.ts';
import { encodeCursor, pageBars } from '../../src/graphql/paging.ts';
import { createYoga, type SessionYoga } from '../../src/graphql/yoga.ts';
import { SessionService } from '../../src/service/session-service.ts';
import { HistoricalData } from '../../src/session/historical-data.ts';
import { SessionData } from '../../src/session/session-data.ts';
import type { BarRecord } from '../../src/store/bar-repository.ts';
import type { Database } from '../../src/store/database.ts';
import { createLoaders } from '../../src/store/loaders.ts';
import { Repository } from '../../src/store/repository.ts';
import { StoreWriter } from '../../src/store/writer.ts';
import { createTestDatabase, type TestDatabase, testDrivers } from '../helpers/db.ts';
import { ADMIN_TOKEN } from '../helpers/gql.ts';

const SESSION: IsoDate = '2024-03-15';
const FIRST: IsoDate = '2024-03-04';
/** A trading date after the session date: stored, read through an explicit `to`. */
const LATER: IsoDate = '2024-03-18';

interface SymbolCase {
  readonly symbol: string;
  readonly base: '1m' | '1s';
  readonly derived: readonly string[];
  readonly extendedHours: boolean;
  /** Share of the extended session's slots that hold a stored bar. */
  readonly density: number;
}

const SYMBOLS: readonly SymbolCase[] = [
  { symbol: 'REG', base: '1m', derived: ['5m', '7m', '1h', '1d'], extendedHours: false, density: 0.9 },
  { symbol: 'EXT', base: '1m', derived: ['13m', '1d'], extendedHours: true, density: 0.6 },
  { symbol: 'SEC', base: '1s', derived: ['7s', '1m', '1d'], extendedHours: false, density: 0.04 },
];

function storedDatesOf(): IsoDate[] {
  const dates: IsoDate[] = [];
  for (let d = FIRST; d <= LATER; d = nextTradingDate(d)) if (d !== SESSION) dates.push(d);
  return dates;
}

/**
 * A deterministic pseudo-random generator (the data must be the same on both drivers) of doubles
 * with a full 53-bit mantissa, so that sums of them depend on the order of the additions.
 */
function random(seed: number): () => number {
  let state = seed >>> 0;
  const step = () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state;
  };
  return () => (step() * 2 ** 21 + (step() >>> 11)) / 2 ** 53;
}

function makeRows(c: SymbolCase, seed: number): BarRecord[] {
  const next = random(seed);
  const baseMs = c.base === '1m' ? 60_000 : 1_000;
  const rows: BarRecord[] = [];
  for (const date of storedDatesOf()) {
    const window = sessionWindow(date, true)!;
    let price = 50 + next() * 100;
    for (let ts = window.start; ts < window.end; ts += baseMs) {
      if (next() > c.density) continue;
      const misaligned = next() < 0.005;
      const open = price;
      const close = price * (1 + (next() - 0.5) / 500);
      price = close;
      const bar: StoredBar = {
        ts: misaligned ? ts + baseMs / 2 : ts,
        open,
        high: Math.max(open, close) * (1 + next() / 1000),
        low: Math.min(open, close) * (1 - next() / 1000),
        close,
        volume: next() < 0.02 ? 0 : next() * 10_000,
        vwap: next() < 0.03 ? null : (open + close) / 2 + next() / 100,
        tradeCount: next() < 0.03 ? null : Math.floor(next() * 500),
        revision: Math.floor(next() * 3),
      };
      rows.push({ symbol: c.symbol, interval: c.base, sessionDate: nyDate(bar.ts), ...bar });
    }
  }
  return rows;
}

/** A bar as the API writes it (every field). */
function json(bar: Bar) {
  return {
    ts: new Date(bar.ts).toISOString(),
    endTs: new Date(bar.endTs).toISOString(),
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
    vwap: bar.vwap,
    tradeCount: bar.tradeCount,
    complete: bar.complete,
    baseBars: bar.baseBars,
    revision: bar.revision,
  };
}

const NODE_FIELDS = 'ts endTs open high low close volume vwap tradeCount complete baseBars revision';

interface PageQuery {
  readonly symbol: SymbolCase;
  readonly interval: string;
  readonly from: number | null;
  readonly to: number | null;
  readonly first: number | null;
  readonly last: number | null;
  readonly after: number | null;
  readonly before: number | null;
  readonly count: boolean;
  /** Bar fields besides ts (null: every one); read through `edges { node }` when `edges`. */
  readonly fields?: readonly string[] | null;
  readonly edges?: boolean;
}

const ALL_FIELDS = NODE_FIELDS.split(' ').filter((f) => f !== 'ts');

function pick(bar: Record<string, unknown>, fields: readonly string[] | null | undefined) {
  if (fields === null || fields === undefined) return bar;
  return Object.fromEntries(['ts', ...fields].map((f) => [f, bar[f]]));
}

function selectionOf(q: PageQuery): string {
  const fields = q.fields === null || q.fields === undefined ? NODE_FIELDS : ['ts', ...q.fields].join(' ');
  return q.edges ? `edges { cursor node { ...F } }` : `nodes { ${fields} }`;
}

function argsText(q: PageQuery): string {
  const parts: string[] = [];
  if (q.from !== null) parts.push(`from: "${new Date(q.from).toISOString()}"`);
  if (q.to !== null) parts.push(`to: "${new Date(q.to).toISOString()}"`);
  if (q.first !== null) parts.push(`first: ${q.first}`);
  if (q.last !== null) parts.push(`last: ${q.last}`);
  if (q.after !== null) parts.push(`after: "${encodeCursor(q.after)}"`);
  if (q.before !== null) parts.push(`before: "${encodeCursor(q.before)}"`);
  return parts.length === 0 ? '' : `(${parts.join(', ')})`;
}

describe.each(testDrivers())('stored history pages on %s', (driver) => {
  let db: TestDatabase;
  let database: Database;
  let yoga: SessionYoga;
  let service: SessionService;
  let writer: StoreWriter;
  const byDate = new Map<string, Map<IsoDate, StoredBar[]>>();

  beforeAll(async () => {
    db = await createTestDatabase(driver);
    database = db.database;
    const repo = new Repository(database);
    for (const [i, c] of SYMBOLS.entries()) {
      const rows = makeRows(c, 17 + i);
      await repo.upsertBars(rows);
      const dates = new Map<IsoDate, StoredBar[]>();
      for (const { symbol: _s, interval: _i, sessionDate, ...bar } of rows) {
        const list = dates.get(sessionDate) ?? [];
        list.push(bar);
        dates.set(sessionDate, list);
      }
      byDate.set(c.symbol, dates);
    }
    const session = new SessionData();
    writer = new StoreWriter(repo);
    service = new SessionService(session, repo, writer);
    yoga = createYoga({ service, adminToken: ADMIN_TOKEN, createLoaders: () => createLoaders(repo) });
    await service.startSession(SESSION, 'MANUAL');
    for (const c of SYMBOLS) {
      await service.loadSymbol({
        symbol: c.symbol,
        baseInterval: c.base,
        derivedIntervals: [...c.derived],
        historicalDays: 2,
        extendedHours: c.extendedHours,
      });
    }
  }, 120_000);

  afterAll(async () => {
    service?.dispose();
    await yoga?.dispose();
    await writer?.close();
    await db?.dispose();
  });

  const gql = async (query: string) => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  };

  /** The tree's answer: every trading date of the range but the session date, paged by pageBars. */
  function expected(q: PageQuery) {
    const c = q.symbol;
    const dates = byDate.get(c.symbol)!;
    const memory = service.session.symbol(c.symbol)!;
    const first = q.from === null ? memory.historical.dates[0]! : nyDate(q.from);
    const last = q.to === null ? SESSION : nyDate(q.to - 1);
    const chosen = new Map<IsoDate, StoredBar[]>();
    for (const [date, bars] of dates) if (date >= first && date <= last) chosen.set(date, bars);
    const tree = new HistoricalData(true, chosen, memory.historicalSpecs, c.extendedHours, []);
    const page = pageBars(
      tree.interval(q.interval)!,
      {
        from: q.from,
        to: q.to,
        first: q.first,
        last: q.last,
        after: q.after === null ? null : encodeCursor(q.after),
        before: q.before === null ? null : encodeCursor(q.before),
      },
      DEFAULT_LIMITS,
    );
    return {
      ...(q.count ? { totalCount: page.totalCount } : {}),
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: page.hasPreviousPage,
        startCursor: page.startCursor,
        endCursor: page.endCursor,
      },
      ...(q.edges
        ? { edges: page.edges.map((e) => ({ cursor: e.cursor, node: pick(json(e.node), q.fields) })) }
        : { nodes: page.nodes.map((b) => pick(json(b), q.fields)) }),
    };
  }

  async function check(queries: readonly PageQuery[]) {
    const fields = queries.map(
      (q, i) => `p${i}: symbol(symbol: "${q.symbol.symbol}") { historical { interval(name: "${q.interval}") {
        bars${argsText(q)} { ${q.count ? 'totalCount' : ''} pageInfo { hasNextPage hasPreviousPage startCursor endCursor } ${selectionOf(q)} } } } }`,
    );
    const edgeFields = queries.find((q) => q.edges)?.fields;
    const fragment = queries.some((q) => q.edges)
      ? `fragment F on Bar { ${edgeFields === null || edgeFields === undefined ? NODE_FIELDS : ['ts', ...edgeFields].join(' ')} }`
      : '';
    const statements: string[] = [];
    const stop = database.onStatement((query) => statements.push(query));
    const r = await gql(`{ ${fields.join('\n')} } ${fragment}`);
    stop();
    expect(r.errors).toBeUndefined();
    const got = queries.map(
      (_q, i) =>
        (r.data![`p${i}`] as { historical: { interval: { bars: unknown } } }).historical.interval.bars,
    );
    expect(JSON.stringify(got)).toBe(JSON.stringify(queries.map(expected)));
    expect(statements.filter((s) => /select/i.test(s)).length).toBeLessThanOrEqual(1);
  }

  const day = (date: IsoDate) => sessionWindow(date, true)!;
  const instant = fc.oneof(
    fc
      .constantFrom(...storedDatesOf(), SESSION)
      .chain((date) => fc.integer({ min: day(date).start - 3_600_000, max: day(date).end + 3_600_000 })),
    fc.constantFrom(...storedDatesOf()).map((date) => day(date).start + 5.5 * 3_600_000),
  );
  const pageQuery = fc.record({
    symbol: fc.constantFrom(...SYMBOLS),
    pick: fc.nat(),
    from: fc.option(instant, { nil: null, freq: 4 }),
    to: fc.option(instant, { nil: null, freq: 4 }),
    first: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
    last: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
    after: fc.option(instant, { nil: null, freq: 2 }),
    before: fc.option(instant, { nil: null, freq: 2 }),
    count: fc.boolean(),
    fields: fc.option(fc.subarray(ALL_FIELDS), { nil: null }),
    edges: fc.boolean(),
  });

  it('answers every random page exactly as the tree, in one statement per request', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(pageQuery, { minLength: 1, maxLength: 4 }), async (raw) => {
        const edgeFields = raw.find((q) => q.edges)?.fields;
        const queries = raw.map(({ pick, ...q }): PageQuery => {
          const names = [q.symbol.base, ...q.symbol.derived];
          // One fragment F serves every edges read of a request: they share its fields.
          return {
            ...q,
            fields: q.edges ? (edgeFields ?? null) : q.fields,
            interval: names[pick % names.length]!,
          };
        });
        await check(queries);
      }),
      { numRuns: driver === 'pglite' ? 200 : 300 },
    );
  }, 300_000);

  it('reads every symbol and interval of a request in one statement, counting only when asked', async () => {
    const from = day(FIRST).start;
    const to = day(LATER).end;
    const fields = SYMBOLS.flatMap((c) =>
      [c.base, ...c.derived].map(
        (
          name,
          i,
        ) => `${c.symbol}${i}: symbol(symbol: "${c.symbol}") { historical { interval(name: "${name}") {
          bars(from: "${new Date(from).toISOString()}", to: "${new Date(to).toISOString()}", first: 5) { nodes { ts volume } } } } }`,
      ),
    );
    const statements: string[] = [];
    const stop = database.onStatement((query) => statements.push(query));
    const r = await gql(`{ ${fields.join('\n')} }`);
    stop();
    expect(r.errors).toBeUndefined();
    expect(Object.keys(r.data!)).toHaveLength(fields.length);
    const selects = statements.filter((s) => /select/i.test(s));
    expect(selects).toHaveLength(1);
    expect(selects[0]).not.toMatch(/3::int4 as part/); // the count part
    expect(selects[0]).not.toMatch(/b\.open::|w\.open\]/); // only the fields read are sent
  });

  it('reads whole ranges of every interval as the tree does, first to last and back', async () => {
    const from = day(FIRST).start - 3_600_000;
    const to = day(LATER).end;
    for (const c of SYMBOLS) {
      for (const interval of [c.base, ...c.derived]) {
        const size = interval === c.base && c.base === '1s' ? 2_000 : 500;
        await check([
          { symbol: c, interval, from, to, first: size, last: null, after: null, before: null, count: true },
          { symbol: c, interval, from, to, first: null, last: size, after: null, before: null, count: true },
          {
            symbol: c,
            interval,
            from: day('2024-03-06').start + 37 * 60_000,
            to: day('2024-03-12').start + 91 * 60_000,
            first: null,
            last: null,
            after: null,
            before: null,
            count: false,
          },
        ]);
      }
    }
  }, 300_000);
});
