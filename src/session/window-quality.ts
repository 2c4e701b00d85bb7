import type { Gap } from '../domain/types.ts';

/**
 * Quality and gap ranges of one interval, kept incrementally.
 *
 * Windows are numbered 0…windowCount-1 from the session window's start. Windows 0…closed-1 are
 * closed (their end ≤ session clock). The tracker holds the base slots and base bars inside the
 * closed windows and the maximal runs of closed windows without any base bar, as parallel arrays
 * of window indices. Closing windows is amortised O(1) per window; filling a window inside a gap
 * is O(log g).
 */
export class WindowQuality {
  /** Number of closed windows (windows 0…closed-1). */
  closed = 0;
  /** Base bars present inside closed windows. */
  presentInClosed = 0;
  /** Base slots inside closed windows. */
  slotsInClosed = 0;
  /** Sum of the gaps' missing windows. */
  missingWindows = 0;
  private readonly gapStart: number[] = [];
  private readonly gapEnd: number[] = [];

  /**
   * @param windowCount number of windows in the session window
   * @param slotsPerWindow base slots of a full window
   * @param totalSlots base slots of the session window (the last window may hold fewer)
   */
  constructor(
    readonly windowCount: number,
    private readonly slotsPerWindow: number,
    private readonly totalSlots: number,
  ) {}

  /** Base slots of a window (the last may be shorter). */
  private slotsOfWindow(window: number): number {
    return Math.min(this.slotsPerWindow, this.totalSlots - window * this.slotsPerWindow);
  }

  /** Number of gaps. */
  get gapCount(): number {
    return this.gapStart.length;
  }

  /** Quality in percent, null while no window is closed. */
  quality(): number | null {
    return this.slotsInClosed === 0 ? null : (100 * this.presentInClosed) / this.slotsInClosed;
  }

  /**
   * Closes windows up to `closedCount` (exclusive), given the base bars each holds.
   * Calls `onClosed` for every newly closed window that holds at least one bar.
   * Returns true when anything changed.
   */
  closeUpTo(
    closedCount: number,
    windows: { barsInWindow(window: number): number },
    onClosed?: (window: number) => void,
  ): boolean {
    const target = Math.min(closedCount, this.windowCount);
    if (target <= this.closed) return false;
    for (let w = this.closed; w < target; w++) {
      this.slotsInClosed += this.slotsOfWindow(w);
      const present = windows.barsInWindow(w);
      if (present === 0) {
        const last = this.gapEnd.length - 1;
        if (last >= 0 && this.gapEnd[last] === w) this.gapEnd[last] = w + 1;
        else {
          this.gapStart.push(w);
          this.gapEnd.push(w + 1);
        }
        this.missingWindows++;
      } else {
        this.presentInClosed += present;
        onClosed?.(w);
      }
    }
    this.closed = target;
    return true;
  }

  /**
   * Records one more base bar inside `window`. When the window is closed this raises quality and,
   * if the window was empty, removes it from its gap. Returns true when quality or gaps changed.
   */
  addBar(window: number, wasEmpty: boolean): boolean {
    if (window >= this.closed) return false;
    this.presentInClosed++;
    if (wasEmpty) this.fillGapWindow(window);
    return true;
  }

  private fillGapWindow(window: number): void {
    const starts = this.gapStart;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= window) lo = mid + 1;
      else hi = mid;
    }
    const i = lo - 1;
    if (i < 0 || this.gapEnd[i]! <= window) return;
    const start = starts[i]!;
    const end = this.gapEnd[i]!;
    this.missingWindows--;
    if (start === window && end === window + 1) {
      starts.splice(i, 1);
      this.gapEnd.splice(i, 1);
    } else if (start === window) {
      starts[i] = window + 1;
    } else if (end === window + 1) {
      this.gapEnd[i] = window;
    } else {
      this.gapEnd[i] = window;
      starts.splice(i + 1, 0, window + 1);
      this.gapEnd.splice(i + 1, 0, end);
    }
  }

  /** The gaps as time ranges, given each window's start and end instants. */
  gaps(windowStart: (window: number) => number, windowEnd: (window: number) => number): Gap[] {
    const out: Gap[] = [];
    for (let i = 0; i < this.gapStart.length; i++) {
      const s = this.gapStart[i]!;
      const e = this.gapEnd[i]!;
      out.push({ start: windowStart(s), end: windowEnd(e - 1), missingBars: e - s });
    }
    return out;
  }
}
