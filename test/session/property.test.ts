/**
 * Property tests of the session tree: for random streams of base bars (gaps, duplicates, corrections,
 * arrival order, batch splits, clock moves), the incremental tree equals a from-scratch recomputation
 * with the domain reference functions; and full export == previous export + delta, for any number of
 * consumers with their own cursors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateBars, aggregateWindows } from '../../src/domain/aggregate.ts';
import { validateBarPlacement, validateBarValues } from '../../src/domain/bar-validation.ts';
import { sessionWindow, type TimeWindow, tradingDay } from '../../src/domain/calendar.ts';
import { parseInterval } from '../../src/domain/intervals.ts';
import { computeGaps, computeQuality } from '../../src/domain/quality.ts';
import type { SymbolSettingsInput } from '../../src/domain/symbol-settings.ts';
import type { Bar, BarInput, BarValues, Instant, IsoDate, StoredBar } from '../../src/domain/types.ts';
import type { BarChange } from '../../src/session/events.ts';
import { applyDelta, exportSession } from '../../src/session/export.ts';
import { SessionData } from '../../src/session/session-data.ts';

const DATES: readonly IsoDate[] = ['2011-03-10', '2011-03-14', '2015-12-24'];

/** Bar values with exact two-decimal prices; volume 0 sometimes; vwap and tradeCount null sometimes. */
const valuesArb: fc.Arbitrary<BarValues> = fc
  .record({
    a: fc.integer({ min: 100, max: 20_000 }),
    b: fc.integer({ min: 100, max: 20_000 }),
    up: fc.integer({ min: 0, max: 300 }),
    down: fc.integer({ min: 0, max: 99 }),
    volume: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 1, max: 2_000_000 }),
      fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((v) => v + 0),
    ),
    vwap: fc.option(
      fc.integer({ min: 1, max: 30_000 }).map((v) => v / 100 + 0.001),
      { freq: 4 },
    ),
    tradeCount: fc.option(fc.integer({ min: 0, max: 50_000 }), { freq: 4 }),
  })
  .map(({ a, b, up, down, volume, vwap, tradeCount }) => ({
    open: a / 100,
    close: b / 100,
    high: (Math.max(a, b) + up) / 100,
    low: (Math.min(a, b) - down) / 100,
    volume,
    vwap,
    tradeCount,
  }));

/** One step of a stream: a new version of a slot, an identical re-send, or an invalid item. */
type Step =
  | { kind: 'bar'; symbol: number; slot: number; values: BarValues }
  | { kind: 'resend'; pick: number }
  | { kind: 'invalid'; symbol: number; slot: number };

function stepArb(slotArb: fc.Arbitrary<number>, symbols: number): fc.Arbitrary<Step> {
  const symbol = fc.integer({ min: 0, max: symbols - 1 });
  return fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({ kind: fc.constant('bar' as const), symbol, slot: slotArb, values: valuesArb }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('resend' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalid' as const), symbol, slot: slotArb }) },
  );
}

interface Scenario {
  readonly date: IsoDate;
  readonly symbols: readonly SymbolSettingsInput[];
  readonly steps: readonly Step[];
  /** Sizes of the consecutive batches the stream is split into (the rest is one last batch). */
  readonly splits: readonly number[];
  /** Clock targets tried between batches (fractions of the day; null = no call). */
  readonly clocks: readonly (number | null)[];
  readonly end: boolean;
}

/** The latest version of one base slot, as the model holds it. */
interface ModelBar {
  readonly values: BarValues;
  readonly revision: number;
}

function sameValues(a: BarValues, b: BarValues): boolean {
  return (
    a.open === b.open &&
    a.high === b.high &&
    a.low === b.low &&
    a.close === b.close &&
    a.volume === b.volume &&
    a.vwap === b.vwap &&
    a.tradeCount === b.tradeCount
  );
}

function windowOf(date: IsoDate, settings: SymbolSettingsInput): TimeWindow {
  return sessionWindow(date, settings.extendedHours ?? false)!;
}

function baseMsOf(settings: SymbolSettingsInput): number {
  return parseInterval(settings.baseInterval ?? '1m').ms;
}

/** Replays a scenario into a tree and a plain model; returns both and every bar event. */
function run(scenario: Scenario): {
  session: SessionData;
  models: Map<number, ModelBar>[];
  events: BarChange[];
} {
  const session = new SessionData();
  session.start(scenario.date, 'MANUAL');
  for (const settings of scenario.symbols) {
    session.beginLoad(settings);
    session.completeLoad(settings.symbol, new Map(), []);
  }
  const events: BarChange[] = [];
  session.events.on('bar', (e) => events.push(e));
  const models = scenario.symbols.map(() => new Map<number, ModelBar>());
  const day = tradingDay(scenario.date);
  const dayStart = day.extendedOpen! - 3_600_000;
  const daySpan = day.extendedClose! + 3_600_000 - dayStart;

  // Resolve the steps into inputs (a re-send repeats an earlier input exactly).
  const inputs: { input: BarInput; symbol: number; slot: number; valid: boolean }[] = [];
  for (const step of scenario.steps) {
    if (step.kind === 'resend') {
      const earlier = inputs.filter((i) => i.valid);
      if (earlier.length > 0) inputs.push({ ...earlier[step.pick % earlier.length]! });
      continue;
    }
    const settings = scenario.symbols[step.symbol]!;
    const window = windowOf(scenario.date, settings);
    const baseMs = baseMsOf(settings);
    const slot = step.slot % ((window.end - window.start) / baseMs);
    const ts = window.start + slot * baseMs;
    if (step.kind === 'invalid') {
      // Half a slot off, or one slot past the window's end: refused, and changes nothing.
      const bad = slot % 2 === 0 ? ts + baseMs / 2 : window.end;
      inputs.push({
        input: { symbol: settings.symbol, ts: bad, ...fixedValues },
        symbol: step.symbol,
        slot: -1,
        valid: false,
      });
      continue;
    }
    inputs.push({
      input: { symbol: settings.symbol, ts, ...step.values },
      symbol: step.symbol,
      slot,
      valid: true,
    });
  }

  const batches: (typeof inputs)[] = [];
  let at = 0;
  for (const size of scenario.splits) {
    if (at >= inputs.length) break;
    batches.push(inputs.slice(at, at + size));
    at += size;
  }
  batches.push(inputs.slice(at));
  for (const [b, batch] of batches.entries()) {
    const result = session.ingestBars(batch.map((i) => i.input));
    expect(result.accepted).toBe(batch.filter((i) => i.valid).length);
    for (const rejection of result.rejected) expect(batch[rejection.index]!.valid).toBe(false);
    for (const item of batch) {
      if (!item.valid) continue;
      const model = models[item.symbol]!;
      const held = model.get(item.slot);
      const { symbol: _symbol, ts: _ts, ...values } = item.input;
      if (held === undefined) model.set(item.slot, { values, revision: 0 });
      else if (!sameValues(held.values, values))
        model.set(item.slot, { values, revision: held.revision + 1 });
    }
    const clock = scenario.clocks[b % Math.max(1, scenario.clocks.length)];
    if (clock !== null && clock !== undefined) {
      const target = Math.round(dayStart + clock * daySpan);
      const before = session.time!;
      if (target < before) {
        expect(() => session.advanceClock(target)).toThrow(/never moves backwards/);
        expect(session.time).toBe(before);
      } else {
        session.advanceClock(target);
        expect(session.time).toBeGreaterThanOrEqual(before);
      }
    }
  }
  if (scenario.end) session.end();
  return { session, models, events };
}

const fixedValues: BarValues = {
  open: 10,
  high: 11,
  low: 9,
  close: 10,
  volume: 1,
  vwap: null,
  tradeCount: null,
};

/** Compares one symbol of the tree with a from-scratch recomputation of its final bars. */
function checkSymbol(
  session: SessionData,
  settings: SymbolSettingsInput,
  model: ReadonlyMap<number, ModelBar>,
  events: readonly BarChange[],
): void {
  const data = session.symbol(settings.symbol)!;
  const date = session.date!;
  const window = windowOf(date, settings);
  const baseSpec = parseInterval(settings.baseInterval ?? '1m');
  const baseMs = baseSpec.ms;
  const clock = session.time!;
  const ended = session.ended;
  const isComplete = (endTs: Instant) => ended || endTs <= clock;

  const slots = [...model.keys()].sort((a, b) => a - b);
  const stored: StoredBar[] = slots.map((slot) => {
    const { values, revision } = model.get(slot)!;
    return { ts: window.start + slot * baseMs, ...values, revision };
  });
  const present = stored.map((b) => b.ts);

  // Base interval.
  const expectedBase: Bar[] = stored.map((b) => ({
    ...b,
    endTs: b.ts + baseMs,
    complete: isComplete(b.ts + baseMs),
    baseBars: 1,
  }));
  const base = data.interval(baseSpec.name)!;
  expect(base.barsBetween(window.start, window.end)).toEqual(expectedBase);
  expect(base.size).toBe(stored.length);
  expect(base.quality()).toBe(computeQuality(present, window, baseSpec, baseMs, clock));
  expect(base.gaps()).toEqual(computeGaps(present, window, baseSpec, baseMs, clock));
  expect(data.latestBar()).toEqual(expectedBase.at(-1) ?? null);

  // Derived intervals: every field, exactly.
  for (const name of data.derivedIntervals) {
    const spec = parseInterval(name);
    const interval = data.interval(name)!;
    const expected: Bar[] = aggregateWindows(stored, window, spec, baseMs).map((bar) => ({
      ...bar,
      // A derived bar's revision is the sum of its base bars' revisions.
      revision: stored.filter((b) => b.ts >= bar.ts && b.ts < bar.endTs).reduce((n, b) => n + b.revision, 0),
      complete: isComplete(bar.endTs),
    }));
    expect(interval.barsBetween(window.start, window.end), name).toEqual(expected);
    expect(interval.quality(), name).toBe(computeQuality(present, window, spec, baseMs, clock));
    const gaps = computeGaps(present, window, spec, baseMs, clock);
    expect(interval.gaps(), name).toEqual(gaps);
    expect(interval.tracker.gapCount).toBe(gaps.length);
    expect(interval.tracker.missingWindows).toBe(gaps.reduce((n, g) => n + g.missingBars, 0));
  }

  // Session metrics.
  const all = aggregateBars(stored);
  expect(data.metrics()).toEqual({
    volume: all?.volume ?? 0,
    high: all?.high ?? null,
    low: all?.low ?? null,
    open: all?.open ?? null,
    last: all?.close ?? null,
    vwap: all?.vwap ?? null,
    barCount: stored.length,
    lastUpdate: stored.length === 0 ? null : stored.at(-1)!.ts + baseMs,
  });

  // Events: per bar, ADDED first then UPDATED only; the last snapshot is the current bar (a base bar
  // gets no event when its minute passes, so only its `complete` may lag).
  const byBar = new Map<string, BarChange[]>();
  for (const e of events) {
    if (e.symbol !== data.symbol) continue;
    const key = `${e.interval} ${e.bar.ts}`;
    byBar.set(key, [...(byBar.get(key) ?? []), e]);
  }
  for (const [key, list] of byBar) {
    expect(list.map((e) => e.kind)).toEqual(['ADDED', ...Array(list.length - 1).fill('UPDATED')]);
    const [name, ts] = key.split(' ');
    const interval = data.interval(name!)!;
    const current = interval.barsBetween(Number(ts), Number(ts) + 1)[0]!;
    const last = list.at(-1)!.bar;
    expect(interval.derived ? current : { ...current, complete: last.complete }).toEqual(last);
  }
  const touched = new Set(
    events.filter((e) => e.symbol === data.symbol).map((e) => `${e.interval} ${e.bar.ts}`),
  );
  for (const interval of data.intervals()) {
    for (const b of interval.barsBetween(window.start, window.end)) {
      expect(touched.has(`${interval.name} ${b.ts}`)).toBe(true);
    }
  }
}

function scenarioArb(
  symbolsArb: fc.Arbitrary<SymbolSettingsInput[]>,
  slotArb: fc.Arbitrary<number>,
  maxSteps: number,
): fc.Arbitrary<Scenario> {
  return symbolsArb.chain((symbols) =>
    fc.record({
      date: fc.constantFrom(...DATES),
      symbols: fc.constant(symbols),
      steps: fc.array(stepArb(slotArb, symbols.length), { maxLength: maxSteps }),
      splits: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 20 }),
      clocks: fc.array(fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 2 }), { maxLength: 8 }),
      end: fc.boolean(),
    }),
  );
}

describe('incremental tree == from-scratch recomputation', () => {
  it('1m base with 5m, 15m, 1h and 1d derived', () => {
    const symbols = fc.tuple(fc.boolean(), fc.boolean()).map(([extA, extB]): SymbolSettingsInput[] => [
      { symbol: 'AAA', derivedIntervals: ['5m', '15m', '1h', '1d'], extendedHours: extA },
      { symbol: 'BBB', derivedIntervals: ['15m', '1d'], extendedHours: extB },
    ]);
    // Slots (modulo the window's slot count): mostly spread over the whole session, sometimes packed
    // into its first hour.
    const slot = fc.oneof(fc.integer({ min: 0, max: 959 }), fc.integer({ min: 0, max: 59 }));
    fc.assert(
      fc.property(scenarioArb(symbols, slot, 250), (scenario) => {
        const { session, models, events } = run(scenario);
        scenario.symbols.forEach((settings, i) => {
          checkSymbol(session, settings, models[i]!, events);
        });
      }),
      { numRuns: 120 },
    );
  });

  it('1s base with 1m, 5m, 1h and 1d derived', () => {
    const symbols = fc
      .boolean()
      .map((ext): SymbolSettingsInput[] => [
        { symbol: 'SEC', baseInterval: '1s', derivedIntervals: ['1m', '5m', '1h', '1d'], extendedHours: ext },
      ]);
    const slot = fc.oneof(fc.integer({ min: 0, max: 23_399 }), fc.integer({ min: 0, max: 899 }));
    fc.assert(
      fc.property(scenarioArb(symbols, slot, 300), (scenario) => {
        const { session, models, events } = run(scenario);
        checkSymbol(session, scenario.symbols[0]!, models[0]!, events);
      }),
      { numRuns: 40 },
    );
  });

  /** One symbol's stream of 2011-03-10 in one batch, checked against the model. */
  const checkStream = (settings: SymbolSettingsInput, steps: readonly Step[], end: boolean) => {
    const scenario: Scenario = {
      date: '2011-03-10',
      symbols: [settings],
      steps,
      splits: [],
      clocks: [],
      end,
    };
    const { session, models, events } = run(scenario);
    checkSymbol(session, settings, models[0]!, events);
  };

  it('a live stream: each bar updated while it forms, now and then a late correction (1s base)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 23_399 }), { minLength: 1, maxLength: 120 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean(), valuesArb), {
          minLength: 120,
          maxLength: 120,
        }),
        valuesArb,
        fc.boolean(),
        (slots, updates, first, end) => {
          const settings: SymbolSettingsInput = {
            symbol: 'SEC',
            baseInterval: '1s',
            derivedIntervals: ['1m', '5m', '1h', '1d'],
          };
          const ordered = [...slots].sort((a, b) => a - b);
          const steps: Step[] = [];
          ordered.forEach((slot, i) => {
            const [times, late, values] = updates[i]!;
            steps.push({ kind: 'bar', symbol: 0, slot, values: first });
            for (let k = 0; k < times; k++) {
              steps.push({ kind: 'bar', symbol: 0, slot, values: { ...values, volume: values.volume + k } });
            }
            if (late && i > 0) steps.push({ kind: 'bar', symbol: 0, slot: ordered[i >> 1]!, values });
          });
          checkStream(settings, steps, end);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a dense stream: every slot of a session, shuffled, with corrections', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...Array(390).keys()], { minLength: 330, maxLength: 390 }),
        fc.array(fc.integer({ min: 0, max: 389 }), { maxLength: 40 }),
        valuesArb,
        fc.boolean(),
        (order, corrections, correction, end) => {
          const settings: SymbolSettingsInput = {
            symbol: 'AAA',
            derivedIntervals: ['5m', '15m', '1h', '1d'],
          };
          const steps: Step[] = [
            ...order.map(
              (slot, i): Step => ({
                kind: 'bar',
                symbol: 0,
                slot,
                values: { ...fixedValues, close: 10 + (i % 10) / 10, volume: i },
              }),
            ),
            ...corrections.map((slot): Step => ({ kind: 'bar', symbol: 0, slot, values: correction })),
          ];
          checkStream(settings, steps, end);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('ingest validation', () => {
  it('accepts and rejects exactly as the domain validators say', () => {
    const session = new SessionData();
    session.start('2011-03-10', 'MANUAL');
    session.beginLoad({ symbol: 'AAA', derivedIntervals: ['5m'] });
    session.completeLoad('AAA', new Map(), []);
    const window = sessionWindow('2011-03-10', false)!;
    const number = fc.oneof(
      fc.double({ min: -10, max: 500 }),
      fc.constantFrom(0, -0, 1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    );
    const random = fc.record({
      open: number,
      high: number,
      low: number,
      close: number,
      volume: number,
      vwap: fc.option(number),
      tradeCount: fc.option(fc.oneof(fc.integer({ min: -3, max: 1_000 }), number)),
      ts: fc.oneof(
        fc.integer({ min: -2, max: 392 }).map((slot) => window.start + slot * 60_000),
        fc.integer({ min: window.start - 120_000, max: window.end + 120_000 }),
        fc.double({ min: window.start, max: window.end, noNaN: true }),
      ),
    });
    const aligned = fc.integer({ min: 0, max: 389 }).map((slot) => window.start + slot * 60_000);
    const valid = fc.record({ values: valuesArb, ts: aligned }).map(({ values, ts }) => ({ ...values, ts }));
    // A valid bar with one field replaced by an arbitrary value.
    const perturbed = fc
      .tuple(
        valid,
        fc.constantFrom('open', 'high', 'low', 'close', 'volume', 'vwap', 'tradeCount', 'ts'),
        number,
      )
      .map(([bar, field, value]) => ({ ...bar, [field]: value }));
    const input = fc.oneof(random, valid, perturbed);
    let accepted = 0;
    fc.assert(
      fc.property(input, (values) => {
        const bar = { symbol: 'AAA', ...values } as BarInput;
        const expected = validateBarValues(bar) ?? validateBarPlacement(bar.ts, 60_000, window);
        const result = session.ingestBars([bar]);
        if (expected === null) {
          accepted++;
          expect(result).toEqual({ accepted: 1, rejected: [] });
        } else {
          expect(result.accepted).toBe(0);
          expect(result.rejected).toEqual([{ index: 0, code: expected.code, message: expected.message }]);
        }
      }),
      { numRuns: 2_000 },
    );
    expect(accepted).toBeGreaterThan(300);
  });
});

/** One operation of the export property. */
type Operation =
  | { op: 'ingest'; bars: { symbol: number; slot: number; values: BarValues }[] }
  | { op: 'clock'; fraction: number }
  | { op: 'quote'; symbol: number; slot: number; price: number }
  | { op: 'tick'; symbol: number; slot: number; price: number }
  | { op: 'remove'; symbol: number }
  | { op: 'load'; symbol: number; settings: number }
  | { op: 'export'; consumers: number[] }
  | { op: 'restart'; date: number }
  | { op: 'end' };

const EXPORT_SYMBOLS = ['AAA', 'BBB', 'CCC'];
const SETTINGS: readonly Omit<SymbolSettingsInput, 'symbol'>[] = [
  { derivedIntervals: ['5m', '1h'], historicalDays: 2, indicators: ['avg_volume_2d', 'prev_close'] },
  { derivedIntervals: ['15m', '1d'], extendedHours: true },
  { derivedIntervals: ['5m'], historicalDays: 1 },
];

const operationArb: fc.Arbitrary<Operation> = (() => {
  const symbol = fc.integer({ min: 0, max: EXPORT_SYMBOLS.length - 1 });
  const slot = fc.oneof(fc.integer({ min: 0, max: 389 }), fc.integer({ min: 0, max: 40 }));
  return fc.oneof(
    {
      weight: 10,
      arbitrary: fc.record({
        op: fc.constant('ingest' as const),
        bars: fc.array(fc.record({ symbol, slot, values: valuesArb }), { minLength: 1, maxLength: 25 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('clock' as const),
        fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('quote' as const),
        symbol,
        slot,
        price: fc.integer({ min: 1, max: 500 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('tick' as const),
        symbol,
        slot,
        price: fc.integer({ min: 1, max: 500 }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('remove' as const), symbol }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('load' as const),
        symbol,
        settings: fc.integer({ min: 0, max: SETTINGS.length - 1 }),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('export' as const),
        consumers: fc.subarray([0, 1, 2], { minLength: 1 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('restart' as const), date: fc.integer({ min: 0, max: 1 }) }),
    },
    { weight: 1, arbitrary: fc.constant({ op: 'end' as const }) },
  );
})();

/** Stored history for every symbol: two days of a few bars each. */
function historyOf(date: IsoDate): Map<IsoDate, StoredBar[]> {
  const history = new Map<IsoDate, StoredBar[]>();
  const days = date === '2011-03-10' ? ['2011-03-08', '2011-03-09'] : ['2011-03-09', '2011-03-10'];
  days.forEach((day, d) => {
    const open = tradingDay(day).regularOpen!;
    history.set(
      day,
      [0, 1, 2, 200].map((slot) => ({
        ts: open + slot * 60_000,
        ...fixedValues,
        volume: 100 * (d + 1) + slot,
        revision: 0,
      })),
    );
  });
  return history;
}

describe('export: previous full export + delta == new full export', () => {
  it('for random operations and three consumers with their own cursors', () => {
    fc.assert(
      fc.property(fc.array(operationArb, { minLength: 1, maxLength: 60 }), (operations) => {
        const exportDates = ['2011-03-10', '2011-03-11'];
        const session = new SessionData({ buffers: { quotes: 3, ticks: 3 } });
        session.start(exportDates[0]!, 'MANUAL');
        // What the store writer would persist: every base bar change, per date and symbol.
        const store = new Map<string, Map<Instant, StoredBar>>();
        session.events.on('bar', (e) => {
          if (!e.base) return;
          const key = `${e.date} ${e.symbol}`;
          if (!store.has(key)) store.set(key, new Map());
          const { endTs: _e, complete: _c, baseBars: _b, ...bar } = e.bar;
          store.get(key)!.set(bar.ts, bar);
        });
        const consumers: ({ doc: ReturnType<typeof exportSession>['data']; cursor: string } | null)[] = [
          null,
          null,
          null,
        ];
        const check = (who: readonly number[]) => {
          const full = exportSession(session);
          for (const c of who) {
            const consumer = consumers[c];
            if (consumer === null || consumer === undefined) {
              consumers[c] = { doc: full.data, cursor: full.cursor };
              continue;
            }
            const delta = exportSession(session, consumer.cursor);
            expect(delta.complete).toBe(false);
            const merged = applyDelta(consumer.doc, delta.data);
            expect(merged).toEqual(full.data);
            consumers[c] = { doc: merged, cursor: delta.cursor };
          }
        };
        for (const operation of operations) {
          const date = session.date!;
          const open = tradingDay(date).regularOpen!;
          switch (operation.op) {
            case 'ingest':
              session.ingestBars(
                operation.bars.map((b) => ({
                  symbol: EXPORT_SYMBOLS[b.symbol]!,
                  ts: open + b.slot * 60_000,
                  ...b.values,
                })),
              );
              break;
            case 'clock': {
              if (!session.active) break;
              const target = open - 6 * 3_600_000 + operation.fraction * 18 * 3_600_000;
              if (target >= session.time!) session.advanceClock(target);
              break;
            }
            case 'quote':
              session.ingestQuotes([
                {
                  symbol: EXPORT_SYMBOLS[operation.symbol]!,
                  ts: open + operation.slot * 60_000,
                  bid: operation.price,
                  bidSize: 1,
                  ask: operation.price + 1,
                  askSize: 2,
                },
              ]);
              break;
            case 'tick':
              session.ingestTicks([
                {
                  symbol: EXPORT_SYMBOLS[operation.symbol]!,
                  ts: open + operation.slot * 60_000,
                  price: operation.price,
                  size: 3,
                },
              ]);
              break;
            case 'remove':
              session.removeSymbol(EXPORT_SYMBOLS[operation.symbol]!);
              break;
            case 'load': {
              if (!session.active) break;
              const symbol = EXPORT_SYMBOLS[operation.symbol]!;
              const { changed } = session.beginLoad({ symbol, ...SETTINGS[operation.settings] });
              if (changed) {
                const today = [...(store.get(`${date} ${symbol}`)?.values() ?? [])];
                session.completeLoad(symbol, historyOf(date), today);
              }
              break;
            }
            case 'export':
              check(operation.consumers);
              break;
            case 'restart':
              session.start(exportDates[operation.date]!, 'MANUAL');
              break;
            case 'end':
              if (session.active) session.end();
              break;
          }
        }
        check([0, 1, 2]);
      }),
      { numRuns: 250 },
    );
  });

  it('a delta since the latest cursor is empty, and an unknown epoch gets a full export', () => {
    const session = new SessionData();
    session.start('2011-03-10', 'MANUAL');
    session.beginLoad({ symbol: 'AAA' });
    session.completeLoad('AAA', new Map(), []);
    const open = tradingDay('2011-03-10').regularOpen!;
    session.ingestBars([{ symbol: 'AAA', ts: open, ...fixedValues }]);
    const full = exportSession(session);
    const delta = exportSession(session, full.cursor);
    expect(delta.data['symbols']).toEqual({});
    expect(delta.data['removed']).toEqual([]);
    expect(applyDelta(full.data, delta.data)).toEqual(full.data);
    const foreign = exportSession(session, 'zzzzzzzz.3');
    expect(foreign.complete).toBe(true);
    expect(foreign.data).toEqual(full.data);
    expect(() => exportSession(session, 'nonsense')).toThrow(/not an export cursor/);
    expect(() => exportSession(session, `${session.epoch}.${session.seq + 1}`)).toThrow(/ahead/);
  });
});
