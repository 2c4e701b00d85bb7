import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('loadConfig: the live feed', () => {
  it('has no feed, no rehearsal clock and the demo by default', () => {
    const config = loadConfig({});
    expect(config.feed).toEqual({ kind: 'none' });
    expect(config.clock).toBeNull();
    expect(config.demo).toBe(true);
  });

  it('reads an Alpaca feed with the providers’ defaults', () => {
    const config = loadConfig({
      FEED: 'alpaca',
      APCA_API_KEY_ID: 'k',
      APCA_API_SECRET_KEY: 's',
      FEED_SYMBOLS: 'spy, AAPL,SPY',
    });
    expect(config.feed).toEqual({
      kind: 'alpaca',
      keyId: 'k',
      secretKey: 's',
      dataUrl: 'https://data.alpaca.markets',
      streamUrl: 'wss://stream.data.alpaca.markets',
      alpacaFeed: 'iex',
      symbols: ['SPY', 'AAPL'],
      base: '1m',
      source: 'BARS',
    });
    expect(config.demo).toBe(false);
  });

  it('reads a Polygon feed, its URLs, FEED_BASE, FEED_SOURCE and the rehearsal clock', () => {
    const config = loadConfig({
      FEED: 'polygon',
      POLYGON_API_KEY: 'pk',
      POLYGON_WS_URL: 'ws://127.0.0.1:9/stocks',
      POLYGON_REST_URL: 'http://127.0.0.1:9/',
      FEED_BASE: '1s',
      FEED_SOURCE: 'TRADES',
      CLOCK_START: '2024-03-05T09:25',
      CLOCK_SPEED: '60',
    });
    expect(config.feed).toMatchObject({
      kind: 'polygon',
      apiKey: 'pk',
      wsUrl: 'ws://127.0.0.1:9/stocks',
      restUrl: 'http://127.0.0.1:9',
      base: '1s',
      source: 'TRADES',
      symbols: [],
    });
    expect(config.clock).toEqual({ start: Date.UTC(2024, 2, 5, 14, 25), speed: 60 });
  });

  it.each([
    [{ FEED: 'kraken' }, /FEED must be one of alpaca, polygon, none/],
    [{ FEED: 'alpaca', APCA_API_SECRET_KEY: 's' }, /FEED=alpaca needs APCA_API_KEY_ID/],
    [{ FEED: 'alpaca', APCA_API_KEY_ID: 'k' }, /FEED=alpaca needs APCA_API_SECRET_KEY/],
    [{ FEED: 'polygon' }, /FEED=polygon needs POLYGON_API_KEY/],
    [
      { FEED: 'alpaca', APCA_API_KEY_ID: 'k', APCA_API_SECRET_KEY: 's', ALPACA_FEED: 'opra' },
      /ALPACA_FEED must be one of iex, sip/,
    ],
    [
      { FEED: 'alpaca', APCA_API_KEY_ID: 'k', APCA_API_SECRET_KEY: 's', APCA_API_STREAM_URL: 'https://x' },
      /APCA_API_STREAM_URL must be a ws: or wss: URL/,
    ],
    [{ FEED: 'polygon', POLYGON_API_KEY: 'k', FEED_SYMBOLS: 'SPY,$$$' }, /FEED_SYMBOLS holds "\$\$\$"/],
    [{ FEED: 'polygon', POLYGON_API_KEY: 'k', FEED_BASE: '5m' }, /FEED_BASE must be one of 1m, 1s/],
    [{ CLOCK_START: 'soon' }, /CLOCK_START must be an ISO-8601 date-time/],
  ])('refuses %j with a clear message', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never puts a key in an error', () => {
    try {
      loadConfig({
        FEED: 'alpaca',
        APCA_API_KEY_ID: 'secret-key-id',
        APCA_API_SECRET_KEY: 'the-secret',
        APCA_API_DATA_URL: 'nope',
      });
    } catch (error) {
      expect(String(error)).not.toMatch(/secret-key-id|the-secret/);
      return;
    }
    throw new Error('expected a refusal');
  });
});

describe('loadConfig: the write mode', () => {
  it('reads WRITE_MODE and WRITE_ACK_TIMEOUT_MS; unset, the app decides by driver', () => {
    expect(loadConfig({}).writeMode).toBeUndefined();
    expect(loadConfig({}).writeAckTimeoutMs).toBe(10_000);
    expect(loadConfig({ WRITE_MODE: 'durable' }).writeMode).toBe('durable');
    expect(loadConfig({ WRITE_MODE: 'write-behind', WRITE_ACK_TIMEOUT_MS: '250' })).toMatchObject({
      writeMode: 'write-behind',
      writeAckTimeoutMs: 250,
    });
    expect(() => loadConfig({ WRITE_MODE: 'fast' })).toThrow(
      'WRITE_MODE must be one of durable, write-behind',
    );
    expect(() => loadConfig({ WRITE_ACK_TIMEOUT_MS: '0' })).toThrow('WRITE_ACK_TIMEOUT_MS');
  });
});
