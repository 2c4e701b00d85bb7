/**
 * The log's wire format: a {@link LogRecord} as MessagePack (exact float64 numbers, NaN and ±∞
 * kept, so a replica refuses a bad number exactly as the receiving one would). Bulk lists (bars,
 * quotes, ticks, trades) travel as rows of values in a fixed column order rather than as objects, which
 * halves the bytes of an ingest batch. Pure: `decodeRecord(encodeRecord(r))` deep-equals `r`.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import type { Command, LogRecord } from './commands.ts';
import { recordProblem } from './commands.ts';

/** Format version, the first element of every encoded record. */
export const WIRE_VERSION = 1;

/** A record that cannot be decoded: its bytes are not a record of this version and shape. */
export class RecordFormatError extends Error {
  override readonly name = 'RecordFormatError';
}

type Row = readonly unknown[];
type Columns = readonly string[];

const BAR = ['symbol', 'ts', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'tradeCount'] as const;
const REPLAY_BAR = [...BAR, 'revision'] as const;
const QUOTE = ['symbol', 'ts', 'bid', 'bidSize', 'ask', 'askSize'] as const;
/** A tick's venue fields are optional: absent (or null) ones are left out when decoded. */
const TICK = [
  'symbol',
  'ts',
  'price',
  'size',
  'id',
  'exchange',
  'conditions',
  'tape',
  'replaces',
  'cancels',
] as const;
const OPTIONAL_TICK_COLUMNS: ReadonlySet<string> = new Set(TICK.slice(4));
const TRADE = ['symbol', 'ts', 'price', 'size', 'id', 'exchange', 'conditions', 'tape'] as const;

/** The list fields sent as rows: command kind → field → columns. */
const TABULAR: Readonly<Partial<Record<Command['kind'], readonly [string, Columns]>>> = {
  ingestBars: ['bars', BAR],
  replayBars: ['bars', REPLAY_BAR],
  ingestQuotes: ['quotes', QUOTE],
  ingestTicks: ['ticks', TICK],
  ingestTrades: ['trades', TRADE],
};

const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

function toRows(items: readonly Record<string, unknown>[], columns: Columns): Row[] {
  const rows = new Array<Row>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const row = new Array<unknown>(columns.length);
    for (let c = 0; c < columns.length; c++) row[c] = item[columns[c]!];
    rows[i] = row;
  }
  return rows;
}

function fromRows(rows: unknown, columns: Columns): Record<string, unknown>[] {
  if (!Array.isArray(rows)) throw new RecordFormatError('a list of rows was expected');
  const n = columns.length;
  const items = new Array<Record<string, unknown>>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row: unknown = rows[r];
    if (!Array.isArray(row) || row.length !== n) {
      throw new RecordFormatError(`a row of ${n} values was expected`);
    }
    const item: Record<string, unknown> = {};
    if (columns === TICK) {
      for (let i = 0; i < n; i++) {
        const value = row[i];
        if ((value === null || value === undefined) && OPTIONAL_TICK_COLUMNS.has(columns[i]!)) continue;
        item[columns[i]!] = value;
      }
    } else {
      for (let i = 0; i < n; i++) item[columns[i]!] = row[i];
    }
    items[r] = item;
  }
  return items;
}

/** Encodes a record (see the module comment). */
export function encodeRecord(record: LogRecord): Uint8Array {
  const command = record.command as unknown as Record<string, unknown>;
  const tabular = TABULAR[record.command.kind];
  const body = tabular
    ? {
        ...command,
        [tabular[0]]: toRows(command[tabular[0]] as Record<string, unknown>[], tabular[1]),
      }
    : command;
  return encoder.encode([WIRE_VERSION, record.id, record.replica, record.at, record.lease, body]);
}

/**
 * Decodes and shape-checks a record.
 * @throws RecordFormatError when the bytes are not a well-formed record of this version
 */
export function decodeRecord(bytes: Uint8Array): LogRecord {
  let raw: unknown;
  try {
    raw = decoder.decode(bytes);
  } catch (error) {
    throw new RecordFormatError(`not MessagePack: ${(error as Error).message}`);
  }
  if (!Array.isArray(raw) || raw.length !== 6) throw new RecordFormatError('not a log record');
  const [version, id, replica, at, lease, body] = raw as unknown[];
  if (version !== WIRE_VERSION) throw new RecordFormatError(`unknown record version ${String(version)}`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RecordFormatError('a record body must be an object');
  }
  const command = body as Record<string, unknown>;
  const tabular = TABULAR[command['kind'] as Command['kind']];
  if (tabular) command[tabular[0]] = fromRows(command[tabular[0]], tabular[1]);
  const record = { id, replica, at, lease, command };
  const problem = recordProblem(record);
  if (problem) throw new RecordFormatError(problem);
  return record as LogRecord;
}
