/**
 * The SPY minute-bar fixtures (fixtures/spy, see its README) as the tests read them: one parser,
 * written here independently of the importer it checks.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nyDate } from '../../src/domain/calendar.ts';
import type { IsoDate, StoredBar } from '../../src/domain/types.ts';
import type { BarRecord } from '../../src/store/bar-repository.ts';

/** January 2011 (CRLF line ends). */
export const SPY_JANUARY = fileURLToPath(
  new URL('../../fixtures/spy/nt-spy-minute-2011.csv', import.meta.url),
);
/** March 2011 (LF line ends). */
export const SPY_MARCH = fileURLToPath(
  new URL('../../fixtures/spy/nt-spy-minute-2011-03.csv', import.meta.url),
);

const LINE = /^(\d{4})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2});([^;]+);([^;]+);([^;]+);([^;]+);([^;]+)$/;

/**
 * Parses a pyalgotrade SPY file (`yyyyMMdd HHmmss;o;h;l;c;v`, UTC bar END times) into bars by the
 * New York date of their start, in time order. A line that is not a bar throws.
 */
export function readSpy(file = SPY_JANUARY): Map<IsoDate, StoredBar[]> {
  const byDate = new Map<IsoDate, StoredBar[]>();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a SPY bar line in ${file}: ${line}`);
    const end = Date.UTC(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
    );
    const ts = end - 60_000;
    const bar: StoredBar = {
      ts,
      open: Number(m[7]),
      high: Number(m[8]),
      low: Number(m[9]),
      close: Number(m[10]),
      volume: Number(m[11]),
      vwap: null,
      tradeCount: null,
      revision: 0,
    };
    const date = nyDate(ts);
    const list = byDate.get(date) ?? [];
    list.push(bar);
    byDate.set(date, list);
  }
  for (const bars of byDate.values()) bars.sort((a, b) => a.ts - b.ts);
  return byDate;
}

/** The bars of `byDate` as store rows of `symbol` at 1m, except the dates in `notStored`. */
export function spyRecords(
  byDate: ReadonlyMap<IsoDate, readonly StoredBar[]>,
  symbol = 'SPY',
  notStored: readonly IsoDate[] = [],
): BarRecord[] {
  return [...byDate].flatMap(([date, bars]) =>
    notStored.includes(date)
      ? []
      : bars.map((bar) => ({ ...bar, symbol, interval: '1m', sessionDate: date })),
  );
}
