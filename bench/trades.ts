/**
 * Trades benchmark (not a test: these machines are shared and noisy), through
 * `SessionData.ingestTicks` (validation, conditions, the trade book, bars, events' bookkeeping).
 *
 * 100 symbols × one regular session of generated trades (test/helpers/trade-stream.ts: 50 a minute
 * each on average, quiet minutes and bursts of thousands; 1,950,000 trades in all, in time order,
 * no late or corrected prints), into 1s base bars with 1m, 5m, 1h and 1d derived, in batches of
 * 1,000 trades as a feed adapter hands them over. Figures: trades per second (best of 3 runs, the
 * inputs built before the clock starts) and retained heap + array-buffer bytes per trade after GC
 * (the bars, derived bars, quality, gaps, the trade book each symbol keeps for corrections and
 * its buffer of the latest 10,000 ticks),
 * measured against a baseline taken before the session existed, the inputs released first.
 * Target ≥ 1,000,000 trades/s. Where the bytes go (per trade of this stream, 19,500 trades and
 * ~10,100 one-second bars per symbol): the day's bar buffer (1s base over the regular session with
 * 1m/5m/1h/1d, ~1.45 MB per symbol, ~75 B), the trade book (37 B a trade in 4,096-trade chunks, its
 * id table and 9 B per slot, ~55 B) and the tick buffer holding the latest 10,000 input objects per
 * symbol (~80 B).
 *
 * Standalone: `node --expose-gc --import tsx bench/trades.ts`.
 */
import { pathToFileURL } from 'node:url';
import type { TickInput } from '../src/domain/types.ts';
import { SessionData } from '../src/session/session-data.ts';
import { generateTradeStream } from '../test/helpers/trade-stream.ts';

const DATE = '2024-03-05';
const SYMBOLS = 100;
const TRADES_PER_SYMBOL = 19_500;
const BATCH = 1_000;

/** Figures of the trades benchmark. */
export interface TradesFigures {
  readonly tradesPerSec: number;
  /** Trades per CPU-second of the process (user + system; on a shared machine, steadier than wall time). */
  readonly tradesPerCpuSec: number;
  readonly bytesPerTrade: number;
  readonly trades: number;
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  if (gc) for (let i = 0; i < 3; i++) gc();
}

function heapBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const symbols = Array.from({ length: SYMBOLS }, (_, k) => `S${k}`);

/** The generated trades as TickInput batches (what ingestTicks is given). */
export function buildInputs(): TickInput[][] {
  const stream = generateTradeStream({
    seed: 2024,
    symbols,
    date: DATE,
    tradesPerSymbol: TRADES_PER_SYMBOL,
    late: 0,
    corrected: 0,
    cancelled: 0,
    markers: false,
  });
  // Each input is made in arrival order, as a feed adapter makes them while messages come in (the
  // generator makes them symbol by symbol).
  const batches: TickInput[][] = [];
  for (let k = 0; k < stream.messages.length; k += BATCH) {
    batches.push(stream.messages.slice(k, k + BATCH).map((m) => ({ ...m })));
  }
  return batches;
}

/** A MANUAL session with the symbols loaded as TRADES symbols. */
export function newSession(): SessionData {
  const session = new SessionData();
  session.start(DATE, 'MANUAL');
  for (const symbol of symbols) {
    session.beginLoad({
      symbol,
      baseInterval: '1s',
      derivedIntervals: ['1m', '5m', '1h', '1d'],
      historicalDays: 0,
      source: 'TRADES',
    });
    session.completeLoad(symbol, new Map(), []);
  }
  return session;
}

/** Ingests every batch; returns the trades accepted. */
export function ingestAll(session: SessionData, batches: readonly TickInput[][]): number {
  let accepted = 0;
  for (const batch of batches) accepted += session.ingestTicks(batch).accepted;
  return accepted;
}

/** Runs the benchmark. */
export function benchTrades(runs = 3): TradesFigures {
  let batches: TickInput[][] | null = buildInputs();
  const trades = batches.reduce((n, b) => n + b.length, 0);
  let best = 0;
  let bestCpu = 0;
  for (let run = 0; run < runs; run++) {
    const session = newSession();
    collect();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const applied = ingestAll(session, batches);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    if (applied !== trades) throw new Error(`only ${applied} of ${trades} trades applied`);
    best = Math.max(best, trades / seconds);
    bestCpu = Math.max(bestCpu, trades / ((cpu.user + cpu.system) / 1e6));
  }
  // Memory: a fresh session, against a baseline taken before it and its inputs existed.
  batches = null;
  collect();
  const baseline = heapBytes();
  let session: SessionData | null = newSession();
  batches = buildInputs();
  ingestAll(session, batches);
  batches = null;
  collect();
  const retained = heapBytes() - baseline;
  if (session.loadedSymbols().length !== SYMBOLS) throw new Error('symbols lost');
  session = null;
  return { tradesPerSec: best, tradesPerCpuSec: bestCpu, bytesPerTrade: retained / trades, trades };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = benchTrades();
  console.log(
    `trades: ${figures.trades.toLocaleString('en-US')} trades, ${Math.round(figures.tradesPerSec).toLocaleString('en-US')} trades/s (${Math.round(figures.tradesPerCpuSec).toLocaleString('en-US')} per CPU-second), ${figures.bytesPerTrade.toFixed(1)} B/trade`,
  );
}
