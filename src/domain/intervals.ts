import type { TimeWindow } from './calendar.ts';
import type { Instant } from './types.ts';

/** A parsed bar interval. */
export interface IntervalSpec {
  /** Canonical name: `Ns`, `Nm`, `Nh` or `1d`. */
  readonly name: string;
  /** Length in milliseconds (86 400 000 for `1d`). */
  readonly ms: number;
  /** True for `1d`, whose single window is the whole session window whatever its length. */
  readonly isDay: boolean;
}

/** Thrown when an interval name is malformed or not allowed where it is used. */
export class IntervalError extends Error {
  /** Stable error code for API clients. */
  readonly code = 'INVALID_INTERVAL';

  constructor(message: string) {
    super(message);
    this.name = 'IntervalError';
  }
}

const SECOND_MS = 1_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Length of one day; also the longest `Ns`/`Nm`/`Nh` interval accepted. */
const DAY_MS = 86_400_000;

const UNIT_MS: Readonly<Record<string, number>> = { s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS };

/** `N` is a positive integer without sign or leading zeros; the unit is lower-case. */
const INTERVAL_PATTERN = /^([1-9][0-9]*)([smhd])$/;

/** The intervals a symbol may stream as its base interval. */
export const BASE_INTERVALS: readonly string[] = ['1s', '1m'];

const DAY_SPEC: IntervalSpec = Object.freeze({ name: '1d', ms: DAY_MS, isDay: true });

const parsedIntervals = new Map<string, IntervalSpec>();

/**
 * Canonical name of a sub-day length: whole hours → `Nh`, whole minutes → `Nm`, else `Ns`
 * (a length that is not a whole number of seconds is written in seconds with a fraction).
 */
export function canonicalIntervalName(ms: number): string {
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  if (ms % MINUTE_MS === 0) return `${ms / MINUTE_MS}m`;
  return `${ms / SECOND_MS}s`;
}

/**
 * Parses an interval name: `Ns`, `Nm`, `Nh` (N a positive integer without sign or leading zeros, the
 * length at most one day) or `1d` (the whole session window; no other day count is accepted).
 * The result carries the canonical name (`60m` → `1h`, `120s` → `2m`). Results are memoised.
 *
 * @throws IntervalError when the name is not one of those forms.
 */
export function parseInterval(name: string): IntervalSpec {
  const cached = parsedIntervals.get(name);
  if (cached !== undefined) return cached;
  const spec = parseUncached(name);
  parsedIntervals.set(name, spec);
  return spec;
}

function parseUncached(name: string): IntervalSpec {
  const match = INTERVAL_PATTERN.exec(name);
  const count = match?.[1];
  const unit = match?.[2];
  if (count === undefined || unit === undefined) {
    throw new IntervalError(
      `Invalid interval ${JSON.stringify(name)}: expected Ns, Nm or Nh (N a positive integer without ` +
        'sign or leading zeros) or 1d',
    );
  }
  if (unit === 'd') {
    if (count === '1') return DAY_SPEC;
    throw new IntervalError(
      `Invalid interval ${JSON.stringify(name)}: only 1d is supported for days (one session window)`,
    );
  }
  const ms = Number(count) * (UNIT_MS[unit] ?? Number.NaN);
  if (ms > DAY_MS) {
    throw new IntervalError(
      `Invalid interval ${JSON.stringify(name)}: longer than one day (at most 86400s, 1440m or 24h; ` +
        'use 1d for the whole session)',
    );
  }
  return Object.freeze({ name: canonicalIntervalName(ms), ms, isDay: false });
}

/**
 * Parses and checks a symbol's base interval and its derived intervals.
 *
 * Rules: the base must be `1s` or `1m` (after canonicalisation, so `60s` is `1m`); each derived interval
 * must be longer than the base and a whole multiple of it, except `1d`, which is always allowed.
 * Derived names that are equal after canonicalisation collapse into one. The derived list is sorted by
 * ascending length, `1d` last.
 *
 * @throws IntervalError naming the offending interval.
 */
export function resolveIntervals(
  base: string,
  derived: readonly string[],
): { base: IntervalSpec; derived: IntervalSpec[] } {
  const baseSpec = parseInterval(base);
  if (!BASE_INTERVALS.includes(baseSpec.name)) {
    throw new IntervalError(
      `Invalid base interval ${JSON.stringify(base)}: the base interval must be one of ${BASE_INTERVALS.join(', ')}`,
    );
  }
  const byName = new Map<string, IntervalSpec>();
  for (const name of derived) {
    const spec = parseInterval(name);
    if (!spec.isDay) {
      if (spec.ms <= baseSpec.ms) {
        throw new IntervalError(
          `Invalid derived interval ${JSON.stringify(name)}: must be longer than the base interval ${baseSpec.name}`,
        );
      }
      if (spec.ms % baseSpec.ms !== 0) {
        throw new IntervalError(
          `Invalid derived interval ${JSON.stringify(name)}: must be a whole multiple of the base interval ${baseSpec.name}`,
        );
      }
    }
    byName.set(spec.name, spec);
  }
  const sorted = [...byName.values()].sort((a, b) => Number(a.isDay) - Number(b.isDay) || a.ms - b.ms);
  return { base: baseSpec, derived: sorted };
}

/**
 * Number of windows of `spec` in `window`: windows are aligned to `window.start`, the last one is
 * truncated at `window.end`; `1d` has exactly one window. An empty window has none.
 */
export function windowCount(window: TimeWindow, spec: IntervalSpec): number {
  if (window.end <= window.start) return 0;
  if (spec.isDay) return 1;
  return Math.ceil((window.end - window.start) / spec.ms);
}

/**
 * Index of the window of `spec` that holds instant `ts` (0 for the first window).
 *
 * @throws RangeError when `ts` is not inside `[window.start, window.end)`.
 */
export function windowIndex(window: TimeWindow, spec: IntervalSpec, ts: Instant): number {
  if (!(ts >= window.start && ts < window.end)) {
    throw new RangeError(
      `Instant ${ts} is outside the session window [${window.start}, ${window.end}) for interval ${spec.name}`,
    );
  }
  if (spec.isDay) return 0;
  return Math.floor((ts - window.start) / spec.ms);
}

/**
 * Start and (exclusive) end of window number `index` of `spec`: `start + index × length`, the end
 * clipped to `window.end`; for `1d` the whole session window.
 *
 * @throws RangeError when `index` is not an integer in `[0, windowCount)`.
 */
export function windowBounds(window: TimeWindow, spec: IntervalSpec, index: number): TimeWindow {
  const count = windowCount(window, spec);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`Window index ${index} out of range [0, ${count}) for interval ${spec.name}`);
  }
  if (spec.isDay) return { start: window.start, end: window.end };
  const start = window.start + index * spec.ms;
  return { start, end: Math.min(start + spec.ms, window.end) };
}
