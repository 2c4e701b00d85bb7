/**
 * Ingest benchmark of the session tree (not a test: these machines are shared and noisy).
 *
 * - ingest-1m: 1,000 symbols × one full regular session of 1m bars (390,000 base bars) with derived
 *   5m, 15m, 1h and 1d;
 * - ingest-1s: 100 symbols × 23,400 1s bars (2,340,000 base bars) with derived 1m and 5m;
 * - ingest-1s-updating: a live feed that updates its forming bar: 100 symbols of 1s bars with
 *   derived 1m, 5m, 1h and 1d, each bar sent once and then updated three times (new close,
 *   high/low and volume) before the next one starts: bar messages per second (every update is a
 *   correction of the latest bar, which the 1h and 1d windows and the session metrics absorb in
 *   O(1)).
 *
 * Bars are fed in time order through `SessionData.ingestBars`, one batch per base slot holding every
 * symbol's bar of that slot, in a MANUAL session (so the clock closes windows as it goes). The input
 * objects are built before the clock starts. Figures: base bars per second (best of a few runs) and
 * retained heap bytes per base bar after GC (heapUsed + arrayBuffers, measured against a baseline
 * taken before the session was created; the input objects are released first; derived bars, quality,
 * gaps, metrics and the per-symbol buffers are all included).
 *
 * Standalone: `node --expose-gc --import tsx bench/ingest.ts` (or `tsx --expose-gc bench/ingest.ts`).
 * Without `--expose-gc` the memory figure is approximate (no forced collection).
 */
import { pathToFileURL } from 'node:url';
import { tradingDay } from '../src/domain/calendar.ts';
import type { BarInput } from '../src/domain/types.ts';
import { SessionData } from '../src/session/session-data.ts';

/** Figures of one scenario. */
export interface IngestFigures {
  /** Base bars ingested per second (best run). */
  readonly barsPerSec: number;
  /** Retained heap + array-buffer bytes per base bar after GC. */
  readonly bytesPerBar: number;
}

interface Scenario {
  readonly symbols: number;
  readonly base: '1m' | '1s';
  readonly derived: readonly string[];
  /** How many timed runs (the best counts). */
  readonly runs: number;
}

/** A regular trading day (Tuesday), 09:30–16:00 ET. */
const DATE = '2024-03-05';

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  if (!gc) return;
  for (let i = 0; i < 3; i++) gc();
}

function heapBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function symbolNames(count: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    let n = i;
    let name = '';
    do {
      name = String.fromCharCode(65 + (n % 26)) + name;
      n = Math.floor(n / 26);
    } while (n > 0);
    names.push(`S${name}`);
  }
  return names;
}

function newSession(symbols: readonly string[], scenario: Scenario): SessionData {
  const session = new SessionData();
  session.start(DATE, 'MANUAL');
  for (const symbol of symbols) {
    session.beginLoad({
      symbol,
      baseInterval: scenario.base,
      derivedIntervals: scenario.derived,
      historicalDays: 0,
    });
    session.completeLoad(symbol, new Map(), []);
  }
  return session;
}

/** One batch per base slot, each holding every symbol's bar of that slot (a deterministic random walk). */
function buildInputs(symbols: readonly string[], baseMs: number): BarInput[][] {
  const day = tradingDay(DATE);
  const open = day.regularOpen!;
  const slots = (day.regularClose! - open) / baseMs;
  const prices = symbols.map((_, i) => 20 + (i % 400));
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const batches: BarInput[][] = new Array<BarInput[]>(slots);
  for (let slot = 0; slot < slots; slot++) {
    const ts = open + slot * baseMs;
    const batch: BarInput[] = new Array<BarInput>(symbols.length);
    for (let i = 0; i < symbols.length; i++) {
      const o = prices[i]!;
      const c = Math.round(o * (1 + (random() - 0.5) * 0.002) * 100) / 100;
      const high = Math.max(o, c) + 0.01;
      const low = Math.min(o, c) - 0.01;
      const volume = Math.floor(random() * 10_000);
      prices[i] = c;
      batch[i] = {
        symbol: symbols[i]!,
        ts,
        open: o,
        high,
        low,
        close: c,
        volume,
        vwap: (o + c + high + low) / 4,
        tradeCount: Math.floor(volume / 50),
      };
    }
    batches[slot] = batch;
  }
  return batches;
}

/** Each batch followed by `updates` versions of it (a forming bar updated in place). */
function withUpdates(batches: readonly BarInput[][], updates: number): BarInput[][] {
  const out: BarInput[][] = [];
  for (const batch of batches) {
    out.push(batch);
    for (let u = 1; u <= updates; u++) {
      out.push(
        batch.map((bar) => {
          const close = Math.round((bar.close + u * 0.01) * 100) / 100;
          return {
            ...bar,
            close,
            high: Math.max(bar.high, close),
            low: Math.min(bar.low, close),
            volume: bar.volume + u * 10,
          };
        }),
      );
    }
  }
  return out;
}

/** Bar messages per second of a 1s feed that updates every bar three times while it forms. */
function runUpdating(runs: number): number {
  const scenario: Scenario = { symbols: 100, base: '1s', derived: ['1m', '5m', '1h', '1d'], runs };
  const symbols = symbolNames(scenario.symbols);
  let best = 0;
  for (let run = 0; run < runs; run++) {
    const batches = withUpdates(buildInputs(symbols, 1_000), 3);
    const session = newSession(symbols, scenario);
    collect();
    const t0 = process.hrtime.bigint();
    const accepted = ingestAll(session, batches);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const total = batches.length * symbols.length;
    if (accepted !== total) throw new Error(`only ${accepted} of ${total} bars accepted`);
    best = Math.max(best, accepted / seconds);
  }
  return best;
}

function ingestAll(session: SessionData, batches: readonly BarInput[][]): number {
  let accepted = 0;
  for (const batch of batches) accepted += session.ingestBars(batch).accepted;
  return accepted;
}

function runScenario(scenario: Scenario): IngestFigures {
  const symbols = symbolNames(scenario.symbols);
  const baseMs = scenario.base === '1m' ? 60_000 : 1_000;
  let best = 0;
  let totalBars = 0;
  for (let run = 0; run < scenario.runs; run++) {
    const batches = buildInputs(symbols, baseMs);
    const session = newSession(symbols, scenario);
    collect();
    const t0 = process.hrtime.bigint();
    const accepted = ingestAll(session, batches);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    totalBars = batches.length * symbols.length;
    if (accepted !== totalBars) throw new Error(`only ${accepted} of ${totalBars} bars accepted`);
    best = Math.max(best, accepted / seconds);
  }

  // Memory: a fresh session, measured against a baseline taken before it existed.
  collect();
  const baseline = heapBytes();
  let session: SessionData | null = newSession(symbols, scenario);
  let batches: BarInput[][] | null = buildInputs(symbols, baseMs);
  ingestAll(session, batches);
  batches = null;
  collect();
  const retained = heapBytes() - baseline;
  // Keep the session alive until after the measurement.
  if (session.loadedSymbols().length !== symbols.length) throw new Error('symbols lost');
  session = null;
  return { barsPerSec: best, bytesPerBar: retained / totalBars };
}

/** Runs the three scenarios. */
export function benchIngest(): {
  ingest1m: IngestFigures;
  ingest1s: IngestFigures;
  updatingBarsPerSec: number;
} {
  const ingest1m = runScenario({ symbols: 1_000, base: '1m', derived: ['5m', '15m', '1h', '1d'], runs: 5 });
  collect();
  const ingest1s = runScenario({ symbols: 100, base: '1s', derived: ['1m', '5m'], runs: 3 });
  collect();
  const updatingBarsPerSec = runUpdating(2);
  collect();
  return { ingest1m, ingest1s, updatingBarsPerSec };
}

function format(figures: IngestFigures): string {
  return `${Math.round(figures.barsPerSec)} bars/s, ${figures.bytesPerBar.toFixed(1)} B/bar`;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;

if (isMain) {
  if (!gc) console.warn('run with --expose-gc for exact memory figures');
  const { ingest1m, ingest1s, updatingBarsPerSec } = benchIngest();
  console.log(
    `ingest-1m: ${format(ingest1m)}; ingest-1s: ${format(ingest1s)}; ` +
      `ingest-1s-updating: ${Math.round(updatingBarsPerSec)} bars/s`,
  );
}
