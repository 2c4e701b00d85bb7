/**
 * Streaming reader of the generic bar CSV:
 *
 * ```
 * symbol,ts,open,high,low,close,volume,vwap,trade_count
 * SPY,2011-01-03T14:30:00Z,126.71,126.74,126.66,126.72,2259046,126.70,812
 * ```
 *
 * A header row names the columns (any order, case-insensitive). Required: `ts`, `open`, `high`, `low`,
 * `close`, `volume`. Optional: `symbol` (else the import's `--symbol`), `vwap`, `trade_count` (empty =
 * unknown). `ts` is the bar START, ISO-8601 with an explicit offset (`Z` or `±hh:mm`), or integer
 * milliseconds since the epoch.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { DateTime } from 'luxon';
import type { Instant } from '../domain/types.ts';
import { type ImportRow, parseNumberField } from './import-rows.ts';

const REQUIRED = ['ts', 'open', 'high', 'low', 'close', 'volume'] as const;
const ALIASES: Record<string, string> = { tradecount: 'trade_count', trades: 'trade_count', time: 'ts' };
const ZONE = /(Z|[+-]\d{2}(:?\d{2})?)$/i;
const EPOCH_MS = /^\d{1,15}$/;

/** Parses a bar start time: ISO-8601 with an offset, or epoch milliseconds; null when invalid. */
export function parseCsvTime(text: string): Instant | null {
  const t = text.trim();
  if (EPOCH_MS.test(t)) return Number(t);
  if (!ZONE.test(t)) return null;
  const parsed = DateTime.fromISO(t, { setZone: true });
  return parsed.isValid ? parsed.toMillis() : null;
}

/** Thrown when the file as a whole cannot be imported (e.g. a required column is missing). */
export class ImportFileError extends Error {
  override readonly name = 'ImportFileError';
}

/**
 * Reads a generic bar CSV record by record (constant memory), yielding parsed rows and rejections in
 * file order. A record with the wrong number of fields is rejected and the reading goes on.
 * @throws ImportFileError when the header lacks a required column.
 */
export async function* readCsvBarFile(
  path: string,
  stream: (s: ReadStream) => void = () => {},
): AsyncGenerator<ImportRow> {
  const input = createReadStream(path);
  stream(input);
  const skipped: ImportRow[] = [];
  const parser = parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    columns: (header: string[]) => {
      const names = header.map((h) => {
        const name = h.trim().toLowerCase();
        return ALIASES[name] ?? name;
      });
      const missing = REQUIRED.filter((c) => !names.includes(c));
      if (missing.length > 0) {
        throw new ImportFileError(
          `${path}: missing column(s) ${missing.join(', ')} (header: ${header.join(',')}; required: ${REQUIRED.join(',')})`,
        );
      }
      return names;
    },
  });
  parser.on('skip', (error: Error & { lines?: number }) => {
    skipped.push({
      line: error.lines ?? parser.info.lines,
      error: { code: 'PARSE_ERROR', message: error.message },
    });
  });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  try {
    for await (const record of parser as AsyncIterable<Record<string, string | undefined>>) {
      while (skipped.length > 0) yield skipped.shift()!;
      const line = parser.info.lines;
      const { ts: time, open, high, low, close, volume, symbol, vwap, trade_count: tradeCount } = record;
      const ts = parseCsvTime(time ?? '');
      if (ts === null) {
        yield {
          line,
          error: {
            code: 'INVALID_TIME',
            message: `invalid ts ${JSON.stringify(time)} (ISO-8601 with Z or an offset, or epoch ms)`,
          },
        };
        continue;
      }
      yield {
        line,
        symbol: symbol ?? null,
        bar: {
          ts,
          open: parseNumberField(open),
          high: parseNumberField(high),
          low: parseNumberField(low),
          close: parseNumberField(close),
          volume: parseNumberField(volume),
          vwap: vwap === undefined || vwap === '' ? null : parseNumberField(vwap),
          tradeCount: tradeCount === undefined || tradeCount === '' ? null : parseNumberField(tradeCount),
        },
      };
    }
    while (skipped.length > 0) yield skipped.shift()!;
  } finally {
    input.destroy();
  }
}
