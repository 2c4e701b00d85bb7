import type { TimeWindow } from '../domain/calendar.ts';
import type { IntervalSpec } from '../domain/intervals.ts';
import type { Bar, Instant } from '../domain/types.ts';
import { BarSeries, NO_TRADE_COUNT } from './bar-series.ts';
import type { BarEventKind } from './events.ts';
import { type SessionClock, SessionInterval } from './session-interval.ts';

/** Result of applying one base bar. */
export type ApplyOutcome = 'added' | 'updated' | 'unchanged';

/** Receives every interval change of an applied base bar (the base first, then derived ones). */
export type IntervalChangeSink = (interval: SessionInterval, slot: number, kind: BarEventKind) => void;

/** Issues change sequence numbers. */
export interface ChangeSequence {
  next(): number;
}

/**
 * The bars of one symbol over one session window: the base interval, its derived intervals and the
 * whole-window aggregate behind the session metrics. Applying a base bar updates every derived bar,
 * quality figure and gap it touches incrementally:
 *
 * - a new bar that is the latest of its derived window is merged into that window's bar in O(1);
 * - a correction or a bar inserted before others of its window recomputes that window from the
 *   base bars present in it (O(k)), so the result is always bit-identical to a from-scratch
 *   aggregation in ascending time order.
 */
export class DayBars {
  readonly base: SessionInterval;
  readonly derived: SessionInterval[];
  /** One-slot aggregate of every base bar of the window (session metrics). */
  readonly aggregate: BarSeries;

  constructor(
    readonly window: TimeWindow,
    baseSpec: IntervalSpec,
    derivedSpecs: readonly IntervalSpec[],
    clock: SessionClock,
  ) {
    this.base = new SessionInterval(baseSpec, window, baseSpec.ms, null, clock);
    this.derived = derivedSpecs.map(
      (spec) => new SessionInterval(spec, window, baseSpec.ms, baseSpec.name, clock),
    );
    this.aggregate = new BarSeries(window.start, window.end, window.end - window.start, true);
  }

  /** Base interval first, then derived ones ascending. */
  intervals(): SessionInterval[] {
    return [this.base, ...this.derived];
  }

  /**
   * Applies one validated base bar at `slot`. `vwap` is NaN and `tradeCount` -1 for null.
   * `revision` forces the stored revision (used when rebuilding from the store); otherwise a new
   * bar gets 0 and a changed one its previous revision + 1. Identical bars change nothing.
   */
  apply(
    slot: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    vwap: number,
    tradeCount: number,
    seqs: ChangeSequence,
    sink: IntervalChangeSink | null,
    revision = -1,
  ): ApplyOutcome {
    const base = this.base.series;
    const existed = base.has(slot);
    if (existed) {
      if (
        base.open[slot] === open &&
        base.high[slot] === high &&
        base.low[slot] === low &&
        base.close[slot] === close &&
        base.volume[slot] === volume &&
        Object.is(base.vwap[slot], vwap) &&
        base.tradeCount[slot] === tradeCount &&
        (revision < 0 || base.revision[slot] === revision)
      ) {
        return 'unchanged';
      }
    }
    const rev = revision >= 0 ? revision : existed ? base.revision[slot]! + 1 : 0;
    const seq = seqs.next();
    base.write(slot, open, high, low, close, volume, vwap, tradeCount, rev, seq);
    const kind: BarEventKind = existed ? 'UPDATED' : 'ADDED';
    if (!existed && this.base.tracker.addBar(slot, true)) this.base.statsSeq = seq;
    sink?.(this.base, slot, kind);

    const latest = base.latestSlot() === slot;
    for (const interval of this.derived) {
      const w = Math.floor(slot / interval.ratio);
      const wasEmpty = !interval.series.has(w);
      this.updateWindow(
        interval.series,
        w,
        w * interval.ratio,
        (w + 1) * interval.ratio,
        slot,
        existed,
        latest,
        seq,
      );
      if (!existed && interval.tracker.addBar(w, wasEmpty)) interval.statsSeq = seq;
      sink?.(interval, w, wasEmpty ? 'ADDED' : 'UPDATED');
    }
    this.updateWindow(this.aggregate, 0, 0, base.slotCount, slot, existed, latest, seq);
    return existed ? 'updated' : 'added';
  }

  private updateWindow(
    target: BarSeries,
    w: number,
    fromSlot: number,
    toSlot: number,
    slot: number,
    existed: boolean,
    latestOverall: boolean,
    seq: number,
  ): void {
    const base = this.base.series;
    if (!existed && (latestOverall || this.isLastInWindow(slot, toSlot))) {
      this.mergeInto(target, w, slot, seq);
    } else {
      this.recompute(target, w, base.positionOfSlot(fromSlot), base.positionOfSlot(toSlot), seq);
    }
  }

  private isLastInWindow(slot: number, toSlot: number): boolean {
    const base = this.base.series;
    const next = base.positionOfSlot(slot + 1);
    return next >= base.size || base.order[next]! >= toSlot;
  }

  private mergeInto(target: BarSeries, w: number, slot: number, seq: number): void {
    const b = this.base.series;
    const volume = b.volume[slot]!;
    const pv = b.vwap[slot]! * volume;
    const tc = b.tradeCount[slot]!;
    if (!target.has(w)) {
      target.write(
        w,
        b.open[slot]!,
        b.high[slot]!,
        b.low[slot]!,
        b.close[slot]!,
        volume,
        vwapOf(pv, volume),
        tc,
        b.revision[slot]!,
        seq,
      );
      target.baseBars![w] = 1;
      target.pvSum![w] = pv;
      return;
    }
    const sumVolume = target.volume[w]! + volume;
    const sumPv = target.pvSum![w]! + pv;
    const prevTc = target.tradeCount[w]!;
    target.high[w] = Math.max(target.high[w]!, b.high[slot]!);
    target.low[w] = Math.min(target.low[w]!, b.low[slot]!);
    target.close[w] = b.close[slot]!;
    target.volume[w] = sumVolume;
    target.pvSum![w] = sumPv;
    target.vwap[w] = vwapOf(sumPv, sumVolume);
    target.tradeCount[w] = prevTc === NO_TRADE_COUNT || tc === NO_TRADE_COUNT ? NO_TRADE_COUNT : prevTc + tc;
    target.revision[w] = target.revision[w]! + b.revision[slot]!;
    target.baseBars![w] = target.baseBars![w]! + 1;
    target.seq[w] = seq;
  }

  private recompute(target: BarSeries, w: number, fromPos: number, toPos: number, seq: number): void {
    const b = this.base.series;
    let first = b.order[fromPos]!;
    let high = b.high[first]!;
    let low = b.low[first]!;
    let volume = 0;
    let pv = 0;
    let tc = 0;
    let revision = 0;
    let last = first;
    for (let p = fromPos; p < toPos; p++) {
      const s = b.order[p]!;
      if (b.high[s]! > high) high = b.high[s]!;
      if (b.low[s]! < low) low = b.low[s]!;
      const v = b.volume[s]!;
      volume += v;
      pv += b.vwap[s]! * v;
      const t = b.tradeCount[s]!;
      tc = tc === NO_TRADE_COUNT || t === NO_TRADE_COUNT ? NO_TRADE_COUNT : tc + t;
      revision += b.revision[s]!;
      last = s;
    }
    first = b.order[fromPos]!;
    target.write(w, b.open[first]!, high, low, b.close[last]!, volume, vwapOf(pv, volume), tc, revision, seq);
    target.baseBars![w] = toPos - fromPos;
    target.pvSum![w] = pv;
  }

  /**
   * Closes every window whose end ≤ `time` in every interval; `onClosed` receives each derived
   * window that turned complete with a bar in it. Returns whether quality or gaps changed.
   */
  closeUpTo(time: Instant, seqs: ChangeSequence, onClosed: IntervalChangeSink | null): boolean {
    let changed = false;
    for (const interval of this.intervals()) {
      const target = interval.closedCountAt(time);
      if (target <= interval.tracker.closed) continue;
      const notify =
        interval.derived && onClosed !== null ? (w: number) => onClosed(interval, w, 'UPDATED') : undefined;
      interval.tracker.closeUpTo(target, (w) => interval.barsInWindow(w), notify);
      interval.statsSeq = seqs.next();
      changed = true;
    }
    return changed;
  }

  /** The whole-window aggregate as a bar, or null before the first base bar. */
  aggregateBar(): Bar | null {
    return this.aggregate.has(0) ? this.aggregate.barAt(0, false) : null;
  }
}

function vwapOf(pvSum: number, volume: number): number {
  return volume > 0 ? pvSum / volume : Number.NaN;
}
