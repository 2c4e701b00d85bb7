/**
 * Streaming reader of NinjaTrader / PyAlgoTrade minute-bar files:
 *
 * ```
 * 20110103 143100;126.71;126.74;126.66;126.72;2259046
 * ```
 *
 * `yyyyMMdd HHmmss;open;high;low;close;volume`, no header, CRLF or LF line ends. The time is UTC and
 * marks the bar's END: the bar covers [t − interval, t), so its start (our `ts`) is t − interval.
 * Nothing here knows about the exchange calendar: the New York session date is derived later from the
 * bar start (so Friday post-market rows, which carry Saturday UTC dates, belong to Friday).
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Instant } from '../domain/types.ts';
import { type ImportRow, parseNumberField } from './import-rows.ts';

const TIME = /^(\d{4})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2})$/;

/**
 * Parses `yyyyMMdd HHmmss` as a UTC instant; null when malformed or not a real date and time.
 */
export function parseNinjaTraderTime(text: string): Instant | null {
  const m = TIME.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ts = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(ts);
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    back.getUTCHours() !== hour ||
    back.getUTCMinutes() !== minute ||
    back.getUTCSeconds() !== second
  ) {
    return null;
  }
  return ts;
}

/**
 * Parses one line (without its line end). Returns the row, or a rejection for a malformed line;
 * `null` for an empty line. `intervalMs` is the bar length (60,000 for minute bars).
 */
export function parsePyalgotradeLine(
  line: string,
  lineNumber: number,
  symbol: string,
  intervalMs: number,
): ImportRow | null {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (text.trim() === '') return null;
  const fields = text.split(';');
  if (fields.length !== 6) {
    return {
      line: lineNumber,
      error: { code: 'PARSE_ERROR', message: `expected 6 fields separated by ';', got ${fields.length}` },
    };
  }
  const end = parseNinjaTraderTime(fields[0]!.trim());
  if (end === null) {
    return {
      line: lineNumber,
      error: {
        code: 'INVALID_TIME',
        message: `invalid time ${JSON.stringify(fields[0])} (expected yyyyMMdd HHmmss)`,
      },
    };
  }
  return {
    line: lineNumber,
    symbol,
    bar: {
      ts: end - intervalMs,
      open: parseNumberField(fields[1]),
      high: parseNumberField(fields[2]),
      low: parseNumberField(fields[3]),
      close: parseNumberField(fields[4]),
      volume: parseNumberField(fields[5]),
      vwap: null,
      tradeCount: null,
    },
  };
}

/**
 * Reads a PyAlgoTrade/NinjaTrader file line by line (constant memory), yielding parsed rows and
 * rejections in file order. `stream` receives the underlying file stream (for progress).
 */
export async function* readPyalgotradeFile(
  path: string,
  symbol: string,
  intervalMs: number,
  stream: (s: ReadStream) => void = () => {},
): AsyncGenerator<ImportRow> {
  const input = createReadStream(path);
  stream(input);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      const row = parsePyalgotradeLine(line, lineNumber, symbol, intervalMs);
      if (row !== null) yield row;
    }
  } finally {
    lines.close();
    input.destroy();
  }
}
