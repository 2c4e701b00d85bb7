/** Accept-Encoding negotiation (RFC 9110 §12.5.3) and gzip of the response helpers. */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { acceptsGzip, gzipBytes } from '../../src/lib/content-encoding.ts';

describe('acceptsGzip', () => {
  it.each([
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, GZIP;q=0.5', true],
    ['x-gzip', true],
    ['*', true],
    ['*;q=0.1', true],
    ['gzip;q=0', false],
    ['gzip; q=0', false],
    ['*, gzip;q=0', false],
    ['*;q=0', false],
    ['br, deflate', false],
    ['identity', false],
    ['', false],
    ['gzip;q=nonsense', false],
  ])('%j → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });

  it('reads a missing header as no, and repeated headers as one list', () => {
    expect(acceptsGzip(null)).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip(['br', 'gzip'])).toBe(true);
  });
});

describe('gzipBytes', () => {
  it('compresses what gunzip restores', async () => {
    const text = 'ts,open,high,low,close\n'.repeat(1_000);
    const zipped = await gzipBytes(new TextEncoder().encode(text));
    expect(zipped.byteLength).toBeLessThan(text.length / 10);
    expect(gunzipSync(zipped).toString()).toBe(text);
  });
});
