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
import type { TimeWindow } from '../domain/calendar.ts';
import {
  baseBarsPerWindow,
  HISTORY_BAR_FIELDS,
  type HistoryBarField,
  type HistoryPageRequest,
  type HistoryPageResult,
  type HistoryRange,
  windowStartAtOrAfter,
} from '../domain/history-page.ts';
import type { Bar } from '../domain/types.ts';
import { numberArrayLiteral, textArrayLiteral } from './pg-array.ts';
import { preparedTextRowsOf, type StoreTarget } from './sql.ts';

/** The columns a statement may return, in this order (only those its parts use). */
const COLUMNS = [
  'i',
  'part',
  'j',
  'ts',
  'end_ts',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'vwap',
  'tc',
  'rev',
  'n',
] as const;
type Column = (typeof COLUMNS)[number];
const COLUMN_TYPES: Readonly<Record<Column, string>> = {
  i: 'int4',
  part: 'int4',
  j: 'int4',
  ts: 'float8',
  end_ts: 'float8',
  open: 'float8',
  high: 'float8',
  low: 'float8',
  close: 'float8',
  volume: 'float8',
  vwap: 'float8',
  tc: 'float8',
  rev: 'float8',
  n: 'float8',
};

/** The kinds of rows (the `part` column, sent only when a statement mixes them). */
const BASE = 0;
const DERIVED = 1;
const PROBE = 2;
const COUNT = 3;

/** One row of the statement; the columns a statement does not send are undefined. */
interface PageRow {
  i?: number;
  part?: number;
  j?: number;
  ts?: number;
  end_ts?: number | null;
  open?: number | null;
  high?: number | null;
  low?: number | null;
  close?: number | null;
  volume?: number | null;
  vwap?: number | null;
  tc?: number | null;
  rev?: number | null;
  n?: number | null;
}

/** A request's ranges in base-bar time, clipped to its days. */
interface Planned {
  readonly at: number;
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

function plan(request: HistoryPageRequest, at: number): Planned {
  const scan = request.page;
  const pageRange = scan === null ? null : baseRange(request, scan);
  const perWindow = baseBarsPerWindow(request.days, request.grouping, request.baseMs);
  return {
    at,
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

/** The statement's parameters: `add` returns the placeholder of a new one. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** One key of a part: the request, the base-bar range it scans or probes, and its row budget. */
interface Key {
  readonly p: Planned;
  readonly range: HistoryRange;
  readonly rows: number;
  readonly descending: boolean;
  /** The probe's position in its request. */
  readonly j: number;
}

/** One `select` of the statement: its FROM clause and its expression per column it uses. */
interface Part {
  readonly kind: number;
  readonly columns: Partial<Record<Column, string>>;
  readonly from: string;
}

const WHERE =
  'b.symbol = k.symbol and b.interval = k.interval and b.ts >= k.lo and b.ts < k.hi and b.ts <@ k.days and b.ts % k.base_ms = 0';
const SCAN_COLUMNS = 'b.ts, b.open, b.high, b.low, b.close, b.volume, b.vwap, b.trade_count, b.revision';

/** The stored base bars of key `k` in [k.lo, k.hi) inside its days, first or last k.lim of them. */
function scanOf(extra: string): string {
  return `(select ${SCAN_COLUMNS}${extra} from bars b where ${WHERE}
      order by b.ts limit case when k.descending then 0 else k.lim end)
    union all
    (select ${SCAN_COLUMNS}${extra} from bars b where ${WHERE}
      order by b.ts desc limit case when k.descending then k.lim else 0 end)`;
}

/** `unnest` of the keys' columns as `k` (with the days' starts and ends as arrays when `windows`). */
function keysOf(keys: readonly Key[], params: Params, windows: boolean): string {
  const u = `unnest(${params.add(textArrayLiteral(keys.map((x) => x.p.request.symbol)))}::text[],
      ${params.add(textArrayLiteral(keys.map((x) => x.p.request.interval)))}::text[],
      ${params.add(numberArrayLiteral(keys.map((x) => x.p.request.baseMs)))}::int8[],
      ${params.add(numberArrayLiteral(keys.map((x) => stepOf(x.p.request))))}::int8[],
      ${params.add(textArrayLiteral(keys.map((x) => multirange(x.p.request.days))))}::int8multirange[],
      ${params.add(numberArrayLiteral(keys.map((x) => x.range.lo)))}::int8[],
      ${params.add(numberArrayLiteral(keys.map((x) => x.range.hi)))}::int8[],
      ${params.add(numberArrayLiteral(keys.map((x) => x.rows)))}::int4[],
      ${params.add(textArrayLiteral(keys.map((x) => String(x.descending))))}::bool[],
      ${params.add(numberArrayLiteral(keys.map((x) => x.p.at)))}::int4[],
      ${params.add(numberArrayLiteral(keys.map((x) => x.j)))}::int4[])
      as u(symbol, interval, base_ms, step, days, lo, hi, lim, descending, i, j)`;
  // offset 0: computed once per key, not folded into every use below.
  return windows
    ? `(select u.*, array(select lower(r) from unnest(u.days) r) as starts,
          array(select upper(r) from unnest(u.days) r) as ends from ${u} offset 0) k`
    : `${u.replace(/ as u\(/, ' as k(')}`;
}

/** The fields the requests of a part use together. */
function fieldsOf(keys: readonly Key[]): Set<HistoryBarField> {
  const want = new Set<HistoryBarField>();
  for (const { p } of keys) for (const field of p.request.fields ?? HISTORY_BAR_FIELDS) want.add(field);
  return want;
}

function basePagePart(keys: readonly Key[], params: Params): Part {
  const want = fieldsOf(keys);
  const columns: Partial<Record<Column, string>> = { i: 'k.i', ts: 'b.ts::float8' };
  if (want.has('open')) columns.open = 'b.open';
  if (want.has('high')) columns.high = 'b.high';
  if (want.has('low')) columns.low = 'b.low';
  if (want.has('close')) columns.close = 'b.close';
  if (want.has('volume')) columns.volume = 'b.volume';
  if (want.has('vwap')) columns.vwap = 'b.vwap';
  if (want.has('tradeCount')) columns.tc = 'b.trade_count::float8';
  if (want.has('revision')) columns.rev = 'b.revision::float8';
  return { kind: BASE, columns, from: `${keysOf(keys, params, false)} cross join lateral (${scanOf('')}) b` };
}

/** Window start and end of a base bar `r` (with its date's bounds `r.ds`, `r.de`) for key `k`. */
const WINDOW_START = 'case when k.step = 0 then r.ds else r.ds + (r.ts - r.ds) / k.step * k.step end';
const WINDOW_END =
  'case when k.step = 0 then r.de else least(r.ds + (r.ts - r.ds) / k.step * k.step + k.step, r.de) end';

function derivedPagePart(keys: readonly Key[], params: Params): Part {
  const want = fieldsOf(keys);
  const aggregates: Partial<Record<Column, string>> = {};
  if (want.has('endTs')) aggregates.end_ts = 'w.we::float8';
  if (want.has('open')) aggregates.open = '(min(array[w.ts::float8, w.open]))[2]';
  if (want.has('high')) aggregates.high = 'max(w.high)';
  if (want.has('low')) aggregates.low = 'min(w.low)';
  if (want.has('close')) aggregates.close = '(max(array[w.ts::float8, w.close]))[2]';
  if (want.has('volume') || want.has('vwap')) aggregates.volume = 'sum(w.volume order by w.ts)';
  if (want.has('vwap')) {
    aggregates.vwap = 'case when count(w.vwap) = count(*) then sum(w.vwap * w.volume order by w.ts) end';
  }
  if (want.has('tradeCount')) {
    aggregates.tc = 'case when count(w.trade_count) = count(*) then sum(w.trade_count)::float8 end';
  }
  if (want.has('revision')) aggregates.rev = 'sum(w.revision)::float8';
  if (want.has('baseBars')) aggregates.n = 'count(*)::float8';
  const names = Object.keys(aggregates) as Column[];
  const columns: Partial<Record<Column, string>> = { i: 'k.i', ts: 'g.ts' };
  for (const name of names) columns[name] = `g.${name}`;
  const select = ['w.ws::float8 as ts', ...names.map((name) => `${aggregates[name]} as ${name}`)].join(', ');
  return {
    kind: DERIVED,
    columns,
    from: `${keysOf(keys, params, true)}
    cross join lateral (
      select ${select}
      from (select r.*, ${WINDOW_START} as ws, ${WINDOW_END} as we
        from (select r.*, k.starts[r.d] as ds, k.ends[r.d] as de
          from (${scanOf(', width_bucket(b.ts, k.starts) as d')}) r) r) w
      group by w.ws, w.we) g`,
  };
}

function probePart(keys: readonly Key[], params: Params): Part {
  return {
    kind: PROBE,
    columns: {
      i: 'k.i',
      j: 'k.j',
      n: `(exists (select 1 from bars b where ${WHERE}))::int4::float8`,
    },
    from: keysOf(keys, params, false),
  };
}

function countPart(keys: readonly Key[], params: Params): Part {
  // `lim` says which count: 1 every base bar, 0 the distinct windows.
  return {
    kind: COUNT,
    columns: {
      i: 'k.i',
      n: `(select case when k.lim = 1 then count(*) else count(distinct ${WINDOW_START}) end
        from (select b.ts, k.starts[width_bucket(b.ts, k.starts)] as ds from bars b where ${WHERE}) r)::float8`,
    },
    from: keysOf(keys, params, true),
  };
}

/** The statement of some parts: the union of their columns, each part filling those it lacks with null. */
function statementOf(parts: readonly Part[], single: boolean): { text: string; columns: Set<Column> } {
  const used = new Set<Column>();
  for (const part of parts) for (const name of Object.keys(part.columns) as Column[]) used.add(name);
  if (single) used.delete('i');
  if (parts.length > 1) used.add('part');
  const columns = COLUMNS.filter((c) => used.has(c));
  const text = parts
    .map((part) => {
      const list = columns.map((c) => {
        const expression = c === 'part' ? String(part.kind) : part.columns[c];
        return `${expression ?? 'null'}::${COLUMN_TYPES[c]} as ${c}`;
      });
      return `select ${list.join(', ')} from ${part.from}`;
    })
    .join(' union all ');
  return { text, columns: used };
}

/** Reads a bar field of a row when the request asked for it, NaN otherwise. */
type FieldReader = (field: HistoryBarField, value: number | null | undefined) => number | null;

function readerOf(request: HistoryPageRequest): FieldReader {
  const fields = request.fields;
  if (fields === null) return (_field, value) => value ?? null;
  const want = new Set(fields);
  return (field, value) => (want.has(field) ? (value ?? null) : Number.NaN);
}

/** The base bar of a row. */
function baseBar(row: PageRow, baseMs: number, read: FieldReader): Bar {
  const ts = row.ts!;
  return {
    ts,
    endTs: ts + baseMs,
    open: read('open', row.open)!,
    high: read('high', row.high)!,
    low: read('low', row.low)!,
    close: read('close', row.close)!,
    volume: read('volume', row.volume)!,
    vwap: read('vwap', row.vwap),
    tradeCount: read('tradeCount', row.tc),
    complete: true,
    baseBars: 1,
    revision: read('revision', row.rev)!,
  };
}

/** A derived bar of a row: vwap divided and integers wrapped as the tree's columns do. */
function derivedBar(row: PageRow, read: FieldReader): Bar {
  const volume = row.volume ?? Number.NaN;
  const tc = row.tc ?? null;
  const tradeCount = tc === null ? -1 : tc | 0;
  const pv = row.vwap ?? null;
  return {
    ts: row.ts!,
    endTs: read('endTs', row.end_ts)!,
    open: read('open', row.open)!,
    high: read('high', row.high)!,
    low: read('low', row.low)!,
    close: read('close', row.close)!,
    volume: read('volume', volume)!,
    vwap: read('vwap', pv === null || !(volume > 0) ? null : pv / volume),
    tradeCount: read('tradeCount', tradeCount === -1 ? null : tradeCount),
    complete: true,
    baseBars: read('baseBars', row.n)!,
    revision: read('revision', row.rev === null || row.rev === undefined ? null : row.rev | 0)!,
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
  const basePages: Key[] = [];
  const derivedPages: Key[] = [];
  const probes: Key[] = [];
  const counts: Key[] = [];
  for (const p of planned) {
    if (p.page !== null) {
      const key = { p, range: p.page, rows: p.page.rows, descending: p.page.descending, j: 0 };
      (p.request.grouping.kind === 'base' ? basePages : derivedPages).push(key);
    }
    p.probes.forEach((range, j) => {
      if (range !== null) probes.push({ p, range, rows: 0, descending: false, j });
    });
    if (p.count !== null) {
      const rows = p.request.grouping.kind === 'base' ? 1 : 0;
      counts.push({ p, range: p.count, rows, descending: false, j: 0 });
    }
  }
  const params = new Params();
  const parts: Part[] = [];
  if (basePages.length > 0) parts.push(basePagePart(basePages, params));
  if (derivedPages.length > 0) parts.push(derivedPagePart(derivedPages, params));
  if (probes.length > 0) parts.push(probePart(probes, params));
  if (counts.length > 0) parts.push(countPart(counts, params));
  const bars = requests.map((): Bar[] => []);
  const exists = requests.map((r) => r.probes.map(() => false));
  const totals = requests.map((r): number | null => (r.count === null ? null : 0));
  if (parts.length > 0) {
    const { text } = statementOf(parts, requests.length === 1);
    const rows = await preparedTextRowsOf<PageRow>(target, text, params.values);
    const readers = requests.map(readerOf);
    const only = parts[0]!.kind;
    for (const row of rows) {
      const at = row.i ?? 0;
      const kind = row.part ?? only;
      if (kind === BASE) bars[at]!.push(baseBar(row, requests[at]!.baseMs, readers[at]!));
      else if (kind === DERIVED) bars[at]!.push(derivedBar(row, readers[at]!));
      else if (kind === PROBE) exists[at]![row.j!] = row.n === 1;
      else totals[at] = row.n ?? 0;
    }
  }
  return planned.map((p, at) => {
    const got = bars[at]!;
    for (let k = 1; k < got.length; k++) {
      if (got[k - 1]!.ts > got[k]!.ts) {
        got.sort((x, y) => x.ts - y.ts);
        break;
      }
    }
    const limit = p.request.page?.limit ?? 0;
    const more = got.length > limit;
    const page = !more ? got : p.page?.descending ? got.slice(got.length - limit) : got.slice(0, limit);
    return { bars: page, more, exists: exists[at]!, count: totals[at]! };
  });
}
