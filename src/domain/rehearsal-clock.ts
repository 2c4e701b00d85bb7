/**
 * The rehearsal clock (CLOCK_START, CLOCK_SPEED): a wall clock that starts at a chosen instant and
 * runs at a chosen speed, so a LIVE session and a live feed can be rehearsed against recorded data
 * at any hour. Pure: the real wall clock is passed in.
 *
 * `CLOCK_START` is an ISO-8601 date-time. With a `Z` or an offset it is that instant; without one
 * it is read as exchange time (America/New_York), so `2024-03-05T09:25` is five minutes before that
 * day's open whatever the machine's time zone. A bare date is refused (say which minute).
 * `CLOCK_SPEED` is a finite factor > 0 and ≤ 10,000 (market time per wall time); default 1.
 */
import { DateTime } from 'luxon';
import { EXCHANGE_TIME_ZONE } from './calendar.ts';
import type { Instant } from './types.ts';

/** Largest accepted CLOCK_SPEED. */
export const MAX_CLOCK_SPEED = 10_000;

/** A parsed rehearsal clock setting. */
export interface RehearsalClockSettings {
  /** The instant the clock shows when the process starts. */
  readonly start: Instant;
  /** Market milliseconds per wall millisecond. */
  readonly speed: number;
}

/**
 * Parses CLOCK_START / CLOCK_SPEED. Returns null when CLOCK_START is unset (the real wall clock).
 * @throws Error with a message naming the variable for a malformed value
 */
export function parseRehearsalClock(
  start: string | undefined,
  speed: string | undefined,
): RehearsalClockSettings | null {
  if (start === undefined || start.trim() === '') {
    if (speed !== undefined && speed.trim() !== '' && Number(speed) !== 1) {
      throw new Error('CLOCK_SPEED needs CLOCK_START (the instant the rehearsal clock starts at)');
    }
    return null;
  }
  const text = start.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) {
    throw new Error(`CLOCK_START must be an ISO-8601 date-time such as 2024-03-05T09:25, got "${start}"`);
  }
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const parsed = hasZone
    ? DateTime.fromISO(text, { setZone: true })
    : DateTime.fromISO(text, { zone: EXCHANGE_TIME_ZONE });
  if (!parsed.isValid) {
    throw new Error(
      `CLOCK_START is not a valid date-time: "${start}" (${parsed.invalidExplanation ?? 'invalid'})`,
    );
  }
  const factor = speed === undefined || speed.trim() === '' ? 1 : Number(speed);
  if (!Number.isFinite(factor) || factor <= 0 || factor > MAX_CLOCK_SPEED) {
    throw new Error(`CLOCK_SPEED must be a number > 0 and ≤ ${MAX_CLOCK_SPEED}, got "${speed}"`);
  }
  return { start: parsed.toMillis(), speed: factor };
}

/**
 * A clock that reads `settings.start` at the moment it is made and then advances `speed` times as
 * fast as `wallNow`. Without settings it is `wallNow` itself.
 */
export function rehearsalClock(
  settings: RehearsalClockSettings | null,
  wallNow: () => Instant = Date.now,
): () => Instant {
  if (settings === null) return wallNow;
  const origin = wallNow();
  const { start, speed } = settings;
  return () => start + Math.floor((wallNow() - origin) * speed);
}
