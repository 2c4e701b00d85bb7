/**
 * Imports trade files (the CSV of `import-trades-csv.ts`) into the store, for symbols built from
 * trades: each (symbol, session date) goes through the same bar builder as `ingestTicks` — a private
 * session tree of that date with the symbol loaded as TRADES, started from what the store already
 * holds (its bars and its trade log) — and what the tree accepts is written: the trade messages and
 * the base bars they changed. So a trade whose id is already stored changes nothing (a second import
 * of the same file stores nothing), and corrections and cancels in the file, or of trades stored
 * before, revise the bars as they would live. Load the symbol later with the same base interval and
 * extended-hours setting as the import (`--interval`, `--extended-hours`).
 */
import type { ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { normaliseSymbol } from '../domain/bar-validation.ts';
import { nyDate } from '../domain/calendar.ts';
import { BASE_INTERVALS, parseInterval } from '../domain/intervals.ts';
import type { Instant, IsoDate, SessionBarsKey, StoredBar, Tick, TickInput } from '../domain/types.ts';
import { SessionData } from '../session/session-data.ts';
import type { BarRecord } from '../store/bar-repository.ts';
import type { TickRecord } from '../store/market-data-repository.ts';
import type { ImportProgress } from './import.ts';
import { readTradeFile } from './import-trades-csv.ts';

/** Where imported trades and their bars go (the Repository). */
export interface TradeImportTarget {
  readSessionBars(keys: readonly SessionBarsKey[]): Promise<StoredBar[][]>;
  readTradeLog(symbol: string, date: IsoDate): Promise<Tick[]>;
  upsertBars(rows: readonly BarRecord[]): Promise<unknown>;
  appendTicks(rows: readonly TickRecord[]): Promise<void>;
}

/** Options of {@link importTradeFile}. */
export interface TradeImportOptions {
  /** Symbol of rows that name none. */
  readonly symbol?: string | undefined;
  /** Base interval of the bars built, `1s` (default) or `1m`. */
  readonly interval?: string | undefined;
  /** Build over the extended session (04:00–20:00 New York); default the regular session. */
  readonly extendedHours?: boolean | undefined;
  /** Rows per write (default 5,000). */
  readonly batchSize?: number | undefined;
  /** Rejected rows kept as examples (default 20). */
  readonly maxExamples?: number | undefined;
  readonly onProgress?: ((progress: ImportProgress) => void) | undefined;
}

/** What a trade import did. */
export interface TradeImportSummary {
  readonly file: string;
  readonly interval: string;
  readonly symbols: readonly string[];
  readonly sessionDates: readonly IsoDate[];
  readonly rowsRead: number;
  /** Trade messages stored (prints, corrections, cancels that changed the book). */
  readonly stored: number;
  /** Valid rows that changed nothing (an id already stored, a cancel of a cancelled trade). */
  readonly unchanged: number;
  /** Base bar versions written. */
  readonly barsWritten: number;
  readonly rejected: number;
  readonly rejectedByCode: Readonly<Record<string, number>>;
  readonly rejections: readonly { readonly line: number; readonly code: string; readonly message: string }[];
  readonly durationMs: number;
}

interface DaySession {
  readonly session: SessionData;
  readonly loaded: Set<string>;
}

/**
 * Imports one trade file through `repo`. Rows are applied in file order; refused rows (their codes
 * are the API's: INVALID_NUMBER, OUTSIDE_SESSION, INVALID_TRADE, UNKNOWN_TRADE, …, plus
 * PARSE_ERROR, INVALID_TIME, INVALID_SYMBOL, NOT_TRADING_DAY) are counted and the rest imported.
 */
export async function importTradeFile(
  repo: TradeImportTarget,
  path: string,
  options: TradeImportOptions = {},
): Promise<TradeImportSummary> {
  const started = performance.now();
  const interval = parseInterval(options.interval ?? '1s');
  if (!BASE_INTERVALS.includes(interval.name)) {
    throw new Error(
      `--interval must be a base interval (${BASE_INTERVALS.join(', ')}), got ${options.interval}`,
    );
  }
  const batchSize = options.batchSize ?? 5_000;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError('batchSize must be a positive integer');
  const maxExamples = options.maxExamples ?? 20;
  let defaultSymbol: string | null = null;
  if (options.symbol !== undefined) {
    defaultSymbol = normaliseSymbol(options.symbol);
    if (defaultSymbol === null) throw new Error(`Invalid symbol ${JSON.stringify(options.symbol)}`);
  }
  const extendedHours = options.extendedHours ?? false;
  const totalBytes = (await stat(path)).size;
  let input: ReadStream | null = null;

  const days = new Map<IsoDate, DaySession>();
  const bars = new Map<string, BarRecord>();
  const ticks: TickRecord[] = [];
  let batch: { line: number; date: IsoDate; tick: TickInput }[] = [];
  let rowsRead = 0;
  let stored = 0;
  let unchanged = 0;
  let barsWritten = 0;
  let rejected = 0;
  const rejectedByCode: Record<string, number> = {};
  const rejections: { line: number; code: string; message: string }[] = [];
  const symbols = new Set<string>();
  const dates = new Set<IsoDate>();

  const reject = (line: number, code: string, message: string) => {
    rejected++;
    rejectedByCode[code] = (rejectedByCode[code] ?? 0) + 1;
    if (rejections.length < maxExamples) rejections.push({ line, code, message });
  };

  const dayOf = (date: IsoDate): DaySession | null => {
    let day = days.get(date);
    if (day !== undefined) return day;
    const session = new SessionData();
    try {
      session.start(date, 'MANUAL');
    } catch {
      return null;
    }
    session.events.on('baseBar', (e) => {
      bars.set(`${e.symbol} ${e.bar.ts}`, {
        symbol: e.symbol,
        interval: interval.name,
        sessionDate: e.date,
        ...storedBarOf(e.bar),
      });
    });
    session.events.on('marketData', (e) => {
      if (e.type === 'tick') ticks.push({ ...e.tick, symbol: e.symbol, sessionDate: e.date, seq: e.seq });
    });
    day = { session, loaded: new Set() };
    days.set(date, day);
    return day;
  };

  const load = async (day: DaySession, symbol: string, date: IsoDate) => {
    if (day.loaded.has(symbol)) return;
    day.loaded.add(symbol);
    const [[today = []], log] = await Promise.all([
      repo.readSessionBars([{ symbol, interval: interval.name, date }]),
      repo.readTradeLog(symbol, date),
    ]);
    const settings = {
      symbol,
      baseInterval: interval.name,
      derivedIntervals: [],
      historicalDays: 0,
      extendedHours,
      source: 'TRADES' as const,
    };
    day.session.beginLoad(settings);
    const window = day.session.symbol(symbol)!.window;
    const inWindow = log.filter((t) => t.ts >= window.start && t.ts < window.end);
    day.session.completeLoad(
      symbol,
      new Map(),
      today,
      { quotes: { items: [], count: 0, next: 0 }, ticks: { items: [], count: log.length, next: log.length } },
      inWindow,
    );
  };

  const write = async () => {
    const rows = batch;
    batch = [];
    const byDate = new Map<IsoDate, typeof rows>();
    for (const row of rows) {
      const list = byDate.get(row.date) ?? [];
      list.push(row);
      byDate.set(row.date, list);
    }
    for (const [date, list] of byDate) {
      const day = dayOf(date)!;
      for (const row of list) await load(day, row.tick.symbol, date);
      const before = ticks.length;
      const result = day.session.ingestTicks(list.map((r) => r.tick));
      const refused = new Set<number>();
      for (const r of result.rejected) {
        refused.add(r.index);
        reject(list[r.index]!.line, r.code, r.message);
      }
      stored += ticks.length - before;
      unchanged += list.length - result.rejected.length - (ticks.length - before);
      list.forEach((row, k) => {
        if (refused.has(k)) return;
        symbols.add(row.tick.symbol);
        dates.add(date);
      });
    }
    if (ticks.length > 0) await repo.appendTicks(ticks.splice(0));
    if (bars.size > 0) {
      const changed = [...bars.values()];
      bars.clear();
      await repo.upsertBars(changed);
      barsWritten += changed.length;
    }
    options.onProgress?.({ bytesRead: (input as ReadStream | null)?.bytesRead ?? 0, totalBytes, rowsRead });
  };

  for await (const row of readTradeFile(path, (s) => {
    input = s;
  })) {
    rowsRead++;
    if (row.error !== undefined) {
      reject(row.line, row.error.code, row.error.message);
      continue;
    }
    const symbol = row.symbol === null ? defaultSymbol : normaliseSymbol(row.symbol);
    if (symbol === null) {
      reject(
        row.line,
        'INVALID_SYMBOL',
        row.symbol === null
          ? 'no symbol (no symbol column value and no --symbol)'
          : `invalid symbol ${JSON.stringify(row.symbol)}`,
      );
      continue;
    }
    const date = nyDate(row.tick.ts);
    if (dayOf(date) === null) {
      reject(row.line, 'NOT_TRADING_DAY', `${date} is not a trading day`);
      continue;
    }
    batch.push({ line: row.line, date, tick: { ...row.tick, symbol } });
    if (batch.length >= batchSize) await write();
  }
  await write();

  return {
    file: path,
    interval: interval.name,
    symbols: [...symbols].sort(),
    sessionDates: [...dates].sort(),
    rowsRead,
    stored,
    unchanged,
    barsWritten,
    rejected,
    rejectedByCode,
    rejections,
    durationMs: performance.now() - started,
  };
}

function storedBarOf(bar: StoredBar & { readonly endTs?: Instant }): StoredBar {
  const { ts, open, high, low, close, volume, vwap, tradeCount, revision } = bar;
  return { ts, open, high, low, close, volume, vwap, tradeCount, revision };
}

/** A short human summary of a trade import. */
export function formatTradeImportSummary(s: TradeImportSummary): string {
  const lines = [
    `${s.file} (trades → ${s.interval} bars, ${s.symbols.join(', ') || 'no symbol'})`,
    `  rows read:  ${s.rowsRead}`,
    `  stored:     ${s.stored} trade messages, ${s.barsWritten} bar versions`,
    `  unchanged:  ${s.unchanged} (already stored)`,
    `  rejected:   ${s.rejected}`,
  ];
  for (const [code, count] of Object.entries(s.rejectedByCode)) lines.push(`    ${code}: ${count}`);
  for (const r of s.rejections) lines.push(`    line ${r.line}: ${r.code} ${r.message}`);
  if (s.sessionDates.length > 0) lines.push(`  dates:      ${s.sessionDates.join(', ')}`);
  lines.push(`  took:       ${Math.round(s.durationMs)} ms`);
  return lines.join('\n');
}
