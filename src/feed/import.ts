/**
 * Imports bar files into the store: streaming (constant memory: one batch of rows at a time),
 * validated row by row, written through the repository in batched upserts, idempotent (a row equal to
 * the stored one is not rewritten and keeps its revision, so a second import of the same file stores
 * nothing).
 */
import type { ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { normaliseSymbol, validateBarValues } from '../domain/bar-validation.ts';
import { nyDate } from '../domain/calendar.ts';
import { BASE_INTERVALS, parseInterval } from '../domain/intervals.ts';
import type { Instant, IsoDate } from '../domain/types.ts';
import type { BarRecord, UpsertResult } from '../store/bar-repository.ts';
import { readCsvBarFile } from './import-csv.ts';
import { readPyalgotradeFile } from './import-pyalgotrade.ts';
import type { ImportRejectionCode, ImportRow } from './import-rows.ts';

/** Supported file formats. */
export type ImportFormat = 'pyalgotrade' | 'csv';

/** Where imported bars go (the store's `Repository`, or its `BarRepository`). */
export interface ImportTarget {
  upsertBars(rows: readonly BarRecord[]): Promise<UpsertResult>;
}

/** How far an import is. */
export interface ImportProgress {
  readonly bytesRead: number;
  readonly totalBytes: number;
  readonly rowsRead: number;
}

/** Options of {@link importBarFile}. */
export interface ImportOptions {
  readonly format: ImportFormat;
  /** Symbol of rows that name none (required for `pyalgotrade`, which never does). */
  readonly symbol?: string | undefined;
  /** Base interval of the bars, `1m` (default) or `1s`. */
  readonly interval?: string | undefined;
  /** Rows per upsert batch (default 5,000). */
  readonly batchSize?: number | undefined;
  /** Rejected rows kept as examples in the summary (default 20). */
  readonly maxExamples?: number | undefined;
  /** Called after every batch and at the end. */
  readonly onProgress?: ((progress: ImportProgress) => void) | undefined;
}

/** A rejected row. */
export interface ImportRejection {
  readonly line: number;
  readonly code: ImportRejectionCode;
  readonly message: string;
}

/** What an import did. */
export interface ImportSummary {
  readonly file: string;
  readonly format: ImportFormat;
  readonly interval: string;
  /** Symbols of the accepted rows, sorted. */
  readonly symbols: readonly string[];
  /** Data rows read (empty lines not counted). */
  readonly rowsRead: number;
  /** Rows inserted, or updated because their values changed. */
  readonly stored: number;
  /** Valid rows equal to what was already stored (nothing written). */
  readonly unchanged: number;
  /** Valid rows overridden by a later row of the same key in the same batch (the later one wins). */
  readonly duplicates: number;
  /** Rows refused. */
  readonly rejected: number;
  /** Rejected rows per reason. */
  readonly rejectedByCode: Readonly<Partial<Record<ImportRejectionCode, number>>>;
  /** The first rejected rows (up to `maxExamples`). */
  readonly rejections: readonly ImportRejection[];
  /** New York session dates of the accepted rows, sorted. */
  readonly sessionDates: readonly IsoDate[];
  /** Start of the earliest and the latest accepted bar. */
  readonly firstTs: Instant | null;
  readonly lastTs: Instant | null;
  readonly durationMs: number;
}

/**
 * Imports one bar file through `repo` and returns what it did. Rows are validated (finite numbers,
 * `low > 0`, `low ≤ min(open, close)`, `high ≥ max(open, close)`, `volume ≥ 0`, valid symbol, start
 * aligned to the interval); refused rows are counted per reason and the rest of the file is imported.
 * The session date of a bar is the New York date of its start.
 * @throws Error when the options are invalid, the file cannot be read, or a write fails (rows of the
 * batches before are kept; importing again completes the file).
 */
export async function importBarFile(
  repo: ImportTarget,
  path: string,
  options: ImportOptions,
): Promise<ImportSummary> {
  const started = performance.now();
  const interval = parseInterval(options.interval ?? '1m');
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
  } else if (options.format === 'pyalgotrade') {
    throw new Error('The pyalgotrade format needs a symbol (--symbol)');
  }

  const totalBytes = (await stat(path)).size;
  let input: ReadStream | null = null;
  const onStream = (s: ReadStream) => {
    input = s;
  };
  const rows: AsyncIterable<ImportRow> =
    options.format === 'pyalgotrade'
      ? readPyalgotradeFile(path, defaultSymbol!, interval.ms, onStream)
      : readCsvBarFile(path, onStream);

  let rowsRead = 0;
  let stored = 0;
  let unchanged = 0;
  let duplicates = 0;
  let rejected = 0;
  const rejectedByCode: Partial<Record<ImportRejectionCode, number>> = {};
  const rejections: ImportRejection[] = [];
  const symbols = new Set<string>();
  const dates = new Set<IsoDate>();
  let firstTs: Instant | null = null;
  let lastTs: Instant | null = null;
  let batch: BarRecord[] = [];

  const reject = (line: number, code: ImportRejectionCode, message: string) => {
    rejected++;
    rejectedByCode[code] = (rejectedByCode[code] ?? 0) + 1;
    if (rejections.length < maxExamples) rejections.push({ line, code, message });
  };
  const progress = () =>
    options.onProgress?.({ bytesRead: (input as ReadStream | null)?.bytesRead ?? 0, totalBytes, rowsRead });
  const write = async () => {
    if (batch.length === 0) return;
    const result = await repo.upsertBars(batch);
    stored += result.stored;
    unchanged += result.unchanged;
    duplicates += result.superseded;
    batch = [];
    progress();
  };

  for await (const row of rows) {
    rowsRead++;
    if (row.error !== undefined) {
      reject(row.line, row.error.code, row.error.message);
      continue;
    }
    const symbol = row.symbol === null || row.symbol === '' ? defaultSymbol : normaliseSymbol(row.symbol);
    if (symbol === null) {
      reject(
        row.line,
        'INVALID_SYMBOL',
        row.symbol === null || row.symbol === ''
          ? 'no symbol (no symbol column value and no --symbol)'
          : `invalid symbol ${JSON.stringify(row.symbol)}`,
      );
      continue;
    }
    const failure = validateBarValues(row.bar);
    if (failure !== null) {
      reject(row.line, failure.code as ImportRejectionCode, failure.message);
      continue;
    }
    const ts = row.bar.ts;
    if (!Number.isSafeInteger(ts) || ts % interval.ms !== 0) {
      reject(
        row.line,
        'MISALIGNED',
        `bar start ${new Date(ts).toISOString()} is not aligned to ${interval.name}`,
      );
      continue;
    }
    const sessionDate = nyDate(ts);
    symbols.add(symbol);
    dates.add(sessionDate);
    if (firstTs === null || ts < firstTs) firstTs = ts;
    if (lastTs === null || ts > lastTs) lastTs = ts;
    batch.push({ symbol, interval: interval.name, sessionDate, revision: 0, ...row.bar });
    if (batch.length >= batchSize) await write();
  }
  await write();
  progress();

  return {
    file: path,
    format: options.format,
    interval: interval.name,
    symbols: [...symbols].sort(),
    rowsRead,
    stored,
    unchanged,
    duplicates,
    rejected,
    rejectedByCode,
    rejections,
    sessionDates: [...dates].sort(),
    firstTs,
    lastTs,
    durationMs: performance.now() - started,
  };
}

/** The SPY sample bundled with the project (PyAlgoTrade format, 1m bars), for the demo. */
export const SAMPLE_FILES: readonly string[] = ['nt-spy-minute-2011.csv', 'nt-spy-minute-2011-03.csv'].map(
  (name) => fileURLToPath(new URL(`../../fixtures/spy/${name}`, import.meta.url)),
);

/** Imports the bundled SPY sample ({@link SAMPLE_FILES}) as symbol SPY, 1m bars. */
export async function importSample(repo: ImportTarget): Promise<ImportSummary[]> {
  const summaries: ImportSummary[] = [];
  for (const file of SAMPLE_FILES) {
    summaries.push(await importBarFile(repo, file, { format: 'pyalgotrade', symbol: 'SPY', interval: '1m' }));
  }
  return summaries;
}

/** A short human summary of an import (several lines). */
export function formatImportSummary(s: ImportSummary): string {
  const lines = [
    `${s.file} (${s.format}, ${s.interval}, ${s.symbols.join(', ') || 'no symbol'})`,
    `  rows read:  ${s.rowsRead}`,
    `  stored:     ${s.stored} (new or changed)`,
    `  unchanged:  ${s.unchanged}`,
  ];
  if (s.duplicates > 0) lines.push(`  duplicates: ${s.duplicates} (a later row of the same bar won)`);
  lines.push(`  rejected:   ${s.rejected}`);
  for (const [code, count] of Object.entries(s.rejectedByCode)) lines.push(`    ${code}: ${count}`);
  for (const r of s.rejections) lines.push(`    line ${r.line}: ${r.code} ${r.message}`);
  if (s.firstTs !== null && s.lastTs !== null) {
    lines.push(
      `  bars:       ${new Date(s.firstTs).toISOString()} … ${new Date(s.lastTs).toISOString()} ` +
        `(${s.sessionDates.length} session dates)`,
    );
  }
  lines.push(`  took:       ${Math.round(s.durationMs)} ms`);
  return lines.join('\n');
}
