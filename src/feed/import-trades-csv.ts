/**
 * Streaming reader of the trade CSV (`npm run import -- --format trades`):
 *
 * ```
 * symbol,ts,price,size,id,exchange,conditions,tape,replaces,cancels
 * AAPL,2024-03-05T14:30:00.123Z,170.12,100,52983525029461,Q,@ F,C,,
 * AAPL,2024-03-05T14:30:00.150Z,170.13,12,52983525029462,Q,@ F I,C,,
 * AAPL,2024-03-05T14:30:00.123Z,170.10,100,52983525029470,Q,@,C,52983525029461,
 * AAPL,2024-03-05T14:30:00.150Z,170.13,12,,Q,@ F I,C,,52983525029462
 * ```
 *
 * A header row names the columns (any order, case-insensitive). Required: `ts`, `price`, `size`.
 * Optional: `symbol` (else the import's `--symbol`), `id` (the venue's trade id: with ids a second
 * import of the same file changes nothing), `exchange`, `conditions` (codes separated by spaces,
 * `;` or `|`: CTA/UTP letters or Polygon's numeric ids), `tape` (A, B, C or Polygon's 1, 2, 3),
 * `replaces` (a correction of the trade with that id), `cancels` (a cancel of the trade with that id;
 * its other fields repeat that trade's). Empty = absent. `ts` is ISO-8601 with an explicit offset,
 * integer milliseconds since the epoch, or integer nanoseconds (19 digits, as Polygon's
 * `sip_timestamp`), kept to the millisecond. Rows are applied in file order: ties on ts keep it.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Tick } from '../domain/types.ts';
import { ImportFileError, parseCsvTime } from './import-csv.ts';
import { type ImportRejectionCode, parseNumberField } from './import-rows.ts';

const REQUIRED = ['ts', 'price', 'size'] as const;
const ALIASES: Record<string, string> = {
  time: 'ts',
  timestamp: 'ts',
  sip_timestamp: 'ts',
  trade_id: 'id',
  qty: 'size',
  condition: 'conditions',
};
const EPOCH_NS = /^\d{19}$/;
const SEPARATORS = /[\s;|]+/;

/** One row of a trade file: a trade message, or why it cannot be read. */
export type TradeRow =
  | { readonly line: number; readonly symbol: string | null; readonly tick: Tick; readonly error?: undefined }
  | {
      readonly line: number;
      readonly error: { readonly code: ImportRejectionCode; readonly message: string };
    };

/** A trade's time: ISO-8601 with an offset, epoch ms, or epoch ns (floored to ms); null when invalid. */
export function parseTradeTime(text: string): number | null {
  const t = text.trim();
  if (EPOCH_NS.test(t)) return Number(t.slice(0, 13));
  return parseCsvTime(t);
}

/**
 * Reads a trade CSV record by record (constant memory), in file order.
 * @throws ImportFileError when the header lacks a required column.
 */
export async function* readTradeFile(
  path: string,
  stream: (s: ReadStream) => void = () => {},
): AsyncGenerator<TradeRow> {
  const input = createReadStream(path);
  stream(input);
  const skipped: TradeRow[] = [];
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
      const ts = parseTradeTime(record['ts'] ?? '');
      if (ts === null) {
        yield {
          line,
          error: {
            code: 'INVALID_TIME',
            message: `invalid ts ${JSON.stringify(record['ts'])} (ISO-8601 with Z or an offset, epoch ms or epoch ns)`,
          },
        };
        continue;
      }
      const text = (name: string): string | null => {
        const value = record[name];
        return value === undefined || value === '' ? null : value;
      };
      const conditions = text('conditions');
      yield {
        line,
        symbol: text('symbol'),
        tick: {
          ts,
          price: parseNumberField(record['price']),
          size: parseNumberField(record['size']),
          id: text('id'),
          exchange: text('exchange'),
          conditions: conditions === null ? null : conditions.split(SEPARATORS).filter((c) => c !== ''),
          tape: text('tape'),
          replaces: text('replaces'),
          cancels: text('cancels'),
        },
      };
    }
    while (skipped.length > 0) yield skipped.shift()!;
  } finally {
    input.destroy();
  }
}
