/**
 * ingestBarRows (the BarRows scalar) is ingestBars item for item: the same answer (accepted,
 * rejections with their codes, indexes and messages) and the same tree for a batch mixing good
 * bars, a malformed ts, a misaligned bar, bad OHLC and an unloaded symbol; a row of the wrong
 * shape or type fails the request with BAD_USER_INPUT; the batch limit and admin access hold.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { exportSession } from '../../src/session/export.ts';
import { createTestApi, type TestApi, useAppDatabase } from '../helpers/app.ts';

const DATE = '2011-01-06';
const OPEN = Date.UTC(2011, 0, 6, 14, 30);
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

const OBJECTS = `mutation($bars: [BarInput!]!) { ingestBars(bars: $bars) { accepted rejected { index code message } } }`;
const ROWS = `mutation($rows: BarRows!) { ingestBarRows(rows: $rows) { accepted rejected { index code message } } }`;

type Row = [string, string, number, number, number, number, number, (number | null)?, (number | null)?];
const rows: Row[] = [
  ['SPY', iso(OPEN), 10, 11, 9, 10.5, 100],
  ['spy', iso(OPEN + MINUTE), 10.5, 12, 10, 11, 200, 10.9, 12],
  ['SPY', '14:32', 11, 12, 10, 11, 100],
  ['SPY', iso(OPEN + 2 * MINUTE + 5000), 11, 12, 10, 11, 100],
  ['SPY', iso(OPEN + 3 * MINUTE), 11, 10, 12, 11, 100, null, null],
  ['QQQ', iso(OPEN + 3 * MINUTE), 11, 12, 10, 11, 100],
  ['SPY', iso(OPEN + 4 * MINUTE), 11, 12, 10, 11.5, 0, null, 3],
];
const objects = rows.map(([symbol, ts, open, high, low, close, volume, vwap, tradeCount]) => ({
  symbol,
  ts,
  open,
  high,
  low,
  close,
  volume,
  ...(vwap === undefined ? {} : { vwap }),
  ...(tradeCount === undefined ? {} : { tradeCount }),
}));

const database = useAppDatabase();
const apis: TestApi[] = [];
afterEach(async () => {
  for (const api of apis.splice(0)) await api.dispose();
});

async function sessionApi(): Promise<TestApi> {
  const api = await createTestApi({ database: database(), notStored: [DATE] });
  apis.push(api);
  await api.gql(`mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
  await api.gql(`mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { loaded } }`);
  return api;
}

describe('ingestBarRows', () => {
  it('answers and applies exactly as ingestBars does, item for item', async () => {
    const byObjects = await sessionApi();
    const a = await byObjects.gql<{ ingestBars: unknown }>(OBJECTS, { bars: objects });
    const treeA = JSON.stringify(exportSession(byObjects.session).data);
    await byObjects.dispose();
    const byRows = await sessionApi();
    const b = await byRows.gql<{ ingestBarRows: unknown }>(ROWS, { rows });
    expect(b.errors).toBeUndefined();
    expect(b.data!.ingestBarRows).toEqual(a.data!.ingestBars);
    const codes = (b.data!.ingestBarRows as { rejected: { index: number; code: string }[] }).rejected;
    expect(codes.map((r) => [r.index, r.code])).toEqual([
      [2, 'INVALID_TIMESTAMP'],
      [3, 'MISALIGNED'],
      [4, 'INVALID_OHLC'],
      [5, 'NOT_LOADED'],
    ]);
    expect(JSON.stringify(exportSession(byRows.session).data)).toBe(treeA);
  });

  it.each([
    ['not a list', { a: 1 }],
    ['a short row', [['SPY', iso(OPEN), 1, 2, 0.5, 1]]],
    ['a string for a number', [['SPY', iso(OPEN), '1', 2, 0.5, 1, 10]]],
    ['a number for the symbol', [[7, iso(OPEN), 1, 2, 0.5, 1, 10]]],
    ['a fractional tradeCount', [['SPY', iso(OPEN), 1, 2, 0.5, 1, 10, null, 1.5]]],
    ['too long a row', [['SPY', iso(OPEN), 1, 2, 0.5, 1, 10, null, 1, 'x']]],
  ])('fails the request on %s (BAD_USER_INPUT), keeping nothing', async (_what, value) => {
    const api = await sessionApi();
    const result = await api.gql(ROWS, { rows: value });
    expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
    expect(api.session.symbol('SPY')!.day.base.series.latestSlot() ?? -1).toBe(-1);
  });

  it('keeps the batch limit and admin access of ingestBars', async () => {
    const api = await sessionApi();
    const many = Array.from({ length: 10_001 }, () => rows[0]!);
    const big = await api.gql(ROWS, { rows: many });
    expect(big.errors?.map((e) => e.extensions?.['code'])).toEqual(['BATCH_TOO_LARGE']);
    const anonymous = await api.gql(ROWS, { rows: [rows[0]] }, null);
    expect(anonymous.errors?.map((e) => e.extensions?.['code'])).toEqual(['UNAUTHENTICATED']);
    const literal = await api.gql(
      `mutation { ingestBarRows(rows: [["SPY", "${iso(OPEN)}", 10, 11, 9, 10.5, 100]]) { accepted } }`,
    );
    expect(literal.data).toEqual({ ingestBarRows: { accepted: 1 } });
  });
});
