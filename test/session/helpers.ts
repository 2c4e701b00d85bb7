/** Shared builders for the session tree tests. */
import { DateTime } from 'luxon';
import { ServiceError } from '../../src/domain/errors.ts';
import type { SymbolSettingsInput } from '../../src/domain/symbol-settings.ts';
import type { BarInput, Instant, IsoDate, StoredBar } from '../../src/domain/types.ts';
import type { BarChange, SessionChange } from '../../src/session/events.ts';
import { SessionData, type SessionDataOptions } from '../../src/session/session-data.ts';

export const MINUTE = 60_000;
export const SECOND = 1_000;

/** A Thursday before the 2011 DST change (EST, UTC−5). */
export const DATE = '2011-03-10';

/** The instant of a New York wall-clock time on a date (`hh:mm` or `hh:mm:ss`). */
export function et(date: IsoDate, time: string): Instant {
  const instant = DateTime.fromISO(`${date}T${time}`, { zone: 'America/New_York' });
  if (!instant.isValid) throw new Error(`bad time ${date} ${time}`);
  return instant.toMillis();
}

/** A time of {@link DATE}. */
export function at(time: string): Instant {
  return et(DATE, time);
}

/** A valid base bar; `overrides` replace any field. */
export function bar(symbol: string, ts: Instant, overrides: Partial<BarInput> = {}): BarInput {
  return {
    symbol,
    ts,
    open: 100,
    high: 101,
    low: 99,
    close: 100.5,
    volume: 1_000,
    vwap: 100.25,
    tradeCount: 10,
    ...overrides,
  };
}

/** Bars of consecutive slots `from` (inclusive) to `to` (exclusive), with prices varying by slot. */
export function barsBetween(symbol: string, from: Instant, to: Instant, stepMs = MINUTE): BarInput[] {
  const out: BarInput[] = [];
  for (let ts = from, i = 0; ts < to; ts += stepMs, i++) {
    const open = 100 + (i % 7) * 0.25;
    const close = 100 + (i % 5) * 0.3;
    out.push({
      symbol,
      ts,
      open,
      close,
      high: Math.max(open, close) + 0.1,
      low: Math.min(open, close) - 0.1,
      volume: 1_000 + i,
      vwap: (open + close) / 2,
      tradeCount: 10 + (i % 3),
    });
  }
  return out;
}

/** Drops the symbol from a bar input (what the store would hold), with a revision. */
export function stored(input: BarInput, revision = 0): StoredBar {
  const { symbol: _symbol, ...values } = input;
  return { ...values, revision };
}

/** Loads a symbol the way the service does (no history, no stored bars unless given). */
export function load(
  session: SessionData,
  settings: SymbolSettingsInput,
  history: ReadonlyMap<IsoDate, readonly StoredBar[]> = new Map(),
  today: readonly StoredBar[] = [],
): void {
  session.beginLoad(settings);
  session.completeLoad(settings.symbol, history, today);
}

/** A MANUAL session on `date` with the given symbols loaded. */
export function sessionWith(
  symbols: readonly SymbolSettingsInput[],
  date: IsoDate = DATE,
  options: SessionDataOptions = {},
): SessionData {
  const session = new SessionData(options);
  session.start(date, 'MANUAL');
  for (const settings of symbols) load(session, settings);
  return session;
}

/** Records every bar and session event of a session. */
export function record(session: SessionData): { bars: BarChange[]; sessions: SessionChange[] } {
  const bars: BarChange[] = [];
  const sessions: SessionChange[] = [];
  session.events.on('bar', (e) => bars.push(e));
  session.events.on('session', (e) => sessions.push(e));
  return { bars, sessions };
}

/** The code of the ServiceError `fn` throws, or null when it does not throw. */
export function errorCode(fn: () => unknown): string | null {
  try {
    fn();
  } catch (error) {
    if (error instanceof ServiceError) return error.code;
    throw error;
  }
  return null;
}
