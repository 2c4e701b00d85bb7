/**
 * A seeded, reproducible generator of realistic trade streams (no licensed trade data can be bundled).
 *
 * Per symbol and session: a given number of trades spread over the minutes with quiet minutes (no
 * trade), ordinary ones and bursts of thousands within a few seconds; prices on a cent grid walking
 * by ticks; round lots and odd lots; the common sale conditions in realistic proportions as Alpaca
 * sends them (CTA letters on tape A for some symbols, UTP letters on tape C for the others): regular,
 * ISO, odd lot (with `I`), ISO odd lot, average price, derivatively priced, contingent and qualified
 * contingent, cash, next day, out-of-sequence, an opening and a closing print, the official open and
 * close markers, Form T outside the regular session, and a rare unknown code. Then late prints
 * (arriving seconds to minutes after their time), corrections (`replaces`) and cancels (`cancels`)
 * of earlier prints. Messages come in arrival order across symbols.
 */
import { sessionWindow } from '../../src/domain/calendar.ts';
import type { Instant, IsoDate } from '../../src/domain/types.ts';

/** One message of the stream, shaped as a TickInput of a TRADES symbol. */
export interface GeneratedTrade {
  readonly symbol: string;
  readonly ts: Instant;
  readonly price: number;
  readonly size: number;
  /** The venue's id; absent on a cancel. */
  readonly id?: string;
  readonly exchange: string;
  readonly conditions: readonly string[];
  readonly tape: string;
  /** Set on a correction: the id of the print it replaces. */
  readonly replaces?: string;
  /** Set on a cancel: the id of the print it cancels (the other fields repeat that print). */
  readonly cancels?: string;
}

/** What to generate. */
export interface TradeStreamOptions {
  readonly seed: number;
  readonly symbols: readonly string[];
  readonly date: IsoDate;
  /** Generate over the extended session (pre- and post-market prints carry Form T). */
  readonly extendedHours?: boolean;
  /** Trades per symbol (exactly). Default: 50 per minute of the session. */
  readonly tradesPerSymbol?: number;
  /** Share of minutes without any trade (default 0.1). */
  readonly quietMinutes?: number;
  /** Share of minutes that are bursts of 1,500–4,000 trades in a few seconds (default 0.004). */
  readonly burstMinutes?: number;
  /** Share of prints arriving late, 1 s to 2 min after their time (default 0.005). */
  readonly late?: number;
  /** Share of prints later corrected (default 0.0005). */
  readonly corrected?: number;
  /** Share of prints later cancelled (default 0.0005). */
  readonly cancelled?: number;
  /** Add the official open and close markers per symbol (default true). */
  readonly markers?: boolean;
}

/** A small, fast, seeded PRNG (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const MINUTE = 60_000;
const EXCHANGES_CTA = ['N', 'P', 'Q', 'Z', 'K', 'V', 'D'];
const EXCHANGES_UTP = ['Q', 'P', 'Z', 'K', 'V', 'D', 'X'];

/** [conditions, weight]: what a trade in the regular session carries; odd lots get `I` added. */
const REGULAR_MIX: readonly [readonly string[], number][] = [
  [['@'], 0.52],
  [['@', 'F'], 0.2],
  [['@', '7'], 0.01],
  [['@', 'V'], 0.005],
  [['B'], 0.003],
  [['@', '4'], 0.003],
  [['C'], 0.001],
  [['N'], 0.001],
  [['@', 'Z'], 0.002],
  [['@', '&'], 0.0002],
];
const REGULAR_TOTAL = REGULAR_MIX.reduce((sum, [, w]) => sum + w, 0);
const ODD_LOT_SHARE = 0.4;

/** The stream's messages in arrival order, and what they hold. */
export interface TradeStream {
  readonly messages: GeneratedTrade[];
  /** Trade prints (not counting corrections' new prints nor cancels). */
  readonly prints: number;
  readonly late: number;
  readonly corrections: number;
  readonly cancels: number;
}

/** Generates a stream. The same options give the same stream. */
export function generateTradeStream(options: TradeStreamOptions): TradeStream {
  const rand = random(options.seed);
  const window = sessionWindow(options.date, options.extendedHours ?? false);
  const regular = sessionWindow(options.date, false);
  if (window === null || regular === null) throw new Error(`${options.date} is not a trading day`);
  const minutes = (window.end - window.start) / MINUTE;
  const perSymbol = options.tradesPerSymbol ?? minutes * 50;
  const arrivals: { arrival: number; order: number; message: GeneratedTrade }[] = [];
  let late = 0;
  let corrections = 0;
  let cancels = 0;
  const push = (arrival: number, message: GeneratedTrade) =>
    arrivals.push({ arrival, order: arrivals.length, message });

  options.symbols.forEach((symbol, symbolIndex) => {
    const tape = symbolIndex % 3 === 2 ? 'C' : 'A';
    const exchanges = tape === 'C' ? EXCHANGES_UTP : EXCHANGES_CTA;
    const counts = minuteCounts(rand, minutes, perSymbol, options);
    let cents = Math.round((20 + rand() * 480) * 100);
    let nextId = 52_983_525_000_000 + symbolIndex * 10_000_000;
    let opened = false;
    for (let m = 0; m < minutes; m++) {
      const count = counts[m]!;
      if (count === 0) continue;
      const minuteStart = window.start + m * MINUTE;
      const burst = count > 1_000;
      const spanStart = burst ? minuteStart + Math.floor(rand() * 50_000) : minuteStart;
      const span = burst ? 2_000 + Math.floor(rand() * 8_000) : MINUTE;
      const times: number[] = [];
      for (let k = 0; k < count; k++) times.push(spanStart + Math.floor(rand() * span));
      times.sort((a, b) => a - b);
      for (const ts of times) {
        if (rand() < 0.08)
          cents = Math.max(100, cents + (rand() < 0.5 ? -1 : 1) * (1 + Math.floor(rand() * 3)));
        const oddLot = rand() < ODD_LOT_SHARE;
        const size = oddLot ? 1 + Math.floor(rand() * 99) : 100 * (1 + Math.floor(rand() ** 3 * 20));
        const inRegular = ts >= regular.start && ts < regular.end;
        let conditions = inRegular ? pick(rand) : FORM_T;
        if (inRegular && !opened) {
          conditions = OPENING;
          opened = true;
        } else if (inRegular && ts >= regular.end - 200) conditions = CLOSING;
        if (oddLot && conditions.length > 0 && conditions[0] === '@') conditions = withOddLot(conditions);
        const trade: GeneratedTrade = {
          symbol,
          ts,
          price: cents / 100,
          size,
          id: String(nextId++),
          exchange: exchanges[Math.floor(rand() * exchanges.length)]!,
          conditions,
          tape,
        };
        const isLate = rand() < (options.late ?? 0.005);
        if (isLate) late++;
        push(isLate ? ts + 1_000 + Math.floor(rand() * 119_000) : ts, trade);
        const after = ts + 2_000 + Math.floor(rand() * 60_000);
        const fix = rand();
        if (fix < (options.corrected ?? 0.0005)) {
          corrections++;
          push(after, {
            ...trade,
            id: String(nextId++),
            size: trade.size + 100,
            price: (cents + (rand() < 0.5 ? -1 : 1)) / 100,
            replaces: trade.id!,
          });
        } else if (fix < (options.corrected ?? 0.0005) + (options.cancelled ?? 0.0005)) {
          cancels++;
          const { id: _id, ...rest } = trade;
          push(after, { ...rest, cancels: trade.id! });
        }
      }
    }
    // The official open and close markers, as the listing market sends them once a day.
    if (options.markers === false) return;
    push(regular.start + 1_000, marker(symbol, regular.start, cents, tape, 'Q', String(nextId++)));
    push(regular.end - 1, marker(symbol, regular.end - 1, cents, tape, 'M', String(nextId++)));
  });
  arrivals.sort((a, b) => a.arrival - b.arrival || a.order - b.order);
  const prints = options.symbols.length * (perSymbol + (options.markers === false ? 0 : 2));
  return { messages: arrivals.map((a) => a.message), prints, late, corrections, cancels };
}

function marker(symbol: string, ts: Instant, cents: number, tape: string, code: string, id: string) {
  return {
    symbol,
    ts,
    price: cents / 100,
    size: 100,
    id,
    exchange: tape === 'C' ? 'Q' : 'N',
    conditions: [code],
    tape,
  };
}

const FORM_T: readonly string[] = Object.freeze(['@', 'T']);
const OPENING: readonly string[] = Object.freeze(['O']);
const CLOSING: readonly string[] = Object.freeze(['6']);

/** Condition lists are shared, as a feed adapter interns them: one array per combination. */
const ODD_LOTS = new Map<readonly string[], readonly string[]>();

function withOddLot(conditions: readonly string[]): readonly string[] {
  let odd = ODD_LOTS.get(conditions);
  if (odd === undefined) {
    odd = Object.freeze([...conditions, 'I']);
    ODD_LOTS.set(conditions, odd);
  }
  return odd;
}

function pick(rand: () => number): readonly string[] {
  let r = rand() * REGULAR_TOTAL;
  for (const [conditions, weight] of REGULAR_MIX) {
    r -= weight;
    if (r < 0) return conditions;
  }
  return REGULAR_MIX[0]![0];
}

/** Trades per minute summing to exactly `total`: quiet minutes, bursts, the rest by random weights. */
function minuteCounts(
  rand: () => number,
  minutes: number,
  total: number,
  options: TradeStreamOptions,
): number[] {
  const quiet = options.quietMinutes ?? 0.1;
  const burst = options.burstMinutes ?? 0.004;
  const weights: number[] = [];
  for (let m = 0; m < minutes; m++) {
    const r = rand();
    weights.push(r < quiet ? 0 : r < quiet + burst ? 1_500 + rand() * 2_500 : 5 + rand() * 60);
  }
  const sum = weights.reduce((a, b) => a + b, 0) || 1;
  const exact = weights.map((w) => (w / sum) * total);
  const counts = exact.map(Math.floor);
  let missing = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, m) => [x - Math.floor(x), m] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; missing > 0; k = (k + 1) % minutes, missing--) counts[byRemainder[k]![1]]!++;
  return counts;
}
