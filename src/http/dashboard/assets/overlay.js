// @ts-check
/**
 * A Lightweight Charts series primitive: a shaded band over each gap's time range (behind the
 * candles) with its label, and a dashed vertical line at the session's regular open and close
 * (over them, with the labels). Positions come from `xOf` (an instant → a horizontal coordinate, or null when it cannot be
 * placed), evaluated at every redraw, so bands follow scrolling and zooming.
 */

/**
 * @typedef {{ start: number, end: number, label: string }} Band a gap: [start, end) in ms
 * @typedef {{ at: number, label: string }} Mark a vertical line at an instant (ms)
 * @typedef {{ x1: number, x2: number, label: string }} DrawnBand where a band was last drawn (CSS px)
 */

const BAND_FILL = 'rgba(255, 183, 77, 0.16)';
const BAND_EDGE = 'rgba(255, 183, 77, 0.55)';
const BAND_TEXT = '#ffcc80';
const MARK_LINE = 'rgba(144, 202, 249, 0.7)';
const MARK_TEXT = '#90caf9';
const LABEL_BACKGROUND = 'rgba(19, 26, 34, 0.85)';
const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export class SessionOverlay {
  /** @param {(ms: number) => number | null} xOf */
  constructor(xOf) {
    this.xOf = xOf;
    /** @type {Band[]} */
    this.bands = [];
    /** @type {Mark[]} */
    this.marks = [];
    /** @type {DrawnBand[]} what the last redraw drew, for the page's own checks and tests */
    this.drawn = [];
    /** @type {(() => void) | null} */
    this.requestUpdate = null;
    /** @type {(target: import('fancy-canvas').CanvasRenderingTarget2D) => void} */
    const under = (target) => this.drawBands(target);
    /** @type {(target: import('fancy-canvas').CanvasRenderingTarget2D) => void} */
    const over = (target) => this.drawLabels(target);
    // Bands under the candles; lines and every label over them, so bars never hide a label.
    const views = [
      { zOrder: () => /** @type {const} */ ('bottom'), renderer: () => ({ draw: under }) },
      { zOrder: () => /** @type {const} */ ('top'), renderer: () => ({ draw: over }) },
    ];
    this.views = views;
  }

  /** @param {{ requestUpdate: () => void }} param */
  attached(param) {
    this.requestUpdate = param.requestUpdate;
  }

  detached() {
    this.requestUpdate = null;
  }

  paneViews() {
    return this.views;
  }

  /**
   * @param {Band[]} bands
   * @param {Mark[]} marks
   */
  set(bands, marks) {
    this.bands = bands;
    this.marks = marks;
    this.requestUpdate?.();
  }

  /**
   * Where each band lies now (CSS px), clipped to the plot.
   * @param {number} width
   */
  placeBands(width) {
    /** @type {(DrawnBand & { a: number, b: number })[]} */
    const placed = [];
    for (const band of this.bands) {
      const a = this.xOf(band.start);
      const b = this.xOf(band.end);
      if (a === null || b === null) continue;
      const x1 = Math.max(0, Math.min(a, b));
      const x2 = Math.min(width, Math.max(a, b));
      if (x2 > x1) placed.push({ x1, x2, a, b, label: band.label });
    }
    return placed;
  }

  /** @param {import('fancy-canvas').CanvasRenderingTarget2D} target */
  drawBands(target) {
    target.useMediaCoordinateSpace(({ context: ctx, mediaSize: { width, height } }) => {
      const placed = this.placeBands(width);
      for (const { x1, x2, a, b } of placed) {
        ctx.fillStyle = BAND_FILL;
        ctx.fillRect(x1, 0, x2 - x1, height);
        ctx.fillStyle = BAND_EDGE;
        if (a >= 0 && a <= width) ctx.fillRect(Math.round(a), 0, 1, height);
        if (b >= 0 && b <= width) ctx.fillRect(Math.round(b) - 1, 0, 1, height);
      }
      this.drawn = placed.map(({ x1, x2, label }) => ({ x1, x2, label }));
    });
  }

  /** @param {import('fancy-canvas').CanvasRenderingTarget2D} target */
  drawLabels(target) {
    target.useMediaCoordinateSpace(({ context: ctx, mediaSize: { width, height } }) => {
      ctx.font = FONT;
      ctx.textBaseline = 'top';
      for (const { x1, x2, label } of this.placeBands(width)) {
        const text = ctx.measureText(label).width;
        if (text + 8 <= x2 - x1) {
          ctx.fillStyle = BAND_TEXT;
          ctx.fillText(label, x1 + 4, 6);
        } else if (x2 - x1 >= 14) {
          ctx.save();
          ctx.translate(x1 + (x2 - x1) / 2 + 5, 6);
          ctx.rotate(Math.PI / 2);
          ctx.fillStyle = LABEL_BACKGROUND;
          ctx.fillRect(-2, -1, text + 4, 13);
          ctx.fillStyle = BAND_TEXT;
          ctx.fillText(label, 0, 0);
          ctx.restore();
        }
      }
      ctx.setLineDash([4, 4]);
      ctx.lineWidth = 1;
      for (const mark of this.marks) {
        const at = this.xOf(mark.at);
        if (at === null || at < -1 || at > width + 1) continue;
        // A mark on the plot's edge (the open, with the first bar flush left) stays visible.
        const px = Math.round(Math.min(Math.max(at, 1), width - 1)) + 0.5;
        ctx.strokeStyle = MARK_LINE;
        ctx.beginPath();
        ctx.moveTo(px, 0);
        ctx.lineTo(px, height);
        ctx.stroke();
        const labelWidth = ctx.measureText(mark.label).width;
        const left = px + 6 + labelWidth <= width ? px + 4 : px - 6 - labelWidth;
        ctx.fillStyle = LABEL_BACKGROUND;
        ctx.fillRect(left - 2, height - 20, labelWidth + 4, 15);
        ctx.fillStyle = MARK_TEXT;
        ctx.fillText(mark.label, left, height - 18);
      }
      ctx.setLineDash([]);
    });
  }
}
