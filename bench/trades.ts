/**
 * Trades benchmark (not a test: these machines are shared and noisy).
 *
 * 100 symbols × one regular session of generated trades (test/helpers/trade-stream.ts: 50 a minute
 * each on average, quiet minutes and bursts of thousands; 1,950,000 trades in all, in time order,
 * no late or corrected prints), into 1s base bars with 1m, 5m, 1h and 1d derived, in batches of
 * 1,000 trades as a feed adapter hands them over. Figures: trades per second (best of 3 runs, the
 * inputs built before the clock starts) and retained heap + array-buffer bytes per trade after GC
 * (the bars, derived bars, quality, gaps and the trade book each symbol keeps for corrections),
 * measured against a baseline taken before the session existed, the inputs released first.
 * Target ≥ 1,000,000 trades/s.
 *
 * Standalone: `node --expose-gc --import tsx bench/trades.ts`.
 */
import { pathToFileURL } from 'node:url';
import { sessionWindow } from '../src/domain/calendar.ts';
import { parseInterval } from '../src/domain/intervals.ts';
import { resolveConditions } from '../src/domain/trade-conditions.ts';
import { type ChangeSequence, DayBars } from '../src/session/day-bars.ts';
import { TradeBars, type TradeFacts } from '../src/session/trade-bars.ts';
import { type GeneratedTrade, generateTradeStream } from '../test/helpers/trade-stream.ts';

const DATE = '2024-03-05';
const SYMBOLS = 100;
const TRADES_PER_SYMBOL = 19_500;
const BATCH = 1_000;

/** Figures of the trades benchmark. */
export interface TradesFigures {
  readonly tradesPerSec: number;
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

interface Input {
  readonly symbol: number;
  readonly trade: TradeFacts;
}

export function buildInputs(): Input[][] {
  const symbols = Array.from({ length: SYMBOLS }, (_, k) => `S${k}`);
  const index = new Map(symbols.map((s, k) => [s, k]));
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
  const batches: Input[][] = [];
  for (let k = 0; k < stream.messages.length; k += BATCH) {
    batches.push(
      stream.messages.slice(k, k + BATCH).map((m: GeneratedTrade) => ({
        symbol: index.get(m.symbol)!,
        trade: {
          ts: m.ts,
          price: m.price,
          size: m.size,
          id: m.id ?? null,
          resolved: resolveConditions(m.conditions, m.tape),
        },
      })),
    );
  }
  return batches;
}

export function newSymbols(): TradeBars[] {
  const window = sessionWindow(DATE, false)!;
  const derived = ['1m', '5m', '1h', '1d'].map(parseInterval);
  return Array.from({ length: SYMBOLS }, () => {
    const day = new DayBars(window, parseInterval('1s'), derived, { time: window.start, ended: false });
    return new TradeBars(day, window);
  });
}

export function ingestAll(symbols: TradeBars[], batches: readonly Input[][], seqs: ChangeSequence): number {
  let applied = 0;
  for (const batch of batches) {
    for (const input of batch)
      if (symbols[input.symbol]!.add(input.trade, seqs, null) === 'applied') applied++;
    for (const bars of symbols) bars.flush(seqs, null);
  }
  return applied;
}

export function sequence(): ChangeSequence {
  let n = 0;
  return { next: () => ++n };
}

/** Runs the benchmark. */
export function benchTrades(runs = 3): TradesFigures {
  let batches: Input[][] | null = buildInputs();
  const trades = batches.reduce((n, b) => n + b.length, 0);
  let best = 0;
  for (let run = 0; run < runs; run++) {
    const symbols = newSymbols();
    collect();
    const t0 = process.hrtime.bigint();
    const applied = ingestAll(symbols, batches, sequence());
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (applied !== trades) throw new Error(`only ${applied} of ${trades} trades applied`);
    best = Math.max(best, trades / seconds);
  }
  collect();
  const baseline = heapBytes();
  let symbols: TradeBars[] | null = newSymbols();
  ingestAll(symbols, batches, sequence());
  batches = null;
  collect();
  const retained = heapBytes() - baseline;
  if (symbols.length !== SYMBOLS) throw new Error('symbols lost');
  symbols = null;
  return { tradesPerSec: best, bytesPerTrade: retained / trades, trades };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = benchTrades();
  console.log(
    `trades: ${figures.trades.toLocaleString('en-US')} trades, ${Math.round(figures.tradesPerSec).toLocaleString('en-US')} trades/s, ${figures.bytesPerTrade.toFixed(1)} B/trade`,
  );
}
