/**
 * Pages of stored history in SQL: any number of {@link HistoryPageRequest}s in ONE statement, each
 * costing what its page costs — an index range scan on the primary key (symbol, interval, ts) that
 * stops after the page's base bars, never a read of the whole range.
 *
 * - **Base interval**: `ORDER BY ts [DESC] LIMIT n + 1` over the stored days' windows (an
 *   `int8multirange` filter, plus alignment to the base interval, as the tree applies them).
 * - **Derived intervals**: the first (last) `n × k + 1` base bars of the range, where `k` is the most
 *   base bars one window holds, grouped by window. n windows hold at most n × k bars, so those rows
 *   reach at least n + 1 windows unless the range ends first: the first (last) n windows are whole,
 *   and whether the range holds more than n is known — without reading past the page.
 *   Windows are the tree's: start = the date's session start + j × ms (the date found by
 *   `width_bucket` over the days' starts), the last one truncated at the session end, `1d` the whole
 *   window. open / close are the first / last bar's (by ts), high / low the max / min, volume and
 *   Σ vwap × volume are `sum(… ORDER BY ts)` — PostgreSQL's `float8pl` adding the values one by one
 *   in time order, exactly as the tree adds them, so every figure is bit-identical to the tree's
 *   (vwap = Σ vwap × volume / volume is divided here, as the tree divides it; trade counts and
 *   revisions wrap to 32 bits as the tree's integer columns do).
 * - **Probes** (does a range hold a bar?) are `EXISTS`: one index descent each.
 * - **Counts** are computed by the server (`count(*)`, or distinct windows) without sending the rows.
 *
 * Rows carry the request's ordinal, and instants as float8 (exact below 2^53), so both drivers hand
 * back plain numbers.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { TimeWindow } from '../domain/calendar.ts';
import {
  baseBarsPerWindow,
  type HistoryPageRequest,
  type HistoryPageResult,
  type HistoryRange,
  windowStartAtOrAfter,
} from '../domain/history-page.ts';
import type { Bar } from '../domain/types.ts';
import { numberArrayLiteral, textArrayLiteral } from './pg-array.ts';
import { preparedRowsOf, type StoreTarget } from './sql.ts';

/** One row of the statement (parts: 0 base bar, 1 derived bar, 2 probe, 3 count). */
interface PageRow {
  i: number;
  part: number;
  j: number;
  ts: number | null;
  end_ts: number | null;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number | null;
  vwap: number | null;
  tc: number | null;
  rev: number | null;
  n: number | null;
}

/** A request's ranges in base-bar time, clipped to its days. */
interface Planned {
  readonly request: HistoryPageRequest;
  readonly page: (HistoryRange & { rows: number; descending: boolean }) | null;
  readonly probes: readonly (HistoryRange | null)[];
  readonly count: HistoryRange | null;
}

/** `[lo, hi)` of bars as the base bars it covers, clipped to the days; null when empty. */
function baseRange(request: HistoryPageRequest, range: HistoryRange): HistoryRange | null {
  const { days, grouping } = request;
  const first = days[0];
  const last = days.at(-1);
  if (first === undefined || last === undefined) return null;
  const lo = Math.max(first.start, windowStartAtOrAfter(days, grouping, range.lo));
  const hi = Math.min(last.end, windowStartAtOrAfter(days, grouping, range.hi));
  return lo < hi ? { lo, hi } : null;
}

function plan(request: HistoryPageRequest): Planned {
  const scan = request.page;
  const pageRange = scan === null ? null : baseRange(request, scan);
  const perWindow = baseBarsPerWindow(request.days, request.grouping, request.baseMs);
  return {
    request,
    page:
      pageRange === null || scan === null
        ? null
        : { ...pageRange, rows: scan.limit * perWindow + 1, descending: scan.descending },
    probes: request.probes.map((probe) => baseRange(request, probe)),
    count: request.count === null ? null : baseRange(request, request.count),
  };
}

/** `{[s,e),…}` of the days, as an `int8multirange`. */
function multirange(days: readonly TimeWindow[]): string {
  return `{${days.map((d) => `[${d.start},${d.end})`).join(',')}}`;
}

/** Window length of a request for SQL: 0 for the base interval and for `1d`. */
function stepOf(request: HistoryPageRequest): number {
  return request.grouping.kind === 'fixed' ? request.grouping.ms : 0;
}

const SCAN_COLUMNS = sql.raw(
  'b.ts, b.open, b.high, b.low, b.close, b.volume, b.vwap, b.trade_count, b.revision',
);

/** The stored base bars of key `k` in [k.lo, k.hi) inside its days, first or last k.lim of them. */
function scanOf(extra: SQL): SQL {
  const where = sql.raw(
    'b.symbol = k.symbol and b.interval = k.interval and b.ts >= k.lo and b.ts < k.hi and b.ts <@ k.days and b.ts % k.base_ms = 0',
  );
  return sql`(select ${SCAN_COLUMNS}${extra} from bars b where ${where}
      order by b.ts limit case when k.descending then 0 else k.lim end)
    union all
    (select ${SCAN_COLUMNS}${extra} from bars b where ${where}
      order by b.ts desc limit case when k.descending then k.lim else 0 end)`;
}

function basePagePart(keys: readonly { at: number; p: Planned }[]): SQL {
  const page = (x: { p: Planned }) => x.p.page!;
  return sql`select k.i, 0::int4 as part, 0::int4 as j, b.ts::float8 as ts,
      (b.ts + k.base_ms)::float8 as end_ts, b.open, b.high, b.low, b.close, b.volume, b.vwap,
      b.trade_count::float8 as tc, b.revision::float8 as rev, 1::float8 as n
    from unnest(${textArrayLiteral(keys.map((x) => x.p.request.symbol))}::text[],
      ${textArrayLiteral(keys.map((x) => x.p.request.interval))}::text[],
      ${numberArrayLiteral(keys.map((x) => x.p.request.baseMs))}::int8[],
      ${textArrayLiteral(keys.map((x) => multirange(x.p.request.days)))}::int8multirange[],
      ${numberArrayLiteral(keys.map((x) => page(x).lo))}::int8[],
      ${numberArrayLiteral(keys.map((x) => page(x).hi))}::int8[],
      ${numberArrayLiteral(keys.map((x) => page(x).rows))}::int4[],
      ${textArrayLiteral(keys.map((x) => String(page(x).descending)))}::bool[],
      ${numberArrayLiteral(keys.map((x) => x.at))}::int4[])
      as k(symbol, interval, base_ms, days, lo, hi, lim, descending, i)
    cross join lateral (${scanOf(sql.raw(''))}) b`;
}

/** Keys of the derived parts, with the days' starts and ends as arrays (computed once per key). */
function derivedKeys(
  keys: readonly { at: number; p: Planned; range: HistoryRange; rows: number; descending: boolean }[],
): SQL {
  return sql`(select u.*, array(select lower(r) from unnest(u.days) r) as starts,
        array(select upper(r) from unnest(u.days) r) as ends
      from unnest(${textArrayLiteral(keys.map((x) => x.p.request.symbol))}::text[],
        ${textArrayLiteral(keys.map((x) => x.p.request.interval))}::text[],
        ${numberArrayLiteral(keys.map((x) => x.p.request.baseMs))}::int8[],
        ${numberArrayLiteral(keys.map((x) => stepOf(x.p.request)))}::int8[],
        ${textArrayLiteral(keys.map((x) => multirange(x.p.request.days)))}::int8multirange[],
        ${numberArrayLiteral(keys.map((x) => x.range.lo))}::int8[],
        ${numberArrayLiteral(keys.map((x) => x.range.hi))}::int8[],
        ${numberArrayLiteral(keys.map((x) => x.rows))}::int4[],
        ${textArrayLiteral(keys.map((x) => String(x.descending)))}::bool[],
        ${numberArrayLiteral(keys.map((x) => x.at))}::int4[])
        as u(symbol, interval, base_ms, step, days, lo, hi, lim, descending, i) offset 0) k`;
}

/** Window start and end of a base bar `r` (with its date's bounds `r.ds`, `r.de`) for key `k`. */
const WINDOW_START = sql.raw(
  'case when k.step = 0 then r.ds else r.ds + (r.ts - r.ds) / k.step * k.step end',
);
const WINDOW_END = sql.raw(
  'case when k.step = 0 then r.de else least(r.ds + (r.ts - r.ds) / k.step * k.step + k.step, r.de) end',
);

function derivedPagePart(keys: readonly { at: number; p: Planned }[]): SQL {
  const rows = keys.map((x) => ({
    ...x,
    range: x.p.page!,
    rows: x.p.page!.rows,
    descending: x.p.page!.descending,
  }));
  return sql`select k.i, 1::int4 as part, 0::int4 as j, g.ws::float8 as ts, g.we::float8 as end_ts,
      g.open, g.high, g.low, g.close, g.volume, g.pv as vwap, g.tc::float8 as tc, g.rev::float8 as rev,
      g.n::float8 as n
    from ${derivedKeys(rows)}
    cross join lateral (
      select w.ws, w.we, (min(array[w.ts::float8, w.open]))[2] as open, max(w.high) as high,
        min(w.low) as low, (max(array[w.ts::float8, w.close]))[2] as close,
        sum(w.volume order by w.ts) as volume,
        case when count(w.vwap) = count(*) then sum(w.vwap * w.volume order by w.ts) end as pv,
        case when count(w.trade_count) = count(*) then sum(w.trade_count) end as tc,
        sum(w.revision) as rev, count(*) as n
      from (select r.*, ${WINDOW_START} as ws, ${WINDOW_END} as we
        from (select r.*, k.starts[r.d] as ds, k.ends[r.d] as de
          from (${scanOf(sql.raw(', width_bucket(b.ts, k.starts) as d'))}) r) r) w
      group by w.ws, w.we) g`;
}

function probePart(probes: readonly { at: number; j: number; p: Planned; range: HistoryRange }[]): SQL {
  return sql`select k.i, 2::int4 as part, k.j, null::float8 as ts, null::float8 as end_ts,
      null::float8 as open, null::float8 as high, null::float8 as low, null::float8 as close,
      null::float8 as volume, null::float8 as vwap, null::float8 as tc, null::float8 as rev,
      (exists (select 1 from bars b where b.symbol = k.symbol and b.interval = k.interval
        and b.ts >= k.lo and b.ts < k.hi and b.ts <@ k.days and b.ts % k.base_ms = 0))::int4::float8 as n
    from unnest(${textArrayLiteral(probes.map((x) => x.p.request.symbol))}::text[],
      ${textArrayLiteral(probes.map((x) => x.p.request.interval))}::text[],
      ${numberArrayLiteral(probes.map((x) => x.p.request.baseMs))}::int8[],
      ${textArrayLiteral(probes.map((x) => multirange(x.p.request.days)))}::int8multirange[],
      ${numberArrayLiteral(probes.map((x) => x.range.lo))}::int8[],
      ${numberArrayLiteral(probes.map((x) => x.range.hi))}::int8[],
      ${numberArrayLiteral(probes.map((x) => x.at))}::int4[],
      ${numberArrayLiteral(probes.map((x) => x.j))}::int4[])
      as k(symbol, interval, base_ms, days, lo, hi, i, j)`;
}

function countPart(keys: readonly { at: number; p: Planned }[]): SQL {
  // `lim` says which count: 1 every base bar, 0 the distinct windows.
  const rows = keys.map((x) => ({
    ...x,
    range: x.p.count!,
    rows: x.p.request.grouping.kind === 'base' ? 1 : 0,
    descending: false,
  }));
  return sql`select k.i, 3::int4 as part, 0::int4 as j, null::float8 as ts, null::float8 as end_ts,
      null::float8 as open, null::float8 as high, null::float8 as low, null::float8 as close,
      null::float8 as volume, null::float8 as vwap, null::float8 as tc, null::float8 as rev,
      (select case when k.lim = 1 then count(*) else count(distinct ${WINDOW_START}) end
        from (select b.ts, k.starts[width_bucket(b.ts, k.starts)] as ds from bars b
          where b.symbol = k.symbol and b.interval = k.interval and b.ts >= k.lo and b.ts < k.hi
            and b.ts <@ k.days and b.ts % k.base_ms = 0) r)::float8 as n
    from ${derivedKeys(rows)}`;
}

/** The base bar of a row. */
function baseBar(row: PageRow): Bar {
  return {
    ts: row.ts!,
    endTs: row.end_ts!,
    open: row.open!,
    high: row.high!,
    low: row.low!,
    close: row.close!,
    volume: row.volume!,
    vwap: row.vwap,
    tradeCount: row.tc,
    complete: true,
    baseBars: 1,
    revision: row.rev!,
  };
}

/** A derived bar of a row: vwap divided and integers wrapped as the tree's columns do. */
function derivedBar(row: PageRow): Bar {
  const volume = row.volume!;
  const tradeCount = row.tc === null ? -1 : row.tc | 0;
  return {
    ts: row.ts!,
    endTs: row.end_ts!,
    open: row.open!,
    high: row.high!,
    low: row.low!,
    close: row.close!,
    volume,
    vwap: row.vwap === null || !(volume > 0) ? null : row.vwap / volume,
    tradeCount: tradeCount === -1 ? null : tradeCount,
    complete: true,
    baseBars: row.n!,
    revision: row.rev! | 0,
  };
}

/**
 * Answers every request in ONE statement (none when nothing needs the store): results aligned with
 * `requests`.
 */
export async function readHistoryPages(
  target: StoreTarget,
  requests: readonly HistoryPageRequest[],
): Promise<HistoryPageResult[]> {
  const planned = requests.map(plan);
  const basePages: { at: number; p: Planned }[] = [];
  const derivedPages: { at: number; p: Planned }[] = [];
  const probes: { at: number; j: number; p: Planned; range: HistoryRange }[] = [];
  const counts: { at: number; p: Planned }[] = [];
  planned.forEach((p, at) => {
    if (p.page !== null) (p.request.grouping.kind === 'base' ? basePages : derivedPages).push({ at, p });
    p.probes.forEach((range, j) => {
      if (range !== null) probes.push({ at, j, p, range });
    });
    if (p.count !== null) counts.push({ at, p });
  });
  const parts: SQL[] = [];
  if (basePages.length > 0) parts.push(basePagePart(basePages));
  if (derivedPages.length > 0) parts.push(derivedPagePart(derivedPages));
  if (probes.length > 0) parts.push(probePart(probes));
  if (counts.length > 0) parts.push(countPart(counts));
  const rows =
    parts.length === 0 ? [] : await preparedRowsOf<PageRow>(target, sql.join(parts, sql.raw(' union all ')));

  const bars = requests.map((): Bar[] => []);
  const exists = requests.map((r) => r.probes.map(() => false));
  const totals = requests.map((r): number | null => (r.count === null ? null : 0));
  for (const row of rows) {
    const at = row.i;
    if (row.part === 0) bars[at]!.push(baseBar(row));
    else if (row.part === 1) bars[at]!.push(derivedBar(row));
    else if (row.part === 2) exists[at]![row.j] = row.n === 1;
    else totals[at] = row.n;
  }
  return planned.map((p, at) => {
    const got = bars[at]!;
    got.sort((x, y) => x.ts - y.ts);
    const limit = p.request.page?.limit ?? 0;
    const more = got.length > limit;
    const page = !more ? got : p.page?.descending ? got.slice(got.length - limit) : got.slice(0, limit);
    return { bars: page, more, exists: exists[at]!, count: totals[at]! };
  });
}
