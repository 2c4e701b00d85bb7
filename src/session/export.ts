import { ServiceError } from '../domain/errors.ts';
import type { Bar, Gap, Instant, Tick } from '../domain/types.ts';
import type { BarSeries } from './bar-series.ts';
import type { HistoricalInterval } from './historical-data.ts';
import type { SessionData } from './session-data.ts';
import type { SessionInterval } from './session-interval.ts';
import type { SymbolSessionData } from './symbol-session-data.ts';

/** Row layout of every bar table in the export. */
export const BAR_COLUMNS = [
  'ts',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'vwap',
  'trade_count',
  'revision',
] as const;

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** One export: its cursor, whether it is a full document, and the document. */
export interface ExportDocument {
  /** Pass it back as `since` to get only what changed after this export. */
  readonly cursor: string;
  /** True for a full export; false for a delta. */
  readonly complete: boolean;
  readonly data: JsonObject;
}

/**
 * Exports the tree as JSON (docs/semantics.md, "The JSON export"). Without `since` (or with a cursor of another process)
 * it is a full export. With `since` it is a delta: the session header, and per symbol only what
 * changed after the cursor — bar rows written after it, and the intervals' summaries, metrics,
 * quotes, ticks and historical sections that changed. Symbols created after the cursor (loaded,
 * reloaded with new settings, or re-created by a new session) are exported whole and are also
 * listed in `removed` when an earlier entry of theirs was dropped. `applyDelta` merges a delta.
 * @throws ServiceError INVALID_CURSOR for a malformed cursor or one from the future
 */
export function exportSession(
  session: SessionData,
  since?: string | null,
  symbols?: readonly string[] | null,
): ExportDocument {
  const cursor = parseCursor(session, since);
  const wanted = symbols ? new Set(symbols.map((s) => s.trim().toUpperCase())) : null;
  const out: JsonObject = {};
  for (const data of session.symbols()) {
    if (wanted && !wanted.has(data.symbol)) continue;
    const full = cursor === 0 || data.createdSeq > cursor;
    const entry = exportSymbol(data, full ? 0 : cursor);
    if (full || Object.keys(entry).length > 0) out[data.symbol] = entry;
  }
  const removed = cursor === 0 ? [] : session.removedSince(cursor).filter((s) => !wanted || wanted.has(s));
  return {
    cursor: `${session.epoch}.${session.seq}`,
    complete: cursor === 0,
    data: {
      session: {
        date: session.date,
        active: session.active,
        phase: session.phase,
        clock_mode: session.clockMode,
        time: iso(session.time),
        feeds: feedsJson(session),
      },
      symbols: out,
      removed,
    },
  };
}

function parseCursor(session: SessionData, since: string | null | undefined): number {
  if (since === undefined || since === null || since === '') return 0;
  const match = /^([a-z0-9]+)\.(\d+)$/.exec(since);
  if (!match) throw new ServiceError('INVALID_CURSOR', `"${since}" is not an export cursor`);
  if (match[1] !== session.epoch) return 0;
  const seq = Number(match[2]);
  if (seq > session.seq)
    throw new ServiceError('INVALID_CURSOR', `cursor "${since}" is ahead of this server`);
  return seq;
}

function exportSymbol(data: SymbolSessionData, cursor: number): JsonObject {
  const full = cursor === 0;
  const entry: JsonObject = {};
  if (full || data.stateSeq > cursor) {
    entry['base_interval'] = data.baseInterval;
    entry['derived_intervals'] = [...data.derivedIntervals];
    entry['extended_hours'] = data.extendedHours;
    entry['source'] = data.source;
    entry['feed'] = data.feed;
    entry['loaded'] = data.loaded;
  }
  const session: JsonObject = {};
  if (full || data.metricsSeq > cursor) {
    const m = data.metrics();
    Object.assign(session, {
      volume: m.volume,
      high: m.high,
      low: m.low,
      open: m.open,
      last: m.last,
      vwap: m.vwap,
      bar_count: m.barCount,
      last_update: iso(m.lastUpdate),
    });
  }
  const intervals: JsonObject = {};
  for (const interval of data.intervals()) {
    const section = exportInterval(interval, cursor);
    if (section) intervals[interval.name] = section;
  }
  if (full || Object.keys(intervals).length > 0) session['data'] = intervals;
  if (Object.keys(session).length > 0) entry['session'] = session;
  if (full || data.stateSeq > cursor) entry['historical'] = exportHistorical(data);
  if (full || data.quotesSeq > cursor) {
    const latest = data.quotes.latest();
    entry['quotes'] = {
      count: data.quotes.total,
      latest: latest && {
        ts: iso(latest.ts),
        bid: latest.bid,
        bid_size: latest.bidSize,
        ask: latest.ask,
        ask_size: latest.askSize,
      },
    };
  }
  if (full || data.ticksSeq > cursor) {
    const latest = data.ticks.latest();
    entry['ticks'] = {
      count: data.ticks.total,
      latest: latest && tickJson(latest),
    };
  }
  return entry;
}

function exportInterval(interval: SessionInterval, cursor: number): JsonObject | null {
  const series = interval.series;
  const rows: Json[] = [];
  let statsChanged = cursor === 0 || interval.statsSeq > cursor;
  if (series.latestSeq > cursor) {
    for (let p = 0; p < series.size; p++) {
      const slot = series.slotAt(p);
      if (series.seqOf(slot) > cursor) rows.push(barRow(series, slot));
    }
  }
  if (rows.length > 0) statsChanged = true;
  if (!statsChanged) return null;
  const section: JsonObject = {
    count: series.size,
    quality: interval.quality(),
    gaps: gapsJson(interval.gapsWithCause()),
    columns: [...BAR_COLUMNS],
    data: rows,
  };
  if (interval.derived) {
    section['generated'] = true;
    section['base'] = interval.baseName;
  }
  return section;
}

function exportHistorical(data: SymbolSessionData): JsonObject {
  const historical = data.historical;
  const intervals: JsonObject = {};
  for (const interval of historical.intervals())
    intervals[interval.name] = historicalInterval(interval, data.baseInterval);
  const indicators: JsonObject = {};
  for (const indicator of historical.indicators()) indicators[indicator.name] = indicator.value;
  return { loaded: historical.loaded, dates: [...historical.dates], data: intervals, indicators };
}

function historicalInterval(interval: HistoricalInterval, baseName: string): JsonObject {
  const rows: Json[] = [];
  for (let p = 0; p < interval.size; p++) rows.push(rowOf(interval.at(p)));
  const section: JsonObject = {
    count: interval.size,
    quality: interval.quality(),
    gaps: gapsJson(interval.gaps()),
    columns: [...BAR_COLUMNS],
    data: rows,
  };
  if (interval.name !== baseName) {
    section['generated'] = true;
    section['base'] = baseName;
  }
  return section;
}

function barRow(series: BarSeries, slot: number): Json[] {
  return rowOf(series.barAt(slot, false));
}

/** One bar as a row of {@link BAR_COLUMNS}. */
function rowOf(bar: Bar): Json[] {
  return [
    iso(bar.ts),
    bar.open,
    bar.high,
    bar.low,
    bar.close,
    bar.volume,
    bar.vwap,
    bar.tradeCount,
    bar.revision,
  ];
}

function gapsJson(gaps: readonly Gap[]): JsonObject {
  let missing = 0;
  const ranges = gaps.map((g) => {
    missing += g.missingBars;
    return { start: iso(g.start), end: iso(g.end), missing_bars: g.missingBars, cause: g.cause ?? 'NO_DATA' };
  });
  return { gap_count: gaps.length, missing_bars: missing, ranges };
}

/** The latest tick: its print, and the venue fields a trade carries (null when absent). */
function tickJson(tick: Tick): JsonObject {
  const out: JsonObject = { ts: iso(tick.ts), price: tick.price, size: tick.size };
  if (tick.id != null) out['id'] = tick.id;
  if (tick.exchange != null) out['exchange'] = tick.exchange;
  if (tick.conditions != null) out['conditions'] = [...tick.conditions];
  if (tick.tape != null) out['tape'] = tick.tape;
  if (tick.replaces != null) out['replaces'] = tick.replaces;
  if (tick.cancels != null) out['cancels'] = tick.cancels;
  return out;
}

/** The session's feeds: those of its symbols and every feed reported on, with their outages. */
function feedsJson(session: SessionData): Json[] {
  return session.feeds.list(session.symbols().map((s) => s.feed)).map((f) => ({
    feed: f.feed,
    status: f.status,
    since: iso(f.since),
    outages: f.outages.map((o) => ({ start: iso(o.start), end: iso(o.end), reason: o.reason })),
  }));
}

function iso(instant: Instant | null): string | null {
  return instant === null ? null : new Date(instant).toISOString();
}

/**
 * Applies a delta export to the previous full export (both `data` documents) and returns the new
 * full document: symbols in `removed` are dropped first, then objects merge key by key, and bar
 * tables (`data` arrays of rows) merge by `ts` (a row replaces the row of the same ts, new rows are
 * inserted in time order). Every other array is replaced.
 */
export function applyDelta(previous: JsonObject, delta: JsonObject): JsonObject {
  const result = structuredClone(previous) as JsonObject;
  const symbols = (result['symbols'] ?? {}) as JsonObject;
  for (const removed of (delta['removed'] ?? []) as string[]) delete symbols[removed];
  result['symbols'] = mergeObject(symbols, (delta['symbols'] ?? {}) as JsonObject);
  result['session'] = delta['session'] ?? null;
  result['removed'] = [];
  return result;
}

function mergeObject(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (key === 'data' && Array.isArray(value) && Array.isArray(current)) {
      target[key] = mergeRows(current, value);
    } else if (isObject(value) && isObject(current)) {
      target[key] = mergeObject(current, value);
    } else {
      target[key] = structuredClone(value);
    }
  }
  return target;
}

function mergeRows(rows: Json[], patch: Json[]): Json[] {
  const byTs = new Map<string, Json>();
  for (const row of rows) byTs.set((row as Json[])[0] as string, row);
  for (const row of patch) byTs.set((row as Json[])[0] as string, row);
  return [...byTs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
