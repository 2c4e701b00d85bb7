/**
 * The Polygon/Massive stocks stream core without a socket: the documented event shapes
 * (https://massive.com/docs/websocket/stocks/*), the status flow and subscription diffs.
 */
import { describe, expect, it } from 'vitest';
import {
  resolveConditions,
  styleOfTape,
  UPDATES_HIGH_LOW,
  UPDATES_OPEN_CLOSE,
  UPDATES_VOLUME,
  updatesOf,
} from '../../../src/domain/trade-conditions.ts';
import { PolygonCore, PolygonDecoder, polygonParamsFor } from '../../../src/feed/live/polygon/protocol.ts';
import type { CoreEffect, OutgoingFrame } from '../../../src/feed/live/stream-core.ts';
import { CollectingSink } from './collecting-sink.ts';

const T0 = Date.UTC(2024, 2, 5, 14, 31);
const EVENTS = [
  {
    ev: 'AM',
    sym: 'GTE',
    v: 4110,
    av: 9470157,
    op: 0.4372,
    vw: 0.4488,
    o: 0.4488,
    c: 0.4486,
    h: 0.4489,
    l: 0.4486,
    a: 0.4352,
    z: 685,
    s: T0,
    e: T0 + 60_000,
  },
  {
    ev: 'A',
    sym: 'GTE',
    v: 10,
    av: 9470167,
    op: 0.4372,
    vw: 0.4488,
    o: 0.4488,
    c: 0.4488,
    h: 0.4488,
    l: 0.4488,
    a: 0.4352,
    z: 10,
    s: T0 + 1_234,
    e: T0 + 2_000,
  },
  { ev: 'T', sym: 'MSFT', x: 4, i: '12345', z: 3, p: 114.125, s: 100, c: [0, 12], t: T0 + 5_123, q: 1 },
  {
    ev: 'Q',
    sym: 'MSFT',
    bx: 4,
    bp: 114.125,
    bs: 100,
    ax: 7,
    ap: 114.128,
    as: 160,
    c: 0,
    i: [604],
    t: T0 + 5_200,
    q: 50385480,
    z: 3,
  },
  { ev: 'LULD', T: 'MSFT', h: 1, l: 1 },
];

describe('PolygonDecoder', () => {
  it('decodes aggregates, trades and quotes as documented', () => {
    const frame = new PolygonDecoder().decode(JSON.stringify(EVENTS));
    expect(frame.minuteBars).toEqual([
      {
        symbol: 'GTE',
        ts: T0,
        open: 0.4488,
        high: 0.4489,
        low: 0.4486,
        close: 0.4486,
        volume: 4110,
        vwap: 0.4488,
        tradeCount: null,
      },
    ]);
    expect(frame.secondBars[0]).toMatchObject({ ts: T0 + 1_000, volume: 10 });
    expect(frame.trades).toEqual([
      {
        symbol: 'MSFT',
        ts: T0 + 5_123,
        price: 114.125,
        size: 100,
        id: '12345',
        exchange: '4',
        conditions: ['0', '12'],
        tape: '3',
      },
    ]);
    expect(frame.quotes).toEqual([
      { symbol: 'MSFT', ts: T0 + 5_200, bid: 114.125, bidSize: 100, ask: 114.128, askSize: 160 },
    ]);
    expect(frame.other).toBe(1);
    expect(frame.malformed).toEqual([]);
  });

  it('keeps good events and names what is wrong with the others', () => {
    const frame = new PolygonDecoder().decode(
      JSON.stringify([{ ev: 'T', sym: 'MSFT', p: 'x', s: 1, t: T0 }, { sym: 'X' }, 7, EVENTS[2]]),
    );
    expect(frame.trades).toHaveLength(1);
    expect(frame.malformed).toEqual([
      'a trade needs sym, p, s and t (ev=T MSFT)',
      'an event needs a type ev',
      'an event is not an object',
    ]);
    expect(new PolygonDecoder().decode('[{"ev":').malformed[0]).toMatch(/frame is not JSON/);
  });

  it("single-digit condition ids reach the rule table as Polygon ids: the tape stays Polygon's 1/2/3", () => {
    const ALL = UPDATES_OPEN_CLOSE | UPDATES_HIGH_LOW | UPDATES_VOLUME;
    // Polygon 2 average price (volume only), 4 bunched trade (all), 7 cash sale (volume only),
    // 9 cross trade (all); read as CTA/UTP digits, 4 would be derivatively priced and 9 a corrected
    // consolidated close.
    const expected: Record<string, number> = { '2': UPDATES_VOLUME, '4': ALL, '7': UPDATES_VOLUME, '9': ALL };
    for (const z of [1, 2, 3]) {
      for (const id of [2, 4, 7, 9]) {
        const event = { ev: 'T', sym: 'MSFT', i: '1', x: 4, p: 100, s: 10, c: [id], t: T0, z };
        const [trade] = new PolygonDecoder().decode(JSON.stringify([event])).trades;
        expect(trade).toMatchObject({ conditions: [String(id)], tape: String(z) });
        expect(styleOfTape(trade!.tape)).toBe('POLYGON');
        const resolved = resolveConditions(trade!.conditions, trade!.tape);
        expect(updatesOf(resolved, false), `id ${id} on tape ${z}`).toBe(expected[String(id)]);
      }
    }
  });

  it('shares one condition list per distinct list', () => {
    const decoder = new PolygonDecoder();
    const a = decoder.decode(JSON.stringify([EVENTS[2]])).trades[0]!;
    const b = decoder.decode(JSON.stringify([EVENTS[2]])).trades[0]!;
    expect(b.conditions).toBe(a.conditions);
  });
});

const sent = (effects: readonly CoreEffect[]) =>
  effects.flatMap((e) => (e.kind === 'send' ? [JSON.parse(e.frame.data as string)] : []));
const texts = (frames: readonly OutgoingFrame[]) => frames.map((f) => JSON.parse(f.data as string));
const status = (status: string, message = '') => JSON.stringify([{ ev: 'status', status, message }]);

describe('PolygonCore', () => {
  const subs = [
    { symbol: 'SPY', baseInterval: '1m', channels: { bars: true, trades: false, quotes: true } },
    { symbol: 'AAPL', baseInterval: '1s', channels: { bars: true, trades: true, quotes: false } },
  ];

  it('maps channels to AM/A/T/Q parameters', () => {
    expect([...polygonParamsFor(subs)]).toEqual(['AM.SPY', 'Q.SPY', 'A.AAPL', 'T.AAPL']);
  });

  it('authenticates on the greeting, subscribes on auth_success and is ready on the first success', () => {
    const core = new PolygonCore({ key: 'PKEY', sink: new CollectingSink() });
    core.update(subs);
    expect(sent(core.received(status('connected', 'Connected Successfully'), false))).toEqual([
      { action: 'auth', params: 'PKEY' },
    ]);
    const authed = core.received(status('auth_success', 'authenticated'), false);
    expect(sent(authed)).toEqual([{ action: 'subscribe', params: 'A.AAPL,AM.SPY,Q.SPY,T.AAPL' }]);
    expect(authed.map((e) => e.kind)).toEqual(['send']);
    expect(core.received(status('success', 'subscribed to: A.AAPL'), false).map((e) => e.kind)).toEqual([
      'ready',
    ]);
    expect(texts(core.update([subs[0]!]))).toEqual([{ action: 'unsubscribe', params: 'A.AAPL,T.AAPL' }]);
  });

  it('stops on auth_failed, reconnects on max_connections, reports errors', () => {
    const core = new PolygonCore({ key: 'PKEY', sink: new CollectingSink() });
    core.received(status('connected'), false);
    const failed = core.received(status('auth_failed', 'authentication failed'), false);
    expect(failed).toEqual([
      {
        kind: 'stop',
        code: 'auth_failed',
        reason:
          'Polygon status auth_failed: authentication failed (check POLYGON_API_KEY and that the plan includes WebSocket access)',
      },
    ]);
    expect(
      core.received(status('max_connections', 'Maximum number of websocket connections exceeded.'), false)[0]
        ?.kind,
    ).toBe('reconnect');
    expect(core.received(status('error', 'bad'), false)).toEqual([
      { kind: 'problem', message: 'Polygon status error: bad', code: 'error' },
    ]);
  });

  it('hands data to the sink', () => {
    const sink = new CollectingSink();
    const core = new PolygonCore({ key: 'K', sink });
    expect(core.received(Buffer.from(JSON.stringify(EVENTS)), false)).toEqual([]);
    expect(sink.barsByKind.STREAMED).toHaveLength(2);
    expect(sink.tradeList).toHaveLength(1);
    expect(sink.quoteList).toHaveLength(1);
  });
});
