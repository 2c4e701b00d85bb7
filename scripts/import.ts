/**
 * `npm run import -- <file…> --format pyalgotrade|csv|trades [--symbol SPY] [--interval 1m]
 *  [--extended-hours]`
 *
 * Imports bar files, or trade files (`--format trades`: the CSV of src/feed/import-trades-csv.ts,
 * built into base bars as `ingestTicks` does for a symbol loaded with source TRADES; `--interval`
 * defaults to 1s there, `--extended-hours` builds over the extended session), into the store the
 * server uses: PostgreSQL at DATABASE_URL (or --database-url),
 * else the embedded database in DATA_DIR (or --data-dir, default ./data). Streaming, idempotent
 * (importing a file again stores nothing new), with a progress bar on a terminal and a summary per
 * file. Exit code 1 when an import fails, 2 for bad arguments.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { formatImportSummary, type ImportFormat, importBarFile } from '../src/feed/import.ts';
import { formatTradeImportSummary, importTradeFile } from '../src/feed/import-trades.ts';
import { openDatabase } from '../src/store/database.ts';
import { Repository } from '../src/store/repository.ts';

const USAGE = `Usage: npm run import -- <file…> --format pyalgotrade|csv|trades [--symbol SYM] [--interval 1m|1s]
                      [--extended-hours] [--database-url URL] [--data-dir DIR] [--batch-size N]`;

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const format = values.format;
  if (format !== 'pyalgotrade' && format !== 'csv' && format !== 'trades') {
    console.error(`--format must be pyalgotrade, csv or trades\n${USAGE}`);
    return 2;
  }
  if (positionals.length === 0) {
    console.error(`No file given\n${USAGE}`);
    return 2;
  }
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  const { DATABASE_URL, DATA_DIR } = process.env;
  const database = await openDatabase({
    url: values['database-url'] ?? (DATABASE_URL || undefined),
    dataDir: values['data-dir'] ?? DATA_DIR ?? './data',
  });
  console.error(`store: ${database.driver} ${database.target}`);
  const repo = new Repository(database);
  let failed = false;
  try {
    for (const file of positionals) {
      const bar = process.stdout.isTTY
        ? new cliProgress.SingleBar(
            {
              format: `${file} [{bar}] {percentage}% | {rows} rows | {eta_formatted} left`,
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          )
        : null;
      bar?.start(1, 0, { rows: 0 });
      try {
        const onProgress = (p: { totalBytes: number; bytesRead: number; rowsRead: number }) => {
          bar?.setTotal(Math.max(1, p.totalBytes));
          bar?.update(p.bytesRead, { rows: p.rowsRead });
        };
        if (format === 'trades') {
          const summary = await importTradeFile(repo, file, {
            symbol: values.symbol,
            interval: values.interval,
            extendedHours: values['extended-hours'] ?? false,
            batchSize,
            onProgress,
          });
          bar?.stop();
          console.log(formatTradeImportSummary(summary));
        } else {
          const summary = await importBarFile(repo, file, {
            format: format as ImportFormat,
            symbol: values.symbol,
            interval: values.interval,
            batchSize,
            onProgress,
          });
          bar?.stop();
          console.log(formatImportSummary(summary));
        }
      } catch (error) {
        bar?.stop();
        failed = true;
        console.error(`${file}: import failed: ${(error as Error).message}`);
      }
    }
  } finally {
    await database.close();
  }
  return failed ? 1 : 0;
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: 'string' },
      symbol: { type: 'string' },
      interval: { type: 'string' },
      'database-url': { type: 'string' },
      'data-dir': { type: 'string' },
      'batch-size': { type: 'string' },
      'extended-hours': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  },
);
