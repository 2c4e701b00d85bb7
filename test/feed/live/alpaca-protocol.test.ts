/**
 * The Alpaca stock stream core without a socket: the documented examples of every message type
 * (https://docs.alpaca.markets/docs/real-time-stock-pricing-data), JSON and MessagePack alike, the
 * handshake, subscription diffs and the documented error behaviour.
 */
import { decode, encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { AlpacaDecoder } from '../../../src/feed/live/alpaca/decode.ts';
import { ALPACA_ERRORS, AlpacaCore, alpacaSubscription } from '../../../src/feed/live/alpaca/protocol.ts';
import type { CoreEffect, OutgoingFrame } from '../../../src/feed/live/stream-core.ts';
import type { FeedSubscription } from '../../../src/feed/live/types.ts';
import { CollectingSink } from './collecting-sink.ts';

/** The documentation's examples, one per type. */
const DOC_EXAMPLES = [
  {
    T: 't',
    i: 96921,
    S: 'AAPL',
    x: 'D',
    p: 126.55,
    s: 1,
    t: '2021-02-22T15:51:44.208Z',
    c: ['@', 'I'],
    z: 'C',
  },
  {
    T: 'q',
    S: 'AMD',
    bx: 'U',
    bp: 87.66,
    bs: 1,
    ax: 'Q',
    ap: 87.68,
    as: 4,
    t: '2021-02-22T15:51:45.335689322Z',
    c: ['R'],
    z: 'C',
  },
  {
    T: 'b',
    S: 'SPY',
    o: 388.985,
    h: 389.13,
    l: 388.975,
    c: 389.12,
    v: 49378,
    n: 461,
    vw: 389.062639,
    t: '2021-02-22T19:15:00Z',
  },
  {
    T: 'u',
    S: 'SPY',
    o: 388.985,
    h: 389.2,
    l: 388.975,
    c: 389.15,
    v: 49500,
    n: 463,
    vw: 389.07,
    t: '2021-02-22T19:15:00Z',
  },
  {
    T: 'c',
    S: 'EEM',
    x: 'M',
    oi: 52983525033527,
    op: 39.1582,
    os: 440000,
    oc: [' ', '7'],
    ci: 52983525034326,
    cp: 39.1809,
    cs: 440000,
    cc: [' ', '7'],
    z: 'B',
    t: '2023-04-06T14:25:06.542305024Z',
  },
  {
    T: 'x',
    S: 'GOOGL',
    i: 465,
    x: 'D',
    p: 105.31,
    s: 300,
    a: 'C',
    z: 'C',
    t: '2023-04-06T13:15:42.83540958Z',
  },
  {
    T: 's',
    S: 'AAPL',
    sc: 'H',
    sm: 'Trading Halt',
    rc: 'T12',
    rm: 'Trading Halted; For information requested by NASDAQ',
    t: '2021-02-22T19:15:00Z',
    z: 'C',
  },
  { T: 'l', S: 'IONM', u: 3.24, d: 2.65, i: 'B', t: '2023-04-06T13:34:45.565004401Z', z: 'C' },
];

/** The same messages as Alpaca's MessagePack stream sends them (`t` a timestamp extension). */
function asMsgpack(messages: readonly Record<string, unknown>[]): Uint8Array {
  return encode(messages.map((m) => (typeof m['t'] === 'string' ? { ...m, t: nanoDate(m['t']) } : m)));
}

/** A Date carrying the nanoseconds @msgpack/msgpack writes into its 96/64-bit timestamp. */
function nanoDate(text: string): Date {
  return new Date(Date.parse(text));
}

function decodeBoth(messages: readonly Record<string, unknown>[]) {
  const json = new AlpacaDecoder().decode(JSON.stringify(messages), false);
  const jsonCopy = structuredClone({ ...json });
  const packed = new AlpacaDecoder().decode(asMsgpack(messages), true);
  return { json: jsonCopy, packed: structuredClone({ ...packed }) };
}

describe('AlpacaDecoder', () => {
  it('decodes every documented message type, JSON and MessagePack alike', () => {
    const { json, packed } = decodeBoth(DOC_EXAMPLES);
    expect(packed).toEqual(json);
    expect(json.trades).toEqual([
      {
        symbol: 'AAPL',
        ts: Date.UTC(2021, 1, 22, 15, 51, 44, 208),
        price: 126.55,
        size: 1,
        id: '96921',
        exchange: 'D',
        conditions: ['@', 'I'],
        tape: 'C',
      },
    ]);
    expect(json.quotes).toEqual([
      {
        symbol: 'AMD',
        ts: Date.UTC(2021, 1, 22, 15, 51, 45, 335),
        bid: 87.66,
        bidSize: 1,
        ask: 87.68,
        askSize: 4,
      },
    ]);
    const bar = {
      symbol: 'SPY',
      ts: Date.UTC(2021, 1, 22, 19, 15),
      open: 388.985,
      high: 389.13,
      low: 388.975,
      close: 389.12,
      volume: 49378,
      vwap: 389.062639,
      tradeCount: 461,
    };
    expect(json.bars).toEqual([bar]);
    expect(json.updatedBars).toEqual([
      { ...bar, high: 389.2, close: 389.15, volume: 49500, tradeCount: 463, vwap: 389.07 },
    ]);
    expect(json.corrections).toEqual([
      {
        symbol: 'EEM',
        ts: Date.UTC(2023, 3, 6, 14, 25, 6, 542),
        originalId: '52983525033527',
        corrected: {
          symbol: 'EEM',
          ts: Date.UTC(2023, 3, 6, 14, 25, 6, 542),
          price: 39.1809,
          size: 440000,
          id: '52983525034326',
          exchange: 'M',
          conditions: [' ', '7'],
          tape: 'B',
        },
      },
    ]);
    expect(json.cancels).toEqual([
      {
        symbol: 'GOOGL',
        ts: Date.UTC(2023, 3, 6, 13, 15, 42, 835),
        id: '465',
        price: 105.31,
        size: 300,
        exchange: 'D',
        tape: 'C',
        action: 'C',
      },
    ]);
    expect(json.statuses).toEqual([
      {
        symbol: 'AAPL',
        ts: Date.UTC(2021, 1, 22, 19, 15),
        code: 'H',
        message: 'Trading Halt',
        reasonCode: 'T12',
        reasonMessage: 'Trading Halted; For information requested by NASDAQ',
      },
    ]);
    expect(json.other).toBe(1);
    expect(json.malformed).toEqual([]);
  });

  it('reads nanosecond timestamps to the millisecond, in text and as MessagePack timestamps', () => {
    const decoder = new AlpacaDecoder();
    const text = [{ T: 't', S: 'A', i: 1, p: 1, s: 1, t: '2024-03-05T14:30:59.999999999Z' }];
    expect(decoder.decode(JSON.stringify(text), false).trades[0]!.ts).toBe(
      Date.UTC(2024, 2, 5, 14, 30, 59, 999),
    );
    // A 96-bit timestamp (seconds beyond 34 bits are not needed: a 64-bit one with nanoseconds).
    const seconds = Date.UTC(2024, 2, 5, 14, 30, 59) / 1000;
    const ext = new Uint8Array([0xd7, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    const view = new DataView(ext.buffer);
    const nanos = 999_999_999;
    view.setUint32(2, ((nanos << 2) >>> 0) | Math.floor(seconds / 2 ** 32));
    view.setUint32(6, seconds >>> 0);
    const head = encode([{ T: 't', S: 'A', i: 1, p: 1, s: 1 }]);
    // Append `t` to the map by hand: fixmap of 5 → 6 entries, then "t" and the extension.
    const bytes = new Uint8Array([...head.slice(0, 1), 0x86, ...head.slice(2), 0xa1, 0x74, ...ext]);
    expect(decoder.decode(bytes, true).trades[0]!.ts).toBe(Date.UTC(2024, 2, 5, 14, 30, 59, 999));
  });

  it('decodes MessagePack trades and quotes whatever the key order, and reports odd ones like the JSON path', () => {
    const t = new Date(Date.UTC(2024, 2, 5, 15));
    const frame = [
      { S: 'AAPL', T: 't', p: 1.5, s: 2, i: 9, t, c: ['@'], x: 'V', z: 'C' },
      { T: 't', S: 'AAPL', p: 1.5, s: 2, i: 'x-9', t },
      { T: 'q', ap: 2, as: 1, bp: 1, bs: 3, t, S: 'AAPL' },
      { T: 't', S: 'AAPL', p: 'high', s: 2, i: 10, t },
      { T: 'q', S: 'AAPL', bp: 1, bs: 3, t },
    ];
    const out = new AlpacaDecoder().decode(encode(frame), true);
    expect(out.trades.map((x) => [x.id, x.price, x.conditions, x.exchange])).toEqual([
      ['9', 1.5, ['@'], 'V'],
      ['x-9', 1.5, [], null],
    ]);
    expect(out.quotes).toEqual([{ symbol: 'AAPL', ts: t.getTime(), bid: 1, bidSize: 3, ask: 2, askSize: 1 }]);
    expect(out.malformed).toEqual([
      'a trade needs S, p, s and t (T=t AAPL)',
      'a quote needs S, bp, bs, ap, as and t (T=q AAPL)',
    ]);
  });

  it('interns symbols and condition lists across frames (MessagePack)', () => {
    const decoder = new AlpacaDecoder();
    const frame = [{ T: 't', S: 'AAPL', i: 1, p: 1, s: 1, c: ['@', 'F', 'T', 'I'], t: new Date(0) }];
    const first = decoder.decode(encode(frame), true).trades[0]!;
    const second = decoder.decode(encode(frame), true).trades[0]!;
    expect(second).not.toBe(first);
    expect(second.conditions).toBe(first.conditions);
    expect(Object.isFrozen(first.conditions)).toBe(true);
  });

  it('keeps the good messages of a frame and says why each bad one was dropped', () => {
    const frame = [
      { T: 't', S: 'AAPL', i: 1, p: 'x', s: 1, t: '2024-03-05T14:30:00Z' },
      { T: 'q', S: 'AAPL', bp: 1, bs: 1, ap: 1, as: 1 },
      { T: 'b', S: 'AAPL', o: 1, h: 1, l: 1, c: 1, v: 1, t: 'yesterday' },
      { S: 'AAPL' },
      42,
      { T: 't', S: 'AAPL', i: 2, p: 10, s: 5, t: '2024-03-05T14:30:01Z' },
    ];
    const out = new AlpacaDecoder().decode(JSON.stringify(frame), false);
    expect(out.trades.map((t) => t.id)).toEqual(['2']);
    expect(out.malformed).toEqual([
      'a trade needs S, p, s and t (T=t AAPL)',
      'a quote needs S, bp, bs, ap, as and t (T=q AAPL)',
      'a bar needs S, o, h, l, c, v and t (T=b AAPL)',
      'a message needs a type T (T=? AAPL)',
      'a message is not an object',
    ]);
  });

  it.each([
    ['not JSON', '[{"T":"t",', false, /frame is not JSON/],
    ['not an array', '{"T":"t"}', false, /not an array of messages/],
    [
      'truncated MessagePack',
      encode([{ T: 't', S: 'AAPL' }]).slice(0, 6),
      true,
      /not MessagePack: .*ends too early/,
    ],
    ['not MessagePack', new Uint8Array([0xc1]), true, /not MessagePack/],
  ])('reports a frame that is %s as one malformed frame', (_what, data, binary, message) => {
    const out = new AlpacaDecoder().decode(data as string | Uint8Array, binary as boolean);
    expect(out.malformed).toHaveLength(1);
    expect(out.malformed[0]).toMatch(message as RegExp);
  });

  it('decodes control messages from MessagePack', () => {
    const out = new AlpacaDecoder().decode(
      encode([{ T: 'subscription', trades: ['AAPL'], quotes: [], bars: ['*'], corrections: ['AAPL'] }]),
      true,
    );
    expect(out.controls).toEqual([
      { T: 'subscription', channels: { trades: ['AAPL'], quotes: [], bars: ['*'], corrections: ['AAPL'] } },
    ]);
  });
});

const SUBS: FeedSubscription[] = [
  { symbol: 'SPY', baseInterval: '1m', channels: { bars: true, trades: false, quotes: true } },
  { symbol: 'AAPL', baseInterval: '1s', channels: { bars: false, trades: true, quotes: false } },
];

function texts(frames: readonly OutgoingFrame[]): unknown[] {
  return frames.map((f) => (f.binary ? decode(f.data as Uint8Array) : JSON.parse(f.data as string)));
}

function sent(effects: readonly CoreEffect[]): unknown[] {
  return texts(effects.flatMap((e) => (e.kind === 'send' ? [e.frame] : [])));
}

function kinds(effects: readonly CoreEffect[]): string[] {
  return effects.map((e) => e.kind);
}

const msg = (o: unknown) => JSON.stringify([o]);

describe('AlpacaCore', () => {
  it('authenticates after the greeting, subscribes what is followed, and is ready on the acknowledgement', () => {
    const sink = new CollectingSink();
    const core = new AlpacaCore({ key: 'KEY', secret: 'SECRET', codec: 'json', sink });
    expect(core.headers).toEqual({ 'Content-Type': 'application/json' });
    expect(core.update(SUBS)).toEqual([]);
    const greeted = core.received(msg({ T: 'success', msg: 'connected' }), false);
    expect(sent(greeted)).toEqual([{ action: 'auth', key: 'KEY', secret: 'SECRET' }]);
    const authed = core.received(msg({ T: 'success', msg: 'authenticated' }), false);
    expect(sent(authed)).toEqual([
      {
        action: 'subscribe',
        bars: ['SPY'],
        updatedBars: ['SPY'],
        trades: ['AAPL'],
        quotes: ['SPY'],
        statuses: ['AAPL', 'SPY'],
      },
    ]);
    expect(kinds(authed)).toContain('send');
    expect(authed.some((e) => e.kind === 'problem' && /1s BARS/.test(e.message))).toBe(false);
    const acked = core.received(msg({ T: 'subscription', trades: ['AAPL'], bars: ['SPY'] }), false);
    expect(kinds(acked)).toEqual(['ready']);
    expect(core.acknowledged).toEqual({ trades: ['AAPL'], bars: ['SPY'] });
  });

  it('is ready at once when nothing is followed', () => {
    const core = new AlpacaCore({ key: 'K', secret: 'S', codec: 'json', sink: new CollectingSink() });
    core.received(msg({ T: 'success', msg: 'connected' }), false);
    expect(kinds(core.received(msg({ T: 'success', msg: 'authenticated' }), false))).toEqual(['ready']);
  });

  it('sends only the difference once subscribed, unsubscribing first', () => {
    const core = new AlpacaCore({
      key: 'K',
      secret: 'S',
      codec: 'json',
      sink: new CollectingSink(),
      statuses: false,
    });
    core.update(SUBS);
    core.received(msg({ T: 'success', msg: 'connected' }), false);
    core.received(msg({ T: 'success', msg: 'authenticated' }), false);
    const next = core.update([
      { symbol: 'SPY', baseInterval: '1m', channels: { bars: true, trades: false, quotes: false } },
      { symbol: 'MSFT', baseInterval: '1m', channels: { bars: true, trades: false, quotes: false } },
    ]);
    expect(texts(next)).toEqual([
      { action: 'unsubscribe', trades: ['AAPL'], quotes: ['SPY'] },
      { action: 'subscribe', bars: ['MSFT'], updatedBars: ['MSFT'] },
    ]);
    expect(core.update([...SUBS].slice(0, 0))).toHaveLength(1);
  });

  it('reports a 1s BARS symbol once: Alpaca streams minute bars only', () => {
    const core = new AlpacaCore({ key: 'K', secret: 'S', codec: 'json', sink: new CollectingSink() });
    core.update([
      { symbol: 'AAPL', baseInterval: '1s', channels: { bars: true, trades: false, quotes: false } },
    ]);
    core.received(msg({ T: 'success', msg: 'connected' }), false);
    const effects = core.received(msg({ T: 'success', msg: 'authenticated' }), false);
    expect(effects.filter((e) => e.kind === 'problem')).toHaveLength(1);
    expect(
      core
        .received(msg({ T: 'subscription', statuses: ['AAPL'] }), false)
        .filter((e) => e.kind === 'problem'),
    ).toEqual([]);
  });

  it('speaks MessagePack both ways when asked', () => {
    const core = new AlpacaCore({ key: 'K', secret: 'S', codec: 'msgpack', sink: new CollectingSink() });
    expect(core.headers).toEqual({ 'Content-Type': 'application/msgpack' });
    const effects = core.received(encode([{ T: 'success', msg: 'connected' }]), true);
    const frame = (effects[0] as { frame: OutgoingFrame }).frame;
    expect(frame.binary).toBe(true);
    expect(decode(frame.data as Uint8Array)).toEqual({ action: 'auth', key: 'K', secret: 'S' });
  });

  it('hands data to the sink in arrival order, by kind', () => {
    const sink = new CollectingSink();
    const core = new AlpacaCore({ key: 'K', secret: 'S', codec: 'json', sink });
    expect(core.received(JSON.stringify(DOC_EXAMPLES), false)).toEqual([]);
    expect(sink.tradeList).toHaveLength(1);
    expect(sink.barsByKind.STREAMED).toHaveLength(1);
    expect(sink.barsByKind.UPDATED).toHaveLength(1);
    expect(sink.correctionList).toHaveLength(1);
    expect(sink.cancelList).toHaveLength(1);
    expect(sink.quoteList).toHaveLength(1);
    expect(sink.statusList).toHaveLength(1);
  });

  it.each([
    [400, 'PROBLEM'],
    [401, 'RECONNECT'],
    [402, 'STOP'],
    [403, null],
    [404, 'RECONNECT'],
    [405, 'PROBLEM'],
    [406, 'RECONNECT'],
    [407, 'RECONNECT'],
    [409, 'STOP'],
    [410, 'PROBLEM'],
    [500, 'RECONNECT'],
    [499, 'PROBLEM'],
  ])('error %i before the feed is up → %s', (code, action) => {
    const core = new AlpacaCore({ key: 'K', secret: 'S', codec: 'json', sink: new CollectingSink() });
    core.received(msg({ T: 'success', msg: 'connected' }), false);
    const effects = core.received(
      msg({ T: 'error', code, msg: ALPACA_ERRORS[code]?.message ?? 'what' }),
      false,
    );
    expect(effects.map((e) => e.kind.toUpperCase())).toEqual(action ? [action] : []);
    for (const effect of effects) {
      const text = 'reason' in effect ? effect.reason : 'message' in effect ? effect.message : '';
      expect(text).toContain(`Alpaca error ${code}`);
      expect(text).not.toContain('S"');
    }
  });

  it('treats 409 after the feed is up as a refused channel, not a refused feed', () => {
    const core = new AlpacaCore({ key: 'K', secret: 'S', codec: 'json', sink: new CollectingSink() });
    core.received(msg({ T: 'success', msg: 'connected' }), false);
    core.received(msg({ T: 'success', msg: 'authenticated' }), false);
    const effects = core.received(msg({ T: 'error', code: 409, msg: 'insufficient subscription' }), false);
    expect(kinds(effects)).toEqual(['problem']);
  });

  it('turns malformed messages into problems and keeps going', () => {
    const core = new AlpacaCore({ key: 'K', secret: 'S', codec: 'json', sink: new CollectingSink() });
    const effects = core.received('not json', false);
    expect(effects).toEqual([
      { kind: 'problem', message: 'malformed message: frame is not JSON: "not json"' },
    ]);
  });

  it('leaves empty lists out of subscription messages', () => {
    expect(alpacaSubscription('subscribe', { bars: [], trades: [] }, 'json')).toBeNull();
  });
});
