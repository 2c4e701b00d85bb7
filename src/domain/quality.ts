import type { TimeWindow } from './calendar.ts';
import { type IntervalSpec, windowBounds, windowCount } from './intervals.ts';
import type { Gap, Instant } from './types.ts';

/*
 * From-scratch reference for data quality and gaps. The session tree keeps these figures
 * incrementally; property tests compare it with these functions.
 */

/**
 * Number of windows of `spec` in the session window whose end ≤ `clock` (the closed windows). They are
 * always the first ones: windows are consecutive, full-length except the last, which ends at the
 * session end.
 */
export function closedWindowCount(window: TimeWindow, spec: IntervalSpec, clock: Instant): number {
  if (clock >= window.end) return windowCount(window, spec);
  if (spec.isDay) return 0;
  // Clock before the session end: the last (possibly short) window is open, and full window i is
  // closed exactly when start + (i + 1) × length ≤ clock.
  return Math.max(0, Math.floor((clock - window.start) / spec.ms));
}

/**
 * Quality of interval `spec` at `clock`: 100 × (base bars present inside the closed windows) /
 * (base slots inside the closed windows), where the slots are the `baseMs`-long bar positions aligned to
 * the session start. Null when no window is closed yet.
 *
 * @param presentBaseTs start instants of the base bars held (placed as `validateBarPlacement` requires),
 *   ascending and without duplicates.
 */
export function computeQuality(
  presentBaseTs: readonly Instant[],
  window: TimeWindow,
  spec: IntervalSpec,
  baseMs: number,
  clock: Instant,
): number | null {
  const closedEnd = closedWindowsEnd(window, spec, clock);
  if (closedEnd === null) return null;
  const slots = Math.floor((closedEnd - window.start) / baseMs);
  if (slots === 0) return null;
  const present = presentBaseTs.filter((ts) => ts >= window.start && ts < closedEnd).length;
  return (100 * present) / slots;
}

/**
 * Gaps of interval `spec` at `clock`: maximal runs of consecutive closed windows that hold no base bar,
 * each `{ start, end (exclusive), missingBars }` where missingBars counts the windows of `spec` in the
 * run. A window holding at least one base bar is never part of a gap. Ascending by start.
 *
 * @param presentBaseTs start instants of the base bars held (placed as `validateBarPlacement` requires),
 *   ascending.
 * @param _baseMs the base interval length; unused (a window holds a bar when a base bar starts in it),
 *   kept so both reference functions take the same arguments.
 */
export function computeGaps(
  presentBaseTs: readonly Instant[],
  window: TimeWindow,
  spec: IntervalSpec,
  _baseMs: number,
  clock: Instant,
): Gap[] {
  const gaps: Gap[] = [];
  let current: { start: Instant; end: Instant; missingBars: number } | null = null;
  let next = 0; // index of the first present ts not before the current window
  const closed = closedWindowCount(window, spec, clock);
  for (let index = 0; index < closed; index++) {
    const bounds = windowBounds(window, spec, index);
    let firstTs = presentBaseTs[next];
    while (firstTs !== undefined && firstTs < bounds.start) firstTs = presentBaseTs[++next];
    if (firstTs !== undefined && firstTs < bounds.end) {
      if (current !== null) gaps.push(current);
      current = null;
    } else if (current === null) {
      current = { start: bounds.start, end: bounds.end, missingBars: 1 };
    } else {
      current.end = bounds.end;
      current.missingBars++;
    }
  }
  if (current !== null) gaps.push(current);
  return gaps;
}

/** End of the last closed window, or null when none is closed. */
function closedWindowsEnd(window: TimeWindow, spec: IntervalSpec, clock: Instant): Instant | null {
  const closed = closedWindowCount(window, spec, clock);
  return closed === 0 ? null : windowBounds(window, spec, closed - 1).end;
}
