/**
 * The dashboard's formatting (src/http/dashboard/assets/format.js, a browser module with no DOM
 * use): New York times with the zone named, gap labels (with a cause once gaps have one), feed
 * status, quality classes, prices and changes.
 */
import { beforeAll, describe, expect, it } from 'vitest';

/** The module's exports (it is plain JavaScript, typed by its JSDoc for the browser build). */
interface Format {
  nyClock(ms: number): string;
  nyChartTime(ms: number, intervalMs: number): string;
  intervalMs(name: string): number;
  formatPrice(value: number | null): string;
  formatCount(value: number | null): string;
  formatChange(last: number | null, reference: number | null): string;
  formatQuality(quality: number | null): string;
  qualityClass(quality: number | null): string;
  formatGapLabel(gap: { start: string; end: string; missingBars: number; cause?: string | null }): string;
  formatFeeds(feeds: { feed: string; status: string; since?: string | null }[] | null): string;
}

let f: Format;
beforeAll(async () => {
  const path = '../../src/http/dashboard/assets/format.js';
  f = (await import(path)) as Format;
});

describe('dashboard formatting', () => {
  it('writes New York times with the zone, in winter and summer', () => {
    expect(f.nyClock(Date.parse('2011-03-10T16:32:05Z'))).toBe('11:32:05 EST');
    expect(f.nyClock(Date.parse('2011-07-01T13:30:00Z'))).toBe('09:30:00 EDT');
    expect(f.nyChartTime(Date.parse('2011-03-10T14:30:00Z'), 86_400_000)).toBe('Mar 10');
    expect(f.nyChartTime(Date.parse('2011-03-10T14:30:07Z'), 1_000)).toBe('09:30:07');
  });

  it('labels a gap with its range and size, and its cause once it has one', () => {
    const gap = { start: '2011-03-10T15:00:00.000Z', end: '2011-03-10T15:05:00.000Z', missingBars: 5 };
    expect(f.formatGapLabel(gap)).toBe('10:00–10:05 EST · 5 missing bars');
    expect(f.formatGapLabel({ ...gap, missingBars: 1 })).toBe('10:00–10:05 EST · 1 missing bar');
    expect(f.formatGapLabel({ ...gap, cause: 'FEED_OUTAGE' })).toBe(
      '10:00–10:05 EST · 5 missing bars · feed outage',
    );
    expect(f.formatGapLabel({ ...gap, cause: 'NO_DATA' })).toBe('10:00–10:05 EST · 5 missing bars · no data');
  });

  it('writes the feed status, empty without feeds', () => {
    expect(f.formatFeeds(null)).toBe('');
    expect(f.formatFeeds([])).toBe('');
    expect(f.formatFeeds([{ feed: 'alpaca', status: 'CONNECTED', since: '2011-03-10T14:31:00Z' }])).toBe(
      'alpaca: connected since 09:31',
    );
  });

  it('colours quality by completeness and writes figures', () => {
    expect([100, 99.5, 96, 80, null].map((q) => f.qualityClass(q))).toEqual([
      'q-full',
      'q-high',
      'q-mid',
      'q-low',
      'q-none',
    ]);
    expect(f.formatQuality(95.8677)).toBe('95.8%');
    expect(f.formatQuality(100)).toBe('100%');
    expect(f.formatQuality(null)).toBe('—');
    expect(f.formatPrice(130.5)).toBe('130.50');
    expect(f.formatPrice(0.1234)).toBe('0.1234');
    expect(f.formatCount(92649978)).toBe('92,649,978');
    expect(f.formatChange(130.48, 132.39)).toBe('−1.91 (-1.44%)');
    expect(f.formatChange(101, 100)).toBe('+1.00 (+1.00%)');
    expect(f.formatChange(100, null)).toBe('—');
    expect(['1s', '5m', '1h', '1d', 'x'].map((n) => f.intervalMs(n))).toEqual([
      1_000,
      300_000,
      3_600_000,
      86_400_000,
      Number.NaN,
    ]);
  });
});
