import { aggregateBars } from '../domain/aggregate.ts';
import { sessionWindow } from '../domain/calendar.ts';
import { computeIndicator, parseIndicatorName } from '../domain/indicators.ts';
import type { IntervalSpec } from '../domain/intervals.ts';
import type { Bar, BarValues, Gap, Instant, IsoDate, StoredBar } from '../domain/types.ts';
import { type ChangeSequence, DayBars } from './day-bars.ts';
import type { BarSequence, SessionClock, SessionInterval } from './session-interval.ts';

/** A computed historical indicator. */
export interface Indicator {
  readonly name: string;
  readonly value: number | null;
  readonly valid: boolean;
}

const ENDED_CLOCK: SessionClock = { time: null, ended: true };
/**
 * Historical bars are exported whole, never by change sequence; but a bar series marks an empty slot
 * with seq 0, so every historical change gets the constant 1.
 */
const NO_SEQUENCE: ChangeSequence = { next: () => 1 };

/**
 * One interval across the held historical dates: per-date bars concatenated in time order,
 * with quality and gaps over all held dates (every date a full, closed session window).
 */
export class HistoricalInterval implements BarSequence {
  private readonly offsets: number[] = [];
  readonly size: number;

  constructor(
    readonly name: string,
    private readonly days: readonly SessionInterval[],
  ) {
    let total = 0;
    for (const day of days) {
      this.offsets.push(total);
      total += day.size;
    }
    this.size = total;
  }

  /** present / expected base bars over all held dates, in percent; null without dates. */
  quality(): number | null {
    let present = 0;
    let slots = 0;
    for (const day of this.days) {
      present += day.tracker.presentInClosed;
      slots += day.tracker.slotsInClosed;
    }
    return slots === 0 ? null : (100 * present) / slots;
  }

  /** Gaps of every held date, ascending. */
  gaps(): Gap[] {
    return this.days.flatMap((day) => day.gaps());
  }

  lowerBound(ts: Instant): number {
    for (let i = 0; i < this.days.length; i++) {
      const day = this.days[i]!;
      if (ts < day.series.end) return this.offsets[i]! + day.lowerBound(ts);
    }
    return this.size;
  }

  at(position: number): Bar {
    let lo = 0;
    let hi = this.offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.offsets[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    return this.days[lo]!.at(position - this.offsets[lo]!);
  }

  /** Earliest instant covered by the held dates, or null. */
  get start(): Instant | null {
    return this.days[0]?.series.start ?? null;
  }

  /** End of the latest held date's window, or null. */
  get end(): Instant | null {
    return this.days.at(-1)?.series.end ?? null;
  }
}

/**
 * The trailing window of a symbol: bars of the `historicalDays` trading days before the session
 * date (only dates holding at least one stored bar are kept), their derived intervals plus `1d`,
 * and the indicators computed from the daily bars.
 */
export class HistoricalData {
  /** Trading dates held, ascending. */
  readonly dates: readonly IsoDate[];
  /** Daily bars of the held dates (regular-session base bars only), ascending. */
  readonly dailyBars: readonly BarValues[];
  /** Built on first read (a symbol nobody reads the history of keeps only its days). */
  private intervalMap: Map<string, HistoricalInterval> | null = null;
  private readonly indicatorMap = new Map<string, Indicator>();
  private readonly days: readonly DayBars[];

  /**
   * @param loaded whether the window has been read
   * @param barsByDate stored base bars per trading date
   * @param specs the base interval first, then the derived intervals (including `1d`)
   * @param extendedHours whether each date's window is the extended session
   * @param indicatorNames canonical indicator names
   */
  constructor(
    readonly loaded: boolean,
    barsByDate: ReadonlyMap<IsoDate, readonly StoredBar[]>,
    private readonly specs: readonly IntervalSpec[],
    extendedHours: boolean,
    indicatorNames: readonly string[],
  ) {
    const [baseSpec, ...derivedSpecs] = specs;
    const days: DayBars[] = [];
    const dates: IsoDate[] = [];
    const daily: BarValues[] = [];
    for (const date of [...barsByDate.keys()].sort()) {
      const bars = barsByDate.get(date) ?? [];
      const window = sessionWindow(date, extendedHours);
      const regular = sessionWindow(date, false);
      if (!window || !regular || !baseSpec || bars.length === 0) continue;
      const day = new DayBars(window, baseSpec, derivedSpecs, ENDED_CLOCK);
      let held = 0;
      const sorted = [...bars].sort((a, b) => a.ts - b.ts);
      for (const bar of sorted) {
        if (
          bar.ts < window.start ||
          bar.ts + baseSpec.ms > window.end ||
          (bar.ts - window.start) % baseSpec.ms !== 0
        )
          continue;
        day.apply((bar.ts - window.start) / baseSpec.ms, bar, NO_SEQUENCE, null, bar.revision);
        held++;
      }
      if (held === 0) continue;
      day.closeUpTo(window.end, NO_SEQUENCE, null);
      days.push(day);
      dates.push(date);
      // Ascending order: open is the first bar's, close the last one's.
      const dailyBar = aggregateBars(sorted.filter((b) => b.ts >= regular.start && b.ts < regular.end));
      if (dailyBar) daily.push(dailyBar);
    }
    this.dates = dates;
    this.dailyBars = daily;
    this.days = days;
    for (const name of indicatorNames) {
      this.indicatorMap.set(name, computeIndicator(parseIndicatorName(name), daily));
    }
  }

  private intervalsByName(): Map<string, HistoricalInterval> {
    if (this.intervalMap === null) {
      const map = new Map<string, HistoricalInterval>();
      this.specs.forEach((spec, i) => {
        const perDay = this.days.map((day) => (i === 0 ? day.base : day.derived[i - 1]!));
        map.set(spec.name, new HistoricalInterval(spec.name, perDay));
      });
      this.intervalMap = map;
    }
    return this.intervalMap;
  }

  /** One historical interval by canonical name. */
  interval(name: string): HistoricalInterval | undefined {
    return this.intervalsByName().get(name);
  }

  /** Every historical interval, base first. */
  intervals(): HistoricalInterval[] {
    return [...this.intervalsByName().values()];
  }

  /** Every configured indicator, in configuration order. */
  indicators(): Indicator[] {
    return [...this.indicatorMap.values()];
  }

  /** One indicator by name (configured ones, or any valid name computed on the fly). */
  indicator(name: string): Indicator | undefined {
    const held = this.indicatorMap.get(name);
    if (held) return held;
    try {
      return computeIndicator(parseIndicatorName(name), this.dailyBars);
    } catch {
      return undefined;
    }
  }
}
