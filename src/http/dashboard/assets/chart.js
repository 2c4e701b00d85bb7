// @ts-check
/**
 * The chart of one symbol and interval, with TradingView's Lightweight Charts (v5): candlesticks,
 * a volume histogram on its own price scale under them, gap bands and the regular open and close
 * (overlay.js). Missing windows are whitespace points, so a gap takes the room its bars would have
 * and its band has a width. The forming bar (a derived window still open) is drawn hollow in amber
 * and flagged; a corrected bar replaces its old version in place. Times on the axis and the
 * crosshair are New York times.
 *
 * Keyboard (when the chart has the focus): ← → scroll, + − zoom, Home shows everything, End goes
 * back to the latest bar.
 */
import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  createChart,
  createSeriesMarkers,
  HistogramSeries,
  TickMarkType,
} from 'lightweight-charts';
import { formatCount, formatPrice, nyChartTime, nyTime, zoneAbbreviation } from './format.js';
import { SessionOverlay } from './overlay.js';

/**
 * @typedef {{ ts: string, endTs: string, open: number, high: number, low: number, close: number,
 *   volume: number, complete: boolean, revision: number }} BarView a bar as the API returns it
 * @typedef {import('./format.js').GapView} GapView
 * @typedef {import('./overlay.js').Mark} Mark
 * @typedef {{ symbol: string, interval: string, intervalMs: number, bars: BarView[], gaps: GapView[],
 *   marks: Mark[], gapLabel: (gap: GapView) => string }} ChartView
 * @typedef {import('lightweight-charts').UTCTimestamp} UTCTimestamp
 */

const UP = '#26a69a';
const DOWN = '#ef5350';
const FORMING = '#ffd54f';
const MAX_GAP_SLOTS = 20_000;
/** Up to this many points the whole interval is shown (and kept in view as bars come). */
const FIT_BARS = 160;

/**
 * @param {number} ms
 * @returns {UTCTimestamp}
 */
function seconds(ms) {
  return /** @type {UTCTimestamp} */ (ms / 1000);
}

/** @param {BarView} bar */
function candle(bar) {
  const time = seconds(Date.parse(bar.ts));
  const base = { time, open: bar.open, high: bar.high, low: bar.low, close: bar.close };
  if (bar.complete) return base;
  return { ...base, color: 'rgba(255, 213, 79, 0.12)', borderColor: FORMING, wickColor: FORMING };
}

/** @param {BarView} bar */
function volume(bar) {
  const color = !bar.complete
    ? 'rgba(255, 213, 79, 0.45)'
    : bar.close >= bar.open
      ? 'rgba(38, 166, 154, 0.45)'
      : 'rgba(239, 83, 80, 0.45)';
  return { time: seconds(Date.parse(bar.ts)), value: bar.volume, color };
}

export class BarChart {
  /**
   * @param {HTMLElement} container
   * @param {HTMLElement} legend
   */
  constructor(container, legend) {
    this.container = container;
    this.legend = legend;
    /** @type {Map<number, BarView>} */
    this.bars = new Map();
    /** @type {number[]} every point's time (bars and missing windows), ascending, in ms */
    this.times = [];
    /** @type {GapView[]} */
    this.gaps = [];
    /** @type {Mark[]} */
    this.marks = [];
    this.intervalMs = 60_000;
    /** The session clock as last read (ms). */
    this.clock = Number.NEGATIVE_INFINITY;
    this.label = '';
    /** @type {(gap: GapView) => string} */
    this.gapLabel = (gap) => `${gap.missingBars} missing`;

    this.chart = createChart(container, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: '#131a22' },
        textColor: '#b8c2cf',
        fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
        attributionLogo: false,
      },
      grid: { vertLines: { color: '#1d2630' }, horzLines: { color: '#1d2630' } },
      crosshair: { mode: CrosshairMode.Normal },
      rightPriceScale: { borderColor: '#2a3441', scaleMargins: { top: 0.08, bottom: 0.28 } },
      timeScale: {
        borderColor: '#2a3441',
        timeVisible: true,
        secondsVisible: false,
        rightOffset: 4,
        tickMarkFormatter: (
          /** @type {import('lightweight-charts').Time} */ time,
          /** @type {number} */ type,
        ) => {
          const ms = Number(time) * 1000;
          if (type === TickMarkType.Time) return nyTime(ms);
          if (type === TickMarkType.TimeWithSeconds) return nyTime(ms, true);
          return nyChartTime(ms, 86_400_000);
        },
      },
      localization: {
        timeFormatter: (/** @type {import('lightweight-charts').Time} */ time) => {
          const ms = Number(time) * 1000;
          return `${nyChartTime(ms, this.intervalMs)} ${zoneAbbreviation(ms)}`;
        },
      },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      borderUpColor: UP,
      borderDownColor: DOWN,
      wickUpColor: UP,
      wickDownColor: DOWN,
    });
    this.volumes = this.chart.addSeries(HistogramSeries, {
      priceScaleId: 'volume',
      priceFormat: { type: 'volume' },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    this.chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
    this.markers = createSeriesMarkers(this.candles, []);
    this.overlay = new SessionOverlay((ms) => this.xOf(ms));
    this.candles.attachPrimitive(this.overlay);

    this.chart.subscribeCrosshairMove((param) => {
      const ms = param.time === undefined ? null : Number(param.time) * 1000;
      const bar = ms === null ? undefined : this.bars.get(ms);
      this.showLegend(bar ?? this.latest());
    });
    container.tabIndex = 0;
    container.addEventListener('keydown', (event) => this.onKey(event));
  }

  /**
   * Shows a symbol's interval from scratch.
   * @param {ChartView} view
   */
  show(view) {
    this.intervalMs = view.intervalMs;
    this.label = `${view.symbol} ${view.interval}`;
    this.gapLabel = view.gapLabel;
    this.bars = new Map(view.bars.map((bar) => [Date.parse(bar.ts), bar]));
    this.gaps = view.gaps;
    this.marks = view.marks;
    this.chart.applyOptions({ timeScale: { secondsVisible: view.intervalMs < 60_000 } });
    this.rebuild();
    const count = this.times.length;
    if (count > FIT_BARS) this.chart.timeScale().setVisibleLogicalRange({ from: count - 150, to: count + 4 });
    else this.chart.timeScale().fitContent();
  }

  /**
   * A bar event of the shown interval: drawn in place (a new bar, the forming bar's update, a
   * correction, a late bar filling a gap) or, when it lands where no point is, by a rebuild.
   * @param {BarView} event
   */
  applyBar(event) {
    const bar =
      !event.complete && Date.parse(event.endTs) <= this.clock ? { ...event, complete: true } : event;
    const ms = Date.parse(bar.ts);
    const known = this.bars.has(ms) || this.times.includes(ms);
    const last = this.times.at(-1);
    this.bars.set(ms, bar);
    if (last === undefined || ms > last) {
      const range = this.chart.timeScale().getVisibleLogicalRange();
      const showingAll = range !== null && range.from <= 0 && this.times.length < FIT_BARS;
      this.times.push(ms);
      this.candles.update(candle(bar));
      this.volumes.update(volume(bar));
      if (showingAll) this.chart.timeScale().fitContent();
    } else if (known) {
      this.candles.update(candle(bar), ms !== last);
      this.volumes.update(volume(bar), ms !== last);
    } else {
      this.rebuild();
      return;
    }
    this.refreshMarkers();
    this.showLegend(this.latest());
  }

  /**
   * The session clock moved: a bar whose window it has passed is complete, though its last event
   * said forming (a base bar's event comes when it arrives, not when its minute ends).
   * @param {number} clockMs
   */
  settle(clockMs) {
    this.clock = clockMs;
    const last = this.times.at(-1);
    let changed = false;
    for (const [ms, bar] of this.bars) {
      if (bar.complete || Date.parse(bar.endTs) > clockMs) continue;
      const done = { ...bar, complete: true };
      this.bars.set(ms, done);
      this.candles.update(candle(done), ms !== last);
      this.volumes.update(volume(done), ms !== last);
      changed = true;
    }
    if (changed) {
      this.refreshMarkers();
      this.showLegend(this.latest());
    }
  }

  /**
   * The interval's gaps now (they grow as the clock passes empty windows): redrawn when changed.
   * @param {GapView[]} gaps
   * @param {Mark[]} marks
   */
  update(gaps, marks) {
    const changed = JSON.stringify(gaps) !== JSON.stringify(this.gaps);
    const marksChanged = JSON.stringify(marks) !== JSON.stringify(this.marks);
    this.gaps = gaps;
    this.marks = marks;
    if (changed) this.rebuild();
    else if (marksChanged) this.overlay.set(this.bands(), this.marks);
  }

  rebuild() {
    const points = new Set(this.bars.keys());
    for (const gap of this.gaps) {
      const end = Date.parse(gap.end);
      let slots = 0;
      for (let t = Date.parse(gap.start); t < end && slots < MAX_GAP_SLOTS; t += this.intervalMs, slots++)
        points.add(t);
    }
    this.times = [...points].sort((a, b) => a - b);
    this.candles.setData(
      this.times.map((t) => {
        const bar = this.bars.get(t);
        return bar ? candle(bar) : { time: seconds(t) };
      }),
    );
    this.volumes.setData(
      this.times.map((t) => {
        const bar = this.bars.get(t);
        return bar ? volume(bar) : { time: seconds(t) };
      }),
    );
    this.overlay.set(this.bands(), this.marks);
    this.refreshMarkers();
    this.showLegend(this.latest());
  }

  bands() {
    return this.gaps.map((gap) => ({
      start: Date.parse(gap.start),
      end: Date.parse(gap.end),
      label: this.gapLabel(gap),
    }));
  }

  refreshMarkers() {
    /** @type {import('lightweight-charts').SeriesMarker<import('lightweight-charts').Time>[]} */
    const markers = [];
    for (const [ms, bar] of this.bars) {
      if (!bar.complete)
        markers.push({
          time: seconds(ms),
          position: 'aboveBar',
          shape: 'arrowDown',
          color: FORMING,
          text: 'forming',
        });
      else if (bar.revision > 0)
        markers.push({
          time: seconds(ms),
          position: 'belowBar',
          shape: 'circle',
          color: '#ce93d8',
          text: `rev ${bar.revision}`,
          size: 0.6,
        });
    }
    markers.sort((a, b) => Number(a.time) - Number(b.time));
    this.markers.setMarkers(markers);
  }

  /** The latest bar held, if any. */
  latest() {
    let latest;
    let latestMs = -1;
    for (const [ms, bar] of this.bars) {
      if (ms > latestMs) {
        latest = bar;
        latestMs = ms;
      }
    }
    return latest;
  }

  /** @param {BarView | undefined} bar */
  showLegend(bar) {
    if (!bar) {
      this.legend.textContent = `${this.label}: no bars yet`;
      return;
    }
    const ms = Date.parse(bar.ts);
    const state = bar.complete ? 'complete' : 'forming';
    const revision = bar.revision > 0 ? ` · corrected (rev ${bar.revision})` : '';
    this.legend.textContent = `${this.label} · ${nyChartTime(ms, this.intervalMs)} ${zoneAbbreviation(ms)} · O ${formatPrice(bar.open)} H ${formatPrice(bar.high)} L ${formatPrice(bar.low)} C ${formatPrice(bar.close)} · V ${formatCount(bar.volume)} · ${state}${revision}`;
    this.legend.dataset['ts'] = bar.ts;
  }

  /**
   * The horizontal coordinate of an instant: inside the point it falls in, proportionally to its
   * place in that bar's [ts, endTs); null before any point.
   * @param {number} ms
   */
  xOf(ms) {
    const times = this.times;
    if (times.length === 0) return null;
    let lo = 0;
    let hi = times.length - 1;
    if (ms < (times[0] ?? 0)) return null;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((times[mid] ?? 0) <= ms) lo = mid;
      else hi = mid - 1;
    }
    const start = times[lo] ?? 0;
    const bar = this.bars.get(start);
    const length = bar ? Date.parse(bar.endTs) - start : this.intervalMs;
    const fraction = length > 0 ? (ms - start) / length : 0;
    const scale = this.chart.timeScale();
    const center = scale.logicalToCoordinate(/** @type {import('lightweight-charts').Logical} */ (lo));
    const next = scale.logicalToCoordinate(/** @type {import('lightweight-charts').Logical} */ (lo + 1));
    if (center === null || next === null) return null;
    return center + (fraction - 0.5) * (next - center);
  }

  /** @param {KeyboardEvent} event */
  onKey(event) {
    const scale = this.chart.timeScale();
    const spacing = scale.options().barSpacing;
    switch (event.key) {
      case 'ArrowLeft':
        scale.scrollToPosition(scale.scrollPosition() - 10, false);
        break;
      case 'ArrowRight':
        scale.scrollToPosition(scale.scrollPosition() + 10, false);
        break;
      case '+':
      case '=':
        scale.applyOptions({ barSpacing: Math.min(spacing * 1.25, 50) });
        break;
      case '-':
        scale.applyOptions({ barSpacing: Math.max(spacing / 1.25, 0.5) });
        break;
      case 'Home':
        scale.fitContent();
        break;
      case 'End':
        scale.scrollToRealTime();
        break;
      default:
        return;
    }
    event.preventDefault();
  }
}
