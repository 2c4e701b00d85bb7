/**
 * Import of trade files (the trade CSV of src/feed/import-trades-csv.ts), on PGlite and, with
 * DATABASE_URL, PostgreSQL: a generated day of trades with corrections, cancels and bad rows is built
 * into the bars the reference computes, the trade log is stored, a second import stores nothing; a
 * server loading the symbol as TRADES gets those bars and a working book; the command line prints
 * the summary.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionWindow } from '../../src/domain/calendar.ts';
import type { StoredBar } from '../../src/domain/types.ts';
import { importTradeFile } from '../../src/feed/import-trades.ts';
import { parseTradeTime } from '../../src/feed/import-trades-csv.ts';
import { openDatabase } from '../../src/store/database.ts';
import { Repository } from '../../src/store/repository.ts';
import { migratedImage, testDrivers, useTestDatabase } from '../helpers/db.ts';
import { type TradeMessage, TradeReference } from '../helpers/trade-reference.ts';
import { type GeneratedTrade, generateTradeStream } from '../helpers/trade-stream.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DATE = '2024-03-05';
const REGULAR = sessionWindow(DATE, false)!;

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'import-trades-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function csvLine(m: GeneratedTrade): string {
  return [
    m.symbol,
    new Date(m.ts).toISOString(),
    m.price,
    m.size,
    m.id ?? '',
    m.exchange,
    m.conditions.join(' '),
    m.tape,
    m.replaces ?? '',
    m.cancels ?? '',
  ].join(',');
}

function messageOf(m: GeneratedTrade): TradeMessage {
  if (m.cancels !== undefined) return { kind: 'cancel', id: m.cancels };
  if (m.replaces !== undefined) return { kind: 'replace', id: m.replaces, trade: m };
  return { kind: 'trade', trade: m };
}

function values(bar: StoredBar) {
  const { ts, open, high, low, close, volume, vwap, tradeCount } = bar;
  return { ts, open, high, low, close, volume, vwap, tradeCount };
}

/** A generated day of one symbol as a trade CSV, with three bad rows; and its reference. */
async function tradeFile(): Promise<{ path: string; reference: TradeReference; messages: GeneratedTrade[] }> {
  const messages = generateTradeStream({
    seed: 5,
    symbols: ['AAPL'],
    date: DATE,
    tradesPerSymbol: 2_000,
    late: 0.02,
    corrected: 0.01,
    cancelled: 0.01,
  }).messages;
  const reference = new TradeReference(REGULAR, REGULAR, 1_000);
  for (const m of messages) reference.play(messageOf(m));
  const lines = [
    'symbol,ts,price,size,id,exchange,conditions,tape,replaces,cancels',
    ...messages.map(csvLine),
    'AAPL,not-a-time,10,100,x1,Q,@,C,,',
    'AAPL,2024-03-05T15:00:00Z,-1,100,x2,Q,@,C,,',
    'AAPL,2024-03-05T12:00:00Z,10,100,x3,Q,@,C,,',
  ];
  const path = join(scratch, `trades-${Math.random().toString(36).slice(2)}.csv`);
  await writeFile(path, `${lines.join('\n')}\n`);
  return { path, reference, messages };
}

describe('trade times', () => {
  it('reads ISO with an offset, epoch ms and epoch ns', () => {
    expect(parseTradeTime('2024-03-05T14:30:00.123Z')).toBe(Date.UTC(2024, 2, 5, 14, 30, 0, 123));
    expect(parseTradeTime('1709649000123')).toBe(1_709_649_000_123);
    expect(parseTradeTime('1709649000123456789')).toBe(1_709_649_000_123);
    expect(parseTradeTime('2024-03-05 14:30')).toBeNull();
  });
});

describe.each(testDrivers())('trade import on %s', (driver) => {
  const ctx = useTestDatabase(driver);

  it('stores the trade log and the bars the reference builds; a second import stores nothing', async () => {
    const repo = new Repository(ctx().database);
    const { path, reference, messages } = await tradeFile();
    const summary = await importTradeFile(repo, path, { batchSize: 700 });
    const refusedByReference = reference.outcomes.filter(
      (o) => !['applied', 'duplicate', 'unchanged'].includes(o),
    );
    expect(summary.rowsRead).toBe(messages.length + 3);
    expect(summary.rejected).toBe(3 + refusedByReference.length);
    expect(summary.rejectedByCode).toMatchObject({ INVALID_TIME: 1, INVALID_NUMBER: 1, OUTSIDE_SESSION: 1 });
    expect(summary.stored).toBe(reference.outcomes.filter((o) => o === 'applied').length);
    expect(summary.symbols).toEqual(['AAPL']);
    expect(summary.sessionDates).toEqual([DATE]);
    const [stored = []] = await repo.readSessionBars([{ symbol: 'AAPL', interval: '1s', date: DATE }]);
    expect(stored.map(values)).toEqual(reference.baseBars().map(values));
    expect((await repo.readTradeLog('AAPL', DATE)).length).toBe(summary.stored);

    const again = await importTradeFile(repo, path);
    expect(again.stored).toBe(0);
    expect(again.barsWritten).toBe(0);
    const [same = []] = await repo.readSessionBars([{ symbol: 'AAPL', interval: '1s', date: DATE }]);
    expect(same).toEqual(stored);
  }, 60_000);
});

describe('trade import command', () => {
  it('imports a trade file into the embedded store and prints the summary', async () => {
    const run = promisify(execFile);
    const dataDir = join(scratch, 'cli-data');
    await (await openDatabase({ dataDir, image: await migratedImage() })).close();
    const { path, reference } = await tradeFile();
    const args = ['--import', 'tsx', 'scripts/import.ts', path, '--format', 'trades', '--data-dir', dataDir];
    const env = { ...process.env, DATABASE_URL: '' };
    const first = await run(process.execPath, args, { cwd: ROOT, env });
    const applied = reference.outcomes.filter((o) => o === 'applied').length;
    expect(first.stdout).toContain(`stored:     ${applied} trade messages`);
    expect(first.stdout).toContain('INVALID_TIME: 1');
    const second = await run(process.execPath, args, { cwd: ROOT, env });
    expect(second.stdout).toContain('stored:     0 trade messages, 0 bar versions');
  }, 60_000);
});
