/**
 * Import of bar files (the real SPY sample, both formats, rejections, idempotence), on PGlite and,
 * when DATABASE_URL is set, on PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBarFile, importSample, SAMPLE_FILES } from '../../src/feed/import.ts';
import { ImportFileError, parseCsvTime } from '../../src/feed/import-csv.ts';
import { parseNinjaTraderTime, parsePyalgotradeLine } from '../../src/feed/import-pyalgotrade.ts';
import { openDatabase } from '../../src/store/database.ts';
import { Repository } from '../../src/store/repository.ts';
import { migratedImage, testDrivers, useTestDatabase } from '../helpers/db.ts';
import { scratchFolder } from '../helpers/scratch.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const JAN = join(ROOT, 'fixtures/spy/nt-spy-minute-2011.csv');
const MAR = join(ROOT, 'fixtures/spy/nt-spy-minute-2011-03.csv');
const MIN = 60_000;

/** Session date of every row of a PyAlgoTrade file, computed independently with luxon. */
async function expectedDates(path: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of (await readFile(path, 'utf8')).split(/\r?\n/)) {
    if (line === '') continue;
    const end = DateTime.fromFormat(line.slice(0, 15), 'yyyyMMdd HHmmss', { zone: 'utc' });
    const date = DateTime.fromMillis(end.toMillis() - MIN, { zone: 'America/New_York' }).toISODate()!;
    counts.set(date, (counts.get(date) ?? 0) + 1);
  }
  return counts;
}

let scratch: string;
beforeAll(async () => {
  scratch = await scratchFolder('import-test');
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('bar file parsing', () => {
  it('reads NinjaTrader times as UTC bar ends and rejects impossible ones', () => {
    expect(parseNinjaTraderTime('20110103 143100')).toBe(Date.UTC(2011, 0, 3, 14, 31));
    expect(parseNinjaTraderTime('20110230 143100')).toBeNull();
    expect(parseNinjaTraderTime('20110103 246000')).toBeNull();
    expect(parseNinjaTraderTime('2011-01-03 14:31')).toBeNull();
    const row = parsePyalgotradeLine(
      '20110103 143100;126.71;126.74;126.66;126.72;2259046\r',
      168,
      'SPY',
      MIN,
    );
    expect(row).toEqual({
      line: 168,
      symbol: 'SPY',
      bar: {
        ts: Date.parse('2011-01-03T14:30:00Z'),
        open: 126.71,
        high: 126.74,
        low: 126.66,
        close: 126.72,
        volume: 2259046,
        vwap: null,
        tradeCount: null,
      },
    });
    expect(parsePyalgotradeLine('', 1, 'SPY', MIN)).toBeNull();
  });

  it('reads CSV times with an offset or as epoch milliseconds only', () => {
    expect(parseCsvTime('2011-01-03T14:30:00Z')).toBe(Date.UTC(2011, 0, 3, 14, 30));
    expect(parseCsvTime('2011-01-03T09:30:00-05:00')).toBe(Date.UTC(2011, 0, 3, 14, 30));
    expect(parseCsvTime('2011-01-03T09:30:00.000-0500')).toBe(Date.UTC(2011, 0, 3, 14, 30));
    expect(parseCsvTime('1294065000000')).toBe(Date.UTC(2011, 0, 3, 14, 30));
    expect(parseCsvTime('2011-01-03T14:30:00')).toBeNull(); // no zone: ambiguous
    expect(parseCsvTime('2011-02-30T14:30:00Z')).toBeNull();
    expect(parseCsvTime('yesterday')).toBeNull();
  });
});

describe.each(testDrivers())('import on %s', (driver) => {
  const ctx = useTestDatabase(driver);
  const repoOf = () => new Repository(ctx().database);

  it('imports the January SPY file: bar starts, New York session dates, idempotent', async () => {
    const repo = repoOf();
    const progress: number[] = [];
    const first = await importBarFile(repo, JAN, {
      format: 'pyalgotrade',
      symbol: 'spy',
      onProgress: (p) => progress.push(p.rowsRead),
    });
    expect(first).toMatchObject({
      format: 'pyalgotrade',
      interval: '1m',
      symbols: ['SPY'],
      rowsRead: 14_180,
      stored: 14_180,
      unchanged: 0,
      duplicates: 0,
      rejected: 0,
      rejections: [],
      firstTs: Date.parse('2011-01-03T09:00:00Z'), // first row ends 09:01Z
    });
    expect(progress.at(-1)).toBe(14_180);

    // 2011-01-03 09:30 New York = 14:30Z: the row that ENDS at 14:31Z.
    const open = await repo.readBars(
      'SPY',
      '1m',
      Date.parse('2011-01-03T14:30:00Z'),
      Date.parse('2011-01-03T14:31:00Z'),
    );
    expect(open).toEqual([
      {
        ts: Date.parse('2011-01-03T14:30:00Z'),
        open: 126.71,
        high: 126.74,
        low: 126.66,
        close: 126.72,
        volume: 2259046,
        vwap: null,
        tradeCount: null,
        revision: 0,
      },
    ]);

    // Every row lands on the New York date of its start (luxon as the oracle).
    const expected = await expectedDates(JAN);
    expect([...expected.keys()].sort()).toEqual(first.sessionDates);
    expect(first.sessionDates).toHaveLength(20);
    const keys = first.sessionDates.map((date) => ({ symbol: 'SPY', interval: '1m', date }));
    const stored = await repo.readSessionBars(keys);
    expect(Object.fromEntries(keys.map((k, i) => [k.date, stored[i]!.length]))).toEqual(
      Object.fromEntries(expected),
    );

    // Friday post-market rows carry Saturday UTC dates (20110108 …): they belong to Friday 2011-01-07.
    const lines = (await readFile(JAN, 'utf8')).split(/\r?\n/).filter((l) => l.startsWith('20110108 '));
    expect(lines).toHaveLength(24);
    const friday = stored[first.sessionDates.indexOf('2011-01-07')]!;
    const saturdayUtc = friday.filter((b) => new Date(b.ts).getUTCDay() === 6);
    expect(saturdayUtc).toHaveLength(24);
    expect(saturdayUtc.at(-1)!.ts).toBe(Date.parse('2011-01-08T00:59:00Z')); // 19:59 New York
    const weekend = await repo.readSessionBars(
      ['2011-01-08', '2011-01-09'].map((date) => ({ symbol: 'SPY', interval: '1m', date })),
    );
    expect(weekend).toEqual([[], []]);

    // Second run: nothing stored, nothing rewritten.
    const again = await importBarFile(repo, JAN, { format: 'pyalgotrade', symbol: 'SPY' });
    expect(again).toMatchObject({ rowsRead: 14_180, stored: 0, unchanged: 14_180, rejected: 0 });
    const all = await repo.readBars('SPY', '1m', 0, Number.MAX_SAFE_INTEGER);
    expect(all).toHaveLength(14_180);
    expect(all.every((b) => b.revision === 0)).toBe(true);
  });

  it('imports the March SPY file (CRLF or LF alike) and re-imports changed rows as revisions', async () => {
    const repo = repoOf();
    const first = await importBarFile(repo, MAR, { format: 'pyalgotrade', symbol: 'SPY' });
    expect(first).toMatchObject({ rowsRead: 17_577, stored: 17_577, rejected: 0 });
    expect(first.sessionDates).toHaveLength(23);
    expect(first.sessionDates).toEqual([...(await expectedDates(MAR)).keys()].sort());

    // The March file has LF line ends (January's are CRLF): the CRLF copy reads the same.
    const text = await readFile(MAR, 'utf8');
    expect(text.includes('\r\n')).toBe(false);
    const crlf = join(scratch, `${driver}-mar-crlf.csv`);
    await writeFile(crlf, text.replaceAll('\n', '\r\n'));
    expect(await importBarFile(repo, crlf, { format: 'pyalgotrade', symbol: 'SPY' })).toMatchObject({
      rowsRead: 17_577,
      stored: 0,
      unchanged: 17_577,
    });

    // Two rows corrected at the source: only they are rewritten, with revision 1.
    const lines = text.split('\n');
    lines[0] = lines[0]!.replace(/;(\d+)$/, ';1');
    lines[1] = lines[1]!.replace(/;(\d+)$/, ';2');
    const changed = join(scratch, `${driver}-mar-changed.csv`);
    await writeFile(changed, lines.join('\n'));
    expect(await importBarFile(repo, changed, { format: 'pyalgotrade', symbol: 'SPY' })).toMatchObject({
      stored: 2,
      unchanged: 17_575,
    });
    const firstBars = await repo.readBars('SPY', '1m', 0, Date.parse('2011-03-01T09:03:00Z'));
    expect(firstBars.map((b) => [b.volume, b.revision])).toEqual([
      [1, 1],
      [2, 1],
    ]);
  });

  it('rejects bad rows with reasons and imports the rest', async () => {
    const file = join(scratch, `${driver}-bad.csv`);
    await writeFile(
      file,
      [
        '20110103 143100;126.71;126.74;126.66;126.72;2259046', // ok
        '20110103 143200;126.71;126.74;126.66', // too few fields
        '20110230 143300;1;1;1;1;1', // no such date
        '20110103 143400;abc;1;1;1;1', // not a number
        '20110103 143500;1;1;2;1;1', // low above open
        '20110103 143600;1;2;0;1;1', // low 0
        '20110103 143700;1;2;1;1;-5', // negative volume
        '',
        '20110103 143730;1;2;1;1;5', // start 14:36:30: not on a minute
        '20110103 143800;1;2;1;1;NaN', // NaN is not a number here
        '20110103 143900;10;11;9;10.5;100', // ok
      ].join('\n'),
    );
    const summary = await importBarFile(repoOf(), file, { format: 'pyalgotrade', symbol: 'SPY' });
    expect(summary).toMatchObject({
      rowsRead: 10,
      stored: 2,
      rejected: 8,
      rejectedByCode: { PARSE_ERROR: 1, INVALID_TIME: 1, INVALID_NUMBER: 3, INVALID_OHLC: 2, MISALIGNED: 1 },
    });
    expect(summary.rejections.map((r) => [r.line, r.code])).toEqual([
      [2, 'PARSE_ERROR'],
      [3, 'INVALID_TIME'],
      [4, 'INVALID_NUMBER'],
      [5, 'INVALID_OHLC'],
      [6, 'INVALID_OHLC'],
      [7, 'INVALID_NUMBER'],
      [9, 'MISALIGNED'],
      [10, 'INVALID_NUMBER'],
    ]);
    expect(summary.rejections[3]!.message).toMatch(/low 2 must be ≤ min\(open 1, close 1\)/);
  });

  it('imports the generic CSV: symbol column or default, optional vwap and trade count', async () => {
    const repo = repoOf();
    const file = join(scratch, `${driver}-generic.csv`);
    await writeFile(
      file,
      [
        'Symbol,ts,open,high,low,close,volume,vwap,trade_count',
        'aapl,2024-03-04T14:30:00Z,100,101,99,100.5,1000,100.2,12',
        'AAPL,2024-03-04T09:31:00-05:00,100.5,102,100,101,500,,',
        ',1709562600000,50,51,49,50.5,10,50.1,3', // default symbol (--symbol)
        'TSLA,2024-03-04T14:30:00Z,1,1,1', // wrong field count
        '$$$,2024-03-04T14:30:00Z,1,1,1,1,1,,',
        'TSLA,2024-03-04T14:30:00,1,1,1,1,1,,', // no offset
        'TSLA,2024-03-04T14:30:05Z,1,1,1,1,1,,', // misaligned
        'TSLA,2024-03-05T01:00:00Z,200,201,199,200,7,200,1', // 20:00 New York on 03-04
      ].join('\r\n'),
    );
    const summary = await importBarFile(repo, file, { format: 'csv', symbol: 'IWM' });
    expect(summary).toMatchObject({
      symbols: ['AAPL', 'IWM', 'TSLA'],
      rowsRead: 8,
      stored: 4,
      rejected: 4,
      rejectedByCode: { PARSE_ERROR: 1, INVALID_SYMBOL: 1, INVALID_TIME: 1, MISALIGNED: 1 },
      sessionDates: ['2024-03-04'],
    });
    const [aapl, iwm, tsla] = await repo.readSessionBars(
      ['AAPL', 'IWM', 'TSLA'].map((symbol) => ({ symbol, interval: '1m', date: '2024-03-04' })),
    );
    expect(aapl).toEqual([
      {
        ts: Date.parse('2024-03-04T14:30:00Z'),
        open: 100,
        high: 101,
        low: 99,
        close: 100.5,
        volume: 1000,
        vwap: 100.2,
        tradeCount: 12,
        revision: 0,
      },
      {
        ts: Date.parse('2024-03-04T14:31:00Z'),
        open: 100.5,
        high: 102,
        low: 100,
        close: 101,
        volume: 500,
        vwap: null,
        tradeCount: null,
        revision: 0,
      },
    ]);
    expect(iwm).toHaveLength(1);
    expect(tsla).toHaveLength(1);
    expect((await importBarFile(repo, file, { format: 'csv', symbol: 'IWM' })).stored).toBe(0);

    const noTs = join(scratch, `${driver}-nots.csv`);
    await writeFile(noTs, 'symbol,open,high,low,close,volume\nSPY,1,1,1,1,1\n');
    await expect(importBarFile(repo, noTs, { format: 'csv' })).rejects.toThrow(ImportFileError);
    await expect(importBarFile(repo, noTs, { format: 'csv' })).rejects.toThrow(/missing column\(s\) ts/);
    await expect(importBarFile(repo, JAN, { format: 'pyalgotrade' })).rejects.toThrow(/needs a symbol/);
    await expect(
      importBarFile(repo, JAN, { format: 'pyalgotrade', symbol: 'SPY', interval: '5m' }),
    ).rejects.toThrow(/base interval/);
  });

  it('imports the bundled sample for the demo', async () => {
    expect(SAMPLE_FILES).toHaveLength(2);
    const summaries = await importSample(repoOf());
    expect(summaries.map((s) => [s.rowsRead, s.stored, s.rejected])).toEqual([
      [14_180, 14_180, 0],
      [17_577, 17_577, 0],
    ]);
  });
});

describe('import command', () => {
  it('imports a file into the embedded store and prints the summary; a second run stores nothing', async () => {
    const run = promisify(execFile);
    const dataDir = join(scratch, 'cli-data');
    // The store exists already, migrated (opening an empty folder is the same code as the server's,
    // which test/e2e/demo.test.ts starts on one).
    await (await openDatabase({ dataDir, image: await migratedImage() })).close();
    const args = [
      '--import',
      'tsx',
      'scripts/import.ts',
      MAR,
      '--format',
      'pyalgotrade',
      '--symbol',
      'SPY',
      '--data-dir',
      dataDir,
    ];
    const env = { ...process.env, DATABASE_URL: '' };
    const first = await run(process.execPath, args, { cwd: ROOT, env });
    expect(first.stdout).toContain('rows read:  17577');
    expect(first.stdout).toContain('stored:     17577');
    expect(first.stdout).not.toContain('\u001b['); // no progress bar when stdout is not a terminal
    const second = await run(process.execPath, args, { cwd: ROOT, env });
    expect(second.stdout).toContain('stored:     0');
    expect(second.stdout).toContain('unchanged:  17577');
    await expect(
      run(process.execPath, ['--import', 'tsx', 'scripts/import.ts', MAR, '--format', 'xml'], {
        cwd: ROOT,
        env,
      }),
    ).rejects.toMatchObject({
      code: 2,
    });
  }, 60_000);
});
