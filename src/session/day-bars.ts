import type { TimeWindow } from '../domain/calendar.ts';
import type { IntervalSpec } from '../domain/intervals.ts';
import type { Bar, BarValues, Instant } from '../domain/types.ts';
import {
  attachShared,
  BarSeries,
  F_CLOSE,
  F_HIGH,
  F_LOW,
  F_PV,
  F_VOLUME,
  F_VWAP,
  I_BASE_BARS,
  I_REVISION,
  NO_TRADE_COUNT,
  V_CLOSE,
  V_HIGH,
  V_LENGTH,
  V_LOW,
  V_OPEN,
  V_TRADES,
  V_VOLUME,
  V_VWAP,
} from './bar-series.ts';
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

/** Windows of at least this many base slots keep a {@link WindowPrefix}. */
const PREFIX_MIN_SLOTS = 64;

/**
 * Per window of one long-window series (1h or 1d over 1s bars, 1d over 1m bars, the session
 * metrics), the aggregate of the window's base bars without its last one: high, low, volume,
 * Σ vwap×volume, trade count, revision and how many bars that is (0: the last bar is the only
 * one). A correction of a window's last bar — a live feed updating the forming bar — then costs
 * O(1) instead of a pass over the window, doing the same additions in the same order as the pass,
 * so the result stays bit-identical.
 *
 * A prefix is kept only for windows that have been rebuilt (a correction, or a bar arriving before
 * others of its window): the rebuild's pass keeps it, and from then on every new last bar of that
 * window carries it forward, so the next bar's corrections are O(1) at once. A stream that never
 * corrects costs nothing, not even memory: the columns (one Float64Array; integers are exact in
 * it) are allocated by the first prefix kept. `P_LAST` holds the slot + 1 of the last bar the
 * prefix is valid for (0: none).
 */
class WindowPrefix {
  /** The columns (`P_*` column-major, empty until the first prefix is kept). */
  f: Float64Array = EMPTY_PREFIX;

  constructor(readonly windows: number) {}

  /** Column `c` of window `w`. */
  get(c: number, w: number): number {
    return this.f[c * this.windows + w]!;
  }

  /** Whether window `w` keeps a prefix (valid for its current last bar). */
  kept(w: number): boolean {
    return this.f.length !== 0 && this.f[P_LAST * this.windows + w] !== 0;
  }

  /** Whether the prefix of window `w` is valid for a last bar at `slot`. */
  validFor(w: number, slot: number): boolean {
    return this.f.length !== 0 && this.f[P_LAST * this.windows + w] === slot + 1;
  }

  /**
   * When window `w` keeps a prefix, makes the window as it is the prefix of `lastSlot`, the bar
   * about to be merged into it.
   */
  carryIfKept(series: BarSeries, w: number, lastSlot: number): void {
    if (!this.kept(w)) return;
    // Column to column (numbers passed to a call are boxed: this runs for every bar merged into a
    // window that keeps a prefix).
    const sn = series.slotCount;
    const sf = series.f;
    const fo = series.fo;
    const si = series.i;
    const io = series.io;
    const f = this.f;
    const n = this.windows;
    f[P_HIGH * n + w] = sf[fo + F_HIGH * sn + w]!;
    f[P_LOW * n + w] = sf[fo + F_LOW * sn + w]!;
    f[P_VOLUME * n + w] = sf[fo + F_VOLUME * sn + w]!;
    f[P_PV * n + w] = sf[fo + F_PV * sn + w]!;
    f[P_TRADES * n + w] = si[io + w]!;
    f[P_REVISION * n + w] = si[io + I_REVISION * sn + w]!;
    f[P_BARS * n + w] = si[io + I_BASE_BARS * sn + w]!;
    f[P_LAST * n + w] = lastSlot + 1;
  }

  /** Sets the prefix of window `w`, valid while `lastSlot` is its last bar. */
  set(
    w: number,
    lastSlot: number,
    high: number,
    low: number,
    volume: number,
    pv: number,
    tc: number,
    rev: number,
    bars: number,
  ): void {
    if (this.f.length === 0) this.f = new Float64Array(PREFIX_COLUMNS * this.windows);
    const f = this.f;
    const n = this.windows;
    f[P_HIGH * n + w] = high;
    f[P_LOW * n + w] = low;
    f[P_VOLUME * n + w] = volume;
    f[P_PV * n + w] = pv;
    f[P_TRADES * n + w] = tc;
    f[P_REVISION * n + w] = rev;
    f[P_BARS * n + w] = bars;
    f[P_LAST * n + w] = lastSlot + 1;
  }
}

const P_HIGH = 0;
const P_LOW = 1;
const P_VOLUME = 2;
const P_PV = 3;
const P_TRADES = 4;
const P_REVISION = 5;
const P_BARS = 6;
const P_LAST = 7;
const PREFIX_COLUMNS = 8;
const EMPTY_PREFIX = new Float64Array(0);

/**
 * The bars of one symbol over one session window: the base interval, its derived intervals and the
 * whole-window aggregate behind the session metrics. Applying a base bar updates every derived bar,
 * quality figure and gap it touches incrementally:
 *
 * - a new bar that is the latest of its derived window is merged into that window's bar in O(1);
 * - a correction or a bar inserted before others of its window recomputes that window from the
 *   base bars present in it (O(k)), so the result is always bit-identical to a from-scratch
 *   aggregation in ascending time order;
 * - except a correction of the last bar of a long window that was rebuilt before: O(1), from the
 *   window's {@link WindowPrefix} (a live feed updating its forming bar).
 */
export class DayBars {
  readonly base: SessionInterval;
  readonly derived: SessionInterval[];
  /** One-slot aggregate of every base bar of the window (session metrics). */
  readonly aggregate: BarSeries;
  /** The prefix of each derived interval (null for short windows), then of the aggregate. */
  private readonly prefixes: (WindowPrefix | null)[];

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
    this.prefixes = [...this.derived, null].map((interval) => {
      const series = interval?.series ?? this.aggregate;
      const ratio = interval?.ratio ?? this.base.series.slotCount;
      return ratio >= PREFIX_MIN_SLOTS ? new WindowPrefix(series.slotCount) : null;
    });
  }

  /** Whether any window keeps a prefix (false: nothing to carry forward, the common case). */
  private prefixKept = false;

  /** Base interval first, then derived ones ascending. */
  intervals(): SessionInterval[] {
    return [this.base, ...this.derived];
  }

  /** One buffer for every series of the day, allocated with the first base bar. */
  private allocate(): void {
    attachShared([this.base.series, ...this.derived.map((d) => d.series), this.aggregate]);
  }

  /**
   * Allocates the day's buffer now rather than with the first bar (a symbol sure to get bars, such
   * as one built from trades, pays for it at load instead of on the ingest path).
   */
  reserve(): void {
    if (!this.base.series.allocated) this.allocate();
  }

  /**
   * The values of the bar {@link applyInput} applies, at the `V_*` indices (vwap NaN: null;
   * tradeCount -1: null). A writer fills it and calls `applyInput`: numbers in a typed array are
   * never boxed, where doubles passed to a call that is not inlined or read from an object field
   * that may hold null are (~16 B each, ~160 B per bar write before).
   */
  readonly input = new Float64Array(V_LENGTH);

  /**
   * Applies one validated base bar at `slot`. `revision` forces the stored revision (used when
   * rebuilding from the store); otherwise a new bar gets 0 and a changed one its previous
   * revision + 1. Identical bars change nothing.
   */
  apply(
    slot: number,
    bar: BarValues,
    seqs: ChangeSequence,
    sink: IntervalChangeSink | null,
    revision = -1,
  ): ApplyOutcome {
    const v = this.input;
    v[V_OPEN] = bar.open;
    v[V_HIGH] = bar.high;
    v[V_LOW] = bar.low;
    v[V_CLOSE] = bar.close;
    v[V_VOLUME] = bar.volume;
    v[V_VWAP] = bar.vwap === null ? Number.NaN : bar.vwap;
    v[V_TRADES] = bar.tradeCount === null ? NO_TRADE_COUNT : bar.tradeCount;
    return this.applyInput(slot, seqs, sink, revision);
  }

  /** {@link apply} of the bar held in {@link input}. */
  applyInput(
    slot: number,
    seqs: ChangeSequence,
    sink: IntervalChangeSink | null,
    revision = -1,
  ): ApplyOutcome {
    const v = this.input;
    const base = this.base.series;
    if (!base.allocated) this.allocate();
    const n = base.slotCount;
    const f = base.f;
    const fo = base.fo;
    const existed = base.has(slot);
    let previousRevision = 0;
    if (existed) {
      previousRevision = base.i[base.io + I_REVISION * n + slot]!;
      if (
        f[fo + slot] === v[V_OPEN] &&
        f[fo + F_HIGH * n + slot] === v[V_HIGH] &&
        f[fo + F_LOW * n + slot] === v[V_LOW] &&
        f[fo + F_CLOSE * n + slot] === v[V_CLOSE] &&
        f[fo + F_VOLUME * n + slot] === v[V_VOLUME] &&
        Object.is(f[fo + F_VWAP * n + slot], v[V_VWAP]) &&
        base.i[base.io + slot] === v[V_TRADES] &&
        (revision < 0 || previousRevision === revision)
      ) {
        return 'unchanged';
      }
    }
    const rev = revision >= 0 ? revision : existed ? previousRevision + 1 : 0;
    const seq = seqs.next();
    base.writeValues(slot, v, rev, seq);
    const kind: BarEventKind = existed ? 'UPDATED' : 'ADDED';
    if (!existed && this.base.tracker.addBar(slot, true)) this.base.statsSeq = seq;
    sink?.(this.base, slot, kind);

    const latest = base.latestSlot() === slot;
    const derived = this.derived;
    for (let d = 0; d < derived.length; d++) {
      const interval = derived[d]!;
      const ratio = interval.ratio;
      const w = Math.floor(slot / ratio);
      const wasEmpty = !interval.series.has(w);
      this.updateWindow(interval.series, d, w, w * ratio, (w + 1) * ratio, slot, existed, latest, seq);
      if (!existed && interval.tracker.addBar(w, wasEmpty)) interval.statsSeq = seq;
      sink?.(interval, w, wasEmpty ? 'ADDED' : 'UPDATED');
    }
    this.updateWindow(this.aggregate, derived.length, 0, 0, n, slot, existed, latest, seq);
    return existed ? 'updated' : 'added';
  }

  /**
   * Brings window `w` of `target` up to date with the base bar at `slot`: a new bar that follows
   * every other of the window is merged in O(1); a correction of the window's last bar is O(1)
   * where the window keeps a prefix; anything else recomputes the window from its base bars.
   */
  private updateWindow(
    target: BarSeries,
    series: number,
    w: number,
    fromSlot: number,
    toSlot: number,
    slot: number,
    existed: boolean,
    latestOverall: boolean,
    seq: number,
  ): void {
    if (!existed && (latestOverall || this.isLastInWindow(slot, toSlot))) {
      this.mergeInto(target, w, slot, seq, this.prefixKept ? (this.prefixes[series] ?? null) : null);
    } else {
      this.rebuildWindow(target, this.prefixes[series]!, w, fromSlot, toSlot, slot, existed, seq);
    }
  }

  /** A correction or a bar inserted before others of its window: O(1) or a pass over the window. */
  private rebuildWindow(
    target: BarSeries,
    prefix: WindowPrefix | null,
    w: number,
    fromSlot: number,
    toSlot: number,
    slot: number,
    existed: boolean,
    seq: number,
  ): void {
    if (existed && prefix?.validFor(w, slot)) {
      this.replaceLast(target, prefix, w, slot, seq);
      return;
    }
    const base = this.base.series;
    this.recompute(target, prefix, w, base.positionOfSlot(fromSlot), base.positionOfSlot(toSlot), seq);
  }

  /**
   * Rebuilds window `w` from its prefix and its (corrected) last base bar at `slot`: the window is
   * set back to its prefix, then the bar is merged into it as when it first came. O(1).
   */
  private replaceLast(target: BarSeries, prefix: WindowPrefix, w: number, slot: number, seq: number): void {
    const before = prefix.get(P_BARS, w);
    if (before === 0) {
      this.writeFirst(target, w, slot, seq);
      return;
    }
    const n = target.slotCount;
    const f = target.f;
    const fo = target.fo;
    const i = target.i;
    const io = target.io;
    f[fo + F_HIGH * n + w] = prefix.get(P_HIGH, w);
    f[fo + F_LOW * n + w] = prefix.get(P_LOW, w);
    f[fo + F_VOLUME * n + w] = prefix.get(P_VOLUME, w);
    f[fo + F_PV * n + w] = prefix.get(P_PV, w);
    i[io + w] = prefix.get(P_TRADES, w);
    i[io + I_REVISION * n + w] = prefix.get(P_REVISION, w);
    i[io + I_BASE_BARS * n + w] = before;
    this.mergeInto(target, w, slot, seq);
  }

  private isLastInWindow(slot: number, toSlot: number): boolean {
    const base = this.base.series;
    const next = base.positionOfSlot(slot + 1);
    return next >= base.size || base.slotAt(next) >= toSlot;
  }

  /** Makes the base bar at `slot` the only bar of window `w`. */
  private writeFirst(target: BarSeries, w: number, slot: number, seq: number): void {
    const b = this.base.series;
    const bn = b.slotCount;
    const bf = b.f;
    const bfo = b.fo;
    const volume = bf[bfo + F_VOLUME * bn + slot]!;
    target.write(
      w,
      bf[bfo + slot]!,
      bf[bfo + F_HIGH * bn + slot]!,
      bf[bfo + F_LOW * bn + slot]!,
      bf[bfo + F_CLOSE * bn + slot]!,
      volume,
      b.i[b.io + slot]!,
      b.i[b.io + I_REVISION * bn + slot]!,
      seq,
    );
    target.f[target.fo + F_PV * target.slotCount + w] = bf[bfo + F_VWAP * bn + slot]! * volume;
    target.i[target.io + I_BASE_BARS * target.slotCount + w] = 1;
  }

  /**
   * Adds a base bar that follows every other base bar of the window to the window's bar. O(1).
   * When the window keeps a prefix in `carry`, the window as it was becomes the prefix of `slot`
   * (column to column, in the same pass: numbers passed to a call would be boxed).
   */
  private mergeInto(
    target: BarSeries,
    w: number,
    slot: number,
    seq: number,
    carry: WindowPrefix | null = null,
  ): void {
    if (!target.has(w)) {
      if (carry !== null) carry.carryIfKept(target, w, slot);
      this.writeFirst(target, w, slot, seq);
      return;
    }
    const b = this.base.series;
    const bn = b.slotCount;
    const bf = b.f;
    const bfo = b.fo;
    const volume = bf[bfo + F_VOLUME * bn + slot]!;
    const pv = bf[bfo + F_VWAP * bn + slot]! * volume;
    const tc = b.i[b.io + slot]!;
    const revision = b.i[b.io + I_REVISION * bn + slot]!;
    const n = target.slotCount;
    const f = target.f;
    const fo = target.fo;
    const i = target.i;
    const io = target.io;
    const high = bf[bfo + F_HIGH * bn + slot]!;
    const low = bf[bfo + F_LOW * bn + slot]!;
    const prevTc = i[io + w]!;
    const pf = carry === null ? EMPTY_PREFIX : carry.f;
    const pn = carry === null ? 0 : carry.windows;
    if (pf.length !== 0 && pf[P_LAST * pn + w] !== 0) {
      pf[P_HIGH * pn + w] = f[fo + F_HIGH * n + w]!;
      pf[P_LOW * pn + w] = f[fo + F_LOW * n + w]!;
      pf[P_VOLUME * pn + w] = f[fo + F_VOLUME * n + w]!;
      pf[P_PV * pn + w] = f[fo + F_PV * n + w]!;
      pf[P_TRADES * pn + w] = prevTc;
      pf[P_REVISION * pn + w] = i[io + I_REVISION * n + w]!;
      pf[P_BARS * pn + w] = i[io + I_BASE_BARS * n + w]!;
      pf[P_LAST * pn + w] = slot + 1;
    }
    f[fo + F_HIGH * n + w] = Math.max(f[fo + F_HIGH * n + w]!, high);
    f[fo + F_LOW * n + w] = Math.min(f[fo + F_LOW * n + w]!, low);
    f[fo + F_CLOSE * n + w] = bf[bfo + F_CLOSE * bn + slot]!;
    f[fo + F_VOLUME * n + w] = f[fo + F_VOLUME * n + w]! + volume;
    f[fo + F_PV * n + w] = f[fo + F_PV * n + w]! + pv;
    target.setSeq(w, seq);
    i[io + w] = prevTc === NO_TRADE_COUNT || tc === NO_TRADE_COUNT ? NO_TRADE_COUNT : prevTc + tc;
    i[io + I_REVISION * n + w] = i[io + I_REVISION * n + w]! + revision;
    i[io + I_BASE_BARS * n + w] = i[io + I_BASE_BARS * n + w]! + 1;
  }

  /**
   * Rebuilds a window's bar from the base bars at positions [fromPos, toPos) of the order, and its
   * prefix (everything but the last) when it keeps one. O(k).
   */
  private recompute(
    target: BarSeries,
    prefix: WindowPrefix | null,
    w: number,
    fromPos: number,
    toPos: number,
    seq: number,
  ): void {
    const b = this.base.series;
    const bn = b.slotCount;
    const bf = b.f;
    const bfo = b.fo;
    const bi = b.i;
    const bio = b.io;
    const first = b.slotAt(fromPos);
    let high = bf[bfo + F_HIGH * bn + first]!;
    let low = bf[bfo + F_LOW * bn + first]!;
    let volume = 0;
    let pv = 0;
    let tc = 0;
    let revision = 0;
    let last = first;
    for (let p = fromPos; p < toPos; p++) {
      const s = b.slotAt(p);
      if (prefix !== null && p === toPos - 1) {
        this.prefixKept = true;
        prefix.set(w, s, high, low, volume, pv, tc, revision, p - fromPos);
      }
      const h = bf[bfo + F_HIGH * bn + s]!;
      const l = bf[bfo + F_LOW * bn + s]!;
      if (h > high) high = h;
      if (l < low) low = l;
      const v = bf[bfo + F_VOLUME * bn + s]!;
      volume += v;
      pv += bf[bfo + F_VWAP * bn + s]! * v;
      const t = bi[bio + s]!;
      tc = tc === NO_TRADE_COUNT || t === NO_TRADE_COUNT ? NO_TRADE_COUNT : tc + t;
      revision += bi[bio + I_REVISION * bn + s]!;
      last = s;
    }
    const close = bf[bfo + F_CLOSE * bn + last]!;
    target.write(w, bf[bfo + first]!, high, low, close, volume, tc, revision, seq);
    target.f[target.fo + F_PV * target.slotCount + w] = pv;
    target.i[target.io + I_BASE_BARS * target.slotCount + w] = toPos - fromPos;
  }

  /**
   * Closes every window whose end ≤ `time` in every interval; `onClosed` receives each window
   * (base and derived) that turned complete with a bar in it. Returns whether quality or gaps
   * changed.
   */
  closeUpTo(time: Instant, seqs: ChangeSequence, onClosed: IntervalChangeSink | null): boolean {
    let changed = this.closeInterval(this.base, time, seqs, onClosed);
    const derived = this.derived;
    for (let d = 0; d < derived.length; d++) {
      if (this.closeInterval(derived[d]!, time, seqs, onClosed)) changed = true;
    }
    return changed;
  }

  private closeInterval(
    interval: SessionInterval,
    time: Instant,
    seqs: ChangeSequence,
    onClosed: IntervalChangeSink | null,
  ): boolean {
    const target = interval.closedCountAt(time);
    if (target <= interval.tracker.closed) return false;
    const notify = onClosed === null ? undefined : (w: number) => onClosed(interval, w, 'UPDATED');
    interval.tracker.closeUpTo(target, interval, notify);
    interval.statsSeq = seqs.next();
    return true;
  }

  /** The whole-window aggregate as a bar, or null before the first base bar. */
  aggregateBar(): Bar | null {
    return this.aggregate.has(0) ? this.aggregate.barAt(0, false) : null;
  }
}
