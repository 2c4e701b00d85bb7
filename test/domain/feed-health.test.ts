import { describe, expect, it } from 'vitest';
import {
  type FeedState,
  gapCause,
  initialFeedState,
  MAX_OUTAGES,
  type Outage,
  reportFeedStatus,
} from '../../src/domain/feed-health.ts';

const T = Date.UTC(2024, 2, 5, 15, 0);
const MIN = 60_000;

function report(
  state: FeedState,
  status: 'UP' | 'DOWN',
  at: number,
  reason: string | null = null,
): FeedState {
  const outcome = reportFeedStatus(state, status, at, reason);
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.state;
}

describe('feed status', () => {
  it('a feed never reported is UP since null', () => {
    expect(initialFeedState('api')).toEqual({ feed: 'api', status: 'UP', since: null, outages: [] });
  });

  it('DOWN opens an outage, UP closes it; the same status again changes nothing', () => {
    let state = report(initialFeedState('alpaca'), 'DOWN', T, 'socket closed');
    expect(state).toMatchObject({
      status: 'DOWN',
      since: T,
      outages: [{ start: T, end: null, reason: 'socket closed' }],
    });
    const again = reportFeedStatus(state, 'DOWN', T + MIN, 'still down');
    expect(again).toEqual({ ok: true, state, changed: false });
    state = report(state, 'UP', T + 5 * MIN);
    expect(state).toMatchObject({
      status: 'UP',
      since: T + 5 * MIN,
      outages: [{ start: T, end: T + 5 * MIN, reason: 'socket closed' }],
    });
    expect(reportFeedStatus(state, 'UP', T + 6 * MIN, null)).toMatchObject({ ok: true, changed: false });
  });

  it('refuses a report earlier than the last change', () => {
    const state = report(initialFeedState('api'), 'DOWN', T);
    const outcome = reportFeedStatus(state, 'UP', T - 1, null);
    expect(outcome.ok).toBe(false);
    expect(reportFeedStatus(state, 'UP', T, null).ok).toBe(true);
    expect(reportFeedStatus(state, 'UP', Number.NaN, null).ok).toBe(false);
  });

  it(`keeps the latest ${MAX_OUTAGES} outages`, () => {
    let state = initialFeedState('api');
    for (let k = 0; k < MAX_OUTAGES + 5; k++) {
      state = report(state, 'DOWN', T + 2 * k);
      state = report(state, 'UP', T + 2 * k + 1);
    }
    expect(state.outages.length).toBe(MAX_OUTAGES);
    expect(state.outages[0]!.start).toBe(T + 10);
  });
});

describe('gap cause', () => {
  const outages: Outage[] = [
    { start: T, end: T + 10 * MIN, reason: 'a' },
    { start: T + 30 * MIN, end: T + 30 * MIN, reason: 'zero length' },
    { start: T + 60 * MIN, end: null, reason: 'still down' },
  ];
  const gap = (from: number, to: number) => ({ start: T + from * MIN, end: T + to * MIN });

  it('NO_DATA without outages', () => {
    expect(gapCause(gap(0, 5), [])).toBe('NO_DATA');
  });

  it('an outage covering the whole gap', () => {
    expect(gapCause(gap(2, 5), outages)).toBe('FEED_OUTAGE');
  });

  it('partial overlap, at either end, counts (any positive overlap)', () => {
    expect(gapCause(gap(-5, 1), outages)).toBe('FEED_OUTAGE');
    expect(gapCause(gap(9, 20), outages)).toBe('FEED_OUTAGE');
    expect(gapCause(gap(-5, 20), outages)).toBe('FEED_OUTAGE'); // the gap covers the outage
  });

  it('touching is not overlapping', () => {
    expect(gapCause(gap(10, 20), outages)).toBe('NO_DATA');
    expect(gapCause(gap(-5, 0), outages)).toBe('NO_DATA');
  });

  it('a zero-length outage overlaps nothing', () => {
    expect(gapCause(gap(29, 31), outages)).toBe('NO_DATA');
  });

  it('an open outage overlaps everything after its start', () => {
    expect(gapCause(gap(59, 60), outages)).toBe('NO_DATA');
    expect(gapCause(gap(59, 61), outages)).toBe('FEED_OUTAGE');
    expect(gapCause(gap(600, 601), outages)).toBe('FEED_OUTAGE');
  });
});
