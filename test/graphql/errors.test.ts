/**
 * Bad input and abuse limits through yoga.fetch: each refusal is a clear GraphQL error with a
 * stable code, never a crash or a hang, and the good items of a batch are kept.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { barInput, createTestApi, type TestApi, useAppDatabase, yogaWithLimits } from '../helpers/app.ts';
import { ADMIN_TOKEN, gql } from '../helpers/gql.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { readSpy } from '../helpers/spy.ts';

const DATE = '2011-01-07';
const bars = readSpy()
  .get(DATE)!
  .filter((b) => b.ts >= Date.UTC(2011, 0, 7, 14, 30));
const leftovers = useLeftovers();
const database = useAppDatabase();
let api: TestApi;

afterAll(async () => {
  await api.dispose();
});

beforeAll(async () => {
  api = await createTestApi({ database: database(), notStored: [DATE] });
  await api.gql(`mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
  await api.gql(`mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { symbol } }`);
});

const codes = (r: { errors?: { extensions?: { code?: string } }[] }) =>
  r.errors?.map((e) => e.extensions?.code);

describe('admin access', () => {
  it('refuses mutations without the token or with a wrong one; queries stay open', async () => {
    const q = `mutation { advanceClock(to: "2011-01-07T14:00:00Z") { time } }`;
    const none = await api.gql(q, {}, null);
    expect(codes(none)).toEqual(['UNAUTHENTICATED']);
    expect(none.errors?.[0]?.message).toContain('Authorization: Bearer');
    expect(codes(await api.gql(q, {}, 'wrong'))).toEqual(['FORBIDDEN']);
    const notBearer = await api.yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query: q }),
    });
    expect(codes((await notBearer.json()) as never)).toEqual(['FORBIDDEN']);
    expect((await api.gql(`{ session { date } }`, {}, null)).data).toEqual({ session: { date: DATE } });
    for (const m of [
      `mutation { startSession(date: "${DATE}") { date } }`,
      'mutation { endSession { date } }',
      'mutation { loadSymbol(input: { symbol: "X" }) { symbol } }',
      'mutation { removeSymbol(symbol: "SPY") }',
      'mutation { ingestBars(bars: []) { accepted } }',
      'mutation { ingestQuotes(quotes: []) { accepted } }',
      'mutation { ingestTicks(ticks: []) { accepted } }',
    ]) {
      expect(codes(await api.gql(m, {}, null)), m).toEqual(['UNAUTHENTICATED']);
    }
    expect(api.session.symbol('SPY')).toBeDefined();
  });
});

describe('ingest validation', () => {
  it('keeps the good bars of a batch and refuses each bad one with its code', async () => {
    const good = barInput('SPY', bars[0]!);
    const r = await api.gql<{
      ingestBars: { accepted: number; rejected: { index: number; code: string; message: string }[] };
    }>(
      `mutation($bars: [BarInput!]!) { ingestBars(bars: $bars) { accepted rejected { index code message } } }`,
      {
        bars: [
          good,
          { ...good, symbol: 'AAPL' },
          { ...good, symbol: '$$$' },
          { ...good, ts: '2011-01-07T14:30:30Z' },
          { ...good, ts: '2011-01-07T12:00:00Z' },
          { ...good, low: (good['high'] as number) + 1 },
          { ...good, volume: -5 },
          { ...good, ts: '2011-01-07 14:31' },
          { ...good, ts: '2011-02-30T14:31:00Z' },
          barInput('SPY', bars[1]!),
        ],
      },
    );
    expect(r.data?.ingestBars.accepted).toBe(2);
    expect(r.data?.ingestBars.rejected.map((x) => [x.index, x.code])).toEqual([
      [1, 'NOT_LOADED'],
      [2, 'INVALID_SYMBOL'],
      [3, 'MISALIGNED'],
      [4, 'OUTSIDE_SESSION'],
      [5, 'INVALID_OHLC'],
      [6, 'INVALID_NUMBER'],
      [7, 'INVALID_TIMESTAMP'],
      [8, 'INVALID_TIMESTAMP'],
    ]);
    for (const x of r.data!.ingestBars.rejected) expect(x.message.length).toBeGreaterThan(10);
    expect(api.session.symbol('SPY')!.interval('1m')!.size).toBe(2);
  });

  it('fails the whole request for a value of the wrong type (GraphQL coercion)', async () => {
    const r = await api.gql(`mutation($bars: [BarInput!]!) { ingestBars(bars: $bars) { accepted } }`, {
      bars: [{ ...barInput('SPY', bars[2]!), open: 'abc' }],
    });
    expect(r.errors?.[0]?.message).toContain('Float');
    expect(r.data).toBeUndefined();
  });

  it('refuses a variable of the wrong type as BAD_USER_INPUT (HTTP 400), naming the item and field', async () => {
    const post = async (query: string, variables: Record<string, unknown>, accept?: string) => {
      const response = await api.yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(accept ? { accept } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as {
        errors?: { message: string; extensions?: { code?: string } }[];
      };
      return { status: response.status, errors: body.errors ?? [] };
    };
    const ingest = `mutation($bars: [BarInput!]!) { ingestBars(bars: $bars) { accepted } }`;
    const good = barInput('SPY', bars[3]!);
    // A mutation (graphql-js): a value of the wrong type, and a missing field, in the third item.
    const wrong = await post(ingest, { bars: [good, good, { ...good, open: 'x' }] });
    expect(wrong.status).toBe(400);
    expect(wrong.errors.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(wrong.errors[0]!.message).toContain('"bars[2].open"');
    const { volume: _volume, ...incomplete } = good;
    const missing = await post(ingest, { bars: [good, good, incomplete] });
    expect([missing.status, missing.errors.map((e) => e.extensions?.code)]).toEqual([
      400,
      ['BAD_USER_INPUT'],
    ]);
    expect(missing.errors[0]!.message).toMatch(/"bars\[2\]".*"volume"/);
    // A query (graphql-jit), with both JSON media types.
    const quotes = `query($n: Int!) { symbol(symbol: "SPY") { quotes(last: $n) { ts } } }`;
    for (const accept of [undefined, 'application/graphql-response+json']) {
      const r = await post(quotes, { n: 'many' }, accept);
      expect([accept, r.status, r.errors.map((e) => e.extensions?.code)]).toEqual([
        accept,
        400,
        ['BAD_USER_INPUT'],
      ]);
      expect(r.errors[0]!.message).toContain('"$n"');
    }
    const absent = await post(quotes, {});
    expect([absent.status, absent.errors.map((e) => e.extensions?.code)]).toEqual([400, ['BAD_USER_INPUT']]);
  });

  it('refuses a batch above 10,000 items as BATCH_TOO_LARGE', async () => {
    const item = barInput('SPY', bars[3]!);
    const r = await api.gql(`mutation($bars: [BarInput!]!) { ingestBars(bars: $bars) { accepted } }`, {
      bars: Array.from({ length: 10_001 }, () => item),
    });
    expect(codes(r)).toEqual(['BATCH_TOO_LARGE']);
    const ok = await api.gql<{ ingestBars: { accepted: number } }>(
      `mutation($bars: [BarInput!]!) { ingestBars(bars: $bars) { accepted } }`,
      { bars: Array.from({ length: 10_000 }, () => item) },
    );
    expect(ok.data?.ingestBars.accepted).toBe(10_000);
  });
});

describe('service errors', () => {
  it('carries the service codes', async () => {
    expect(codes(await api.gql(`mutation { startSession(date: "2011-01-17") { date } }`))).toEqual([
      'NOT_TRADING_DAY',
    ]);
    expect(codes(await api.gql(`mutation { advanceClock(to: "2011-01-07T10:00:00Z") { time } }`))).toEqual([
      'CLOCK_BACKWARDS',
    ]);
    expect(codes(await api.gql(`mutation { advanceClock(to: "soon") { time } }`))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(
      codes(
        await api.gql(
          `mutation { loadSymbol(input: { symbol: "QQQ", derivedIntervals: ["90s"] }) { symbol } }`,
        ),
      ),
    ).toEqual(['INVALID_INTERVAL']);
    expect(
      codes(
        await api.gql(
          `mutation { loadSymbol(input: { symbol: "QQQ", indicators: ["rsi_14d"] }) { symbol } }`,
        ),
      ),
    ).toEqual(['INVALID_INDICATOR']);
    expect(
      codes(
        await api.gql(`mutation { loadSymbol(input: { symbol: "QQQ", historicalDays: -1 }) { symbol } }`),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(codes(await api.gql(`{ symbol(symbol: "not a symbol") { symbol } }`))).toEqual(['BAD_USER_INPUT']);
    expect(
      codes(await api.gql(`{ symbol(symbol: "SPY") { historical { indicator(name: "rsi") { value } } } }`)),
    ).toEqual(['INVALID_INDICATOR']);
  });

  it('answers replay control outside a replay', async () => {
    expect(codes(await api.gql('mutation { pauseReplay { date } }'))).toEqual(['NO_REPLAY']);
    expect(codes(await api.gql('mutation { resumeReplay { date } }', {}, null))).toEqual(['UNAUTHENTICATED']);
    expect((await api.gql('{ session { replay { speed paused } } }')).data).toEqual({
      session: { replay: null },
    });
  });

  it('masks unexpected errors', async () => {
    const failing = vi
      .spyOn(api.service, 'removeSymbol')
      .mockRejectedValue(new Error('connection to postgres://user:secret@db failed'));
    leftovers.defer(() => failing.mockRestore());
    const r = await api.gql(`mutation { removeSymbol(symbol: "SPY") }`);
    expect(r.errors?.[0]?.message).toBe('Unexpected error.');
    expect(codes(r)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(JSON.stringify(r)).not.toContain('secret');
  });
});

describe('abuse limits', () => {
  it('refuses too deep, too many aliases, too many tokens and too many directives', async () => {
    const deep = await api.gql(
      `{ session { symbols { historical { interval(name: "1m") { bars { edges { node { ts } } pageInfo { startCursor } } } } } } }`,
    );
    expect(deep.errors).toBeUndefined();
    const shallow = leftovers.keep(yogaWithLimits(api.app, { maxDepth: 5 }), (yoga) => yoga.dispose());
    const depth6 = await gql(shallow, `{ session { symbols { intervals { bars { nodes { ts } } } } } }`);
    expect(codes(depth6)).toEqual(['DEPTH_LIMIT']);
    expect(depth6.errors?.[0]?.message).toContain('depth limit of 5');
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: session { date }`).join(' ');
    expect(codes(await api.gql(`{ ${aliases} }`))).toEqual(['ALIAS_LIMIT']);
    const tokens = Array.from({ length: 2_100 }, () => 'date').join(' ');
    expect(codes(await api.gql(`{ session { ${tokens} } }`))).toEqual(['TOKEN_LIMIT']);
    const directives = Array.from({ length: 11 }, () => '@include(if: true)').join(' ');
    expect(codes(await api.gql(`{ session ${directives} { date } }`))).toEqual(['DIRECTIVE_LIMIT']);
  });

  it('refuses a body above the limit with 413', async () => {
    const response = await api.yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({
        query: '{ session { date } }',
        variables: { pad: 'x'.repeat(5 * 1024 * 1024) },
      }),
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('BODY_TOO_LARGE');
  });

  it('explains a page or read above its cap', async () => {
    const r = await api.gql(
      `{ symbol(symbol: "SPY") { interval(name: "1m") { bars(first: 20000) { totalCount } } } }`,
    );
    expect(codes(r)).toEqual(['PAGE_TOO_LARGE']);
    expect(r.errors?.[0]?.message).toContain('10000');
  });
});
