import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, RecordFormatError } from '../../../src/service/replication/codec.ts';
import { type Command, commandProblem, type LogRecord } from '../../../src/service/replication/commands.ts';

const bar = {
  symbol: 'SPY',
  ts: 1_700_000_000_000,
  open: 1,
  high: 2,
  low: 0.5,
  close: 1.5,
  volume: 10,
  vwap: null,
  tradeCount: 3,
};
const quotes = { items: [{ ts: 1, bid: 1, bidSize: 2, ask: 1.1, askSize: 3 }], count: 4, next: 4 };
const ticks = { items: [{ ts: 1, price: 1, size: 2 }], count: 1, next: 1 };
const settings = {
  symbol: 'SPY',
  baseInterval: '1m',
  derivedIntervals: ['5m'],
  historicalDays: 2,
  extendedHours: false,
  indicators: [],
  source: 'BARS' as const,
  feed: 'api',
};

/** One record of every kind. */
const EVERY_KIND: readonly Command[] = [
  { kind: 'startSession', date: '2024-03-01', mode: 'REPLAY', replaySpeed: 600 },
  { kind: 'restoreSession' },
  { kind: 'endSession' },
  { kind: 'advanceClock', to: 1_709_300_000_000 },
  { kind: 'clockTick', at: 1_709_300_000_500 },
  { kind: 'replayControl', action: 'pause' },
  { kind: 'replayBars', bars: [{ ...bar, revision: 2 }], remaining: 5 },
  { kind: 'replayFinished' },
  { kind: 'loadSymbol', settings: { symbol: 'spy', derivedIntervals: ['5m', '1h'], extendedHours: true } },
  { kind: 'removeSymbol', symbol: 'SPY' },
  { kind: 'ingestBars', bars: [bar, { ...bar, ts: bar.ts + 60_000, vwap: 1.2, tradeCount: null }] },
  { kind: 'ingestQuotes', quotes: [{ symbol: 'SPY', ts: 5, bid: 1, bidSize: 1, ask: 2, askSize: 1 }] },
  { kind: 'ingestTicks', ticks: [{ symbol: 'SPY', ts: 5, price: 1, size: 1 }] },
  {
    kind: 'ingestTicks',
    ticks: [
      { symbol: 'SPY', ts: 6, price: 1, size: 1, id: '7', exchange: 'Q', conditions: ['@', 'I'], tape: 'C' },
      { symbol: 'SPY', ts: 7, price: 1, size: 1, id: '8', replaces: '7' },
      { symbol: 'SPY', ts: 7, price: 1, size: 1, cancels: '8' },
    ],
  },
  {
    kind: 'ingestTrades',
    trades: [
      { symbol: 'SPY', ts: 5, price: 1, size: 1, id: '12', exchange: 'V', conditions: ['@', 'T'], tape: 'A' },
    ],
  },
  { kind: 'reportFeedStatus', feed: 'alpaca', status: 'DOWN', at: 7, reason: 'socket closed' },
  {
    kind: 'storeData',
    request: 'r1',
    state: { date: '2024-03-01', clockMode: 'MANUAL', active: true, clock: 9, replaySpeed: null },
    symbols: [{ settings, today: [{ ...bar, symbol: undefined, revision: 1 } as never], quotes, ticks }],
  },
  { kind: 'leaseTaken', replica: 'b' },
];

function wrap(command: Command, lease: number | null = null): LogRecord {
  return { id: `id-${command.kind}`, replica: 'a', at: 1_709_300_000_000, lease, command };
}

describe('the record codec', () => {
  it.each(EVERY_KIND.map((c) => [c.kind, c] as const))('round-trips %s exactly', (_kind, command) => {
    const clean = JSON.parse(JSON.stringify(command)) as Command;
    const record = wrap(clean, 7);
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
  });

  it('keeps NaN and infinities, so every replica refuses the same bad number', () => {
    const record = wrap({
      kind: 'ingestBars',
      bars: [{ ...bar, open: Number.NaN, high: Number.POSITIVE_INFINITY }],
    });
    const back = decodeRecord(encodeRecord(record));
    expect(back.command.kind === 'ingestBars' && back.command.bars[0]!.open).toBeNaN();
    expect(back.command.kind === 'ingestBars' && back.command.bars[0]!.high).toBe(Number.POSITIVE_INFINITY);
  });

  it('sends bulk lists as rows: an ingest of 1,000 bars is under 60 bytes a bar', () => {
    const bars = Array.from({ length: 1000 }, (_, i) => ({
      ...bar,
      ts: bar.ts + i * 60_000,
      close: 1 + i / 1000,
    }));
    const bytes = encodeRecord(wrap({ kind: 'ingestBars', bars }));
    expect(bytes.byteLength / 1000).toBeLessThan(60);
    expect(decodeRecord(bytes).command).toEqual({ kind: 'ingestBars', bars });
  });

  it('refuses what is not a record of this version and shape', () => {
    expect(() => decodeRecord(new Uint8Array([0xc1]))).toThrow(RecordFormatError);
    expect(() => decodeRecord(encode([2, 'id', 'a', 1, null, { kind: 'endSession' }]))).toThrow(/version 2/);
    expect(() => decodeRecord(encode([1, 'id', 'a', 1, null, { kind: 'explode' }]))).toThrow(
      /unknown command kind/,
    );
    expect(() => decodeRecord(encode([1, 'id', 'a', 'x', null, { kind: 'endSession' }]))).toThrow(
      /record.at/,
    );
    expect(() =>
      decodeRecord(encode([1, 'id', 'a', 1, null, { kind: 'ingestBars', bars: [['SPY', 1]] }])),
    ).toThrow(/row of 9/);
  });
});

describe('the shape check', () => {
  it('accepts every kind', () => {
    for (const command of EVERY_KIND) {
      expect(commandProblem(JSON.parse(JSON.stringify(command))), command.kind).toBeNull();
    }
  });

  it.each([
    [
      { kind: 'startSession', date: '1 March', mode: 'LIVE', replaySpeed: null },
      'startSession.date must be a YYYY-MM-DD date',
    ],
    [
      { kind: 'startSession', date: '2024-03-01', mode: 'FAST', replaySpeed: null },
      'startSession.mode must be one of LIVE, REPLAY, MANUAL',
    ],
    [{ kind: 'advanceClock', to: '10:00' }, 'advanceClock.to must be a number'],
    [{ kind: 'ingestBars', bars: [{ ...bar, volume: '10' }] }, 'ingestBars.bars[0].volume must be a number'],
    [{ kind: 'ingestBars', bars: {} }, 'ingestBars.bars must be a list'],
    [
      { kind: 'loadSymbol', settings: { symbol: 'SPY', extendedHours: 'yes' } },
      'loadSymbol.settings.extendedHours must be a boolean',
    ],
    [{ kind: 'replayControl', action: 'rewind' }, 'replayControl.action must be one of pause, resume'],
    [
      { kind: 'reportFeedStatus', feed: 'x', status: 'UP', at: 1 },
      'reportFeedStatus.reason must be a string',
    ],
    [null, 'a command must be an object'],
  ])('refuses %j', (value, problem) => {
    expect(commandProblem(value)).toBe(problem);
  });
});
