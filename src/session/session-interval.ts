import type { TimeWindow } from '../domain/calendar.ts';
import { gapCause, type Outage } from '../domain/feed-health.ts';
import type { IntervalSpec } from '../domain/intervals.ts';
import type { Bar, Gap, Instant } from '../domain/types.ts';
import { BarSeries } from './bar-series.ts';
import { WindowQuality } from './window-quality.ts';

/** Where the session clock stands; bars and windows read it to know whether they are complete. */
export interface SessionClock {
  /** The session clock, null before a session starts. */
  readonly time: Instant | null;
  /** True once the session has ended: every window counts as closed. */
  readonly ended: boolean;
}

/** An ascending, randomly addressable sequence of bars (what the GraphQL paging reads). */
export interface BarSequence {
  /** Number of bars. */
  readonly size: number;
  /** Position of the first bar whose ts ≥ `ts` (0…size). */
  lowerBound(ts: Instant): number;
  /** The bar at a position. */
  at(position: number): Bar;
}

/**
 * One interval of a symbol's current session: its bars (columnar), its quality and gap ranges.
 * The base interval has one window per base slot; a derived interval's windows are aligned to the
 * session window's start and the last one is truncated at its end.
 */
export class SessionInterval implements BarSequence {
  /** Bars of the interval, one slot per window. */
  readonly series: BarSeries;
  /** Quality and gaps over the closed windows. */
  readonly tracker: WindowQuality;
  /** Base slots per (full) window; 1 for the base interval. */
  readonly ratio: number;
  /** Change sequence of the last change of quality or gaps. */
  statsSeq = 0;
  /** The outages of the symbol's feed, which give each gap its cause (null: every gap is NO_DATA). */
  outages: (() => readonly Outage[]) | null = null;

  /**
   * @param spec the interval
   * @param window the symbol's session window
   * @param baseMs length of the base interval
   * @param baseName the base interval's name, null when this is the base interval
   * @param clock the session clock
   */
  constructor(
    readonly spec: IntervalSpec,
    window: TimeWindow,
    baseMs: number,
    readonly baseName: string | null,
    private readonly clock: SessionClock,
  ) {
    const windowMs = window.end - window.start;
    const slotMs = spec.isDay ? windowMs : spec.ms;
    this.series = new BarSeries(window.start, window.end, slotMs, baseName !== null);
    this.ratio = slotMs / baseMs;
    this.tracker = new WindowQuality(this.series.slotCount, this.ratio, windowMs / baseMs);
  }

  /** Canonical interval name. */
  get name(): string {
    return this.spec.name;
  }

  /** Whether the interval is computed from the base interval. */
  get derived(): boolean {
    return this.baseName !== null;
  }

  /** Number of bars held. */
  get size(): number {
    return this.series.size;
  }

  /** Base bars inside a window. */
  barsInWindow(window: number): number {
    const series = this.series;
    return series.has(window) ? series.baseBarsOf(window) : 0;
  }

  /** Whether a window's end is at or before the session clock (or the session ended). */
  isComplete(slot: number): boolean {
    const clock = this.clock;
    if (clock.ended) return true;
    return clock.time !== null && this.series.slotEnd(slot) <= clock.time;
  }

  /**
   * How many of its windows are complete: window `w` is complete exactly when `w` < this (every
   * bar's `complete` follows from it).
   */
  completeWindows(): number {
    const clock = this.clock;
    if (clock.ended) return this.series.slotCount;
    return clock.time === null ? 0 : this.closedCountAt(clock.time);
  }

  /** Number of windows whose end ≤ `time`. */
  closedCountAt(time: Instant): number {
    const series = this.series;
    if (time >= series.end) return series.slotCount;
    if (time <= series.start) return 0;
    return Math.floor((time - series.start) / series.slotMs);
  }

  /** Quality in percent over closed windows; null when none is closed. */
  quality(): number | null {
    return this.tracker.quality();
  }

  /** Gap ranges over closed windows, ascending. */
  gaps(): Gap[] {
    const series = this.series;
    return this.tracker.gaps(
      (w) => series.slotStart(w),
      (w) => series.slotEnd(w),
    );
  }

  /** The gaps, each with its cause (FEED_OUTAGE when an outage of the symbol's feed overlaps it). */
  gapsWithCause(): Gap[] {
    const outages = this.outages?.() ?? [];
    return this.gaps().map((gap) => ({ ...gap, cause: gapCause(gap, outages) }));
  }

  /** The bar of a slot (must be present). */
  barOfSlot(slot: number): Bar {
    return this.series.barAt(slot, this.isComplete(slot));
  }

  /** The latest bar, O(1). */
  latestBar(): Bar | null {
    const slot = this.series.latestSlot();
    return slot < 0 ? null : this.barOfSlot(slot);
  }

  /** The last `n` bars, ascending. O(k). */
  lastBars(n: number): Bar[] {
    const size = this.series.size;
    const out: Bar[] = [];
    for (let p = Math.max(0, size - n); p < size; p++) out.push(this.at(p));
    return out;
  }

  /** Bars with from ≤ ts < to, ascending. O(log n + k). */
  barsBetween(from: Instant, to: Instant): Bar[] {
    const out: Bar[] = [];
    const hi = this.lowerBound(to);
    for (let p = this.lowerBound(from); p < hi; p++) out.push(this.at(p));
    return out;
  }

  lowerBound(ts: Instant): number {
    return this.series.lowerBound(ts);
  }

  at(position: number): Bar {
    return this.barOfSlot(this.series.slotAt(position));
  }
}
