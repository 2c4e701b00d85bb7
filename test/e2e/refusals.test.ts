/**
 * Issue 13's reproductions, over a real port: every refusal is a coded answer with the documented
 * HTTP status, nothing internal leaks, a refused subscription leaves no subscriber, and over
 * WebSocket one refused operation is an error for its id while the socket's other subscriptions
 * go on. The random counterpart is test/fuzz/.
 */
import { type Client, createClient as createWsClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type HttpService, listen } from '../../src/http/listen.ts';
import { barInput, createTestApi, type TestApi } from '../helpers/app.ts';
import { ADMIN_TOKEN } from '../helpers/gql.ts';
import { readSpy } from '../helpers/spy.ts';

const DATE = '2011-01-11';
const bars = readSpy()
  .get(DATE)!
  .filter((b) => b.ts >= Date.UTC(2011, 0, 11, 14, 30));

let api: TestApi;
let http: HttpService;
let url: string;

beforeAll(async () => {
  api = await createTestApi({ notStored: [DATE] });
  http = await listen({ yoga: api.yoga, session: api.session, host: '127.0.0.1', port: 0 });
  url = `${http.url}/graphql`;
  await api.gql(`mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
  await api.gql(`mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { symbol } }`);
});

afterAll(async () => {
  await http.close();
  await api.dispose();
});

interface Answer {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  readonly codes: string[];
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let codes: string[] = [];
  try {
    const body = JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
    codes = (body.errors ?? []).map((e) => e.extensions?.code ?? '(none)');
  } catch {
    codes = ['(not JSON)'];
  }
  return { status: response.status, contentType: response.headers.get('content-type'), text, codes };
}

const post = async (body: string, headers: Record<string, string> = {}, path = url) =>
  answer(
    await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }),
  );

describe('HTTP', () => {
  it('1: a subscription POSTed as plain JSON is 406 NOT_ACCEPTABLE and leaves no subscriber', async () => {
    const before = api.yoga.pubsub.subscribers;
    for (let i = 0; i < 20; i++) {
      const r = await post(JSON.stringify({ query: 'subscription { sessionEvents { kind } }' }), {
        accept: 'application/json',
      });
      expect([r.status, r.codes]).toEqual([406, ['NOT_ACCEPTABLE']]);
    }
    const get = await answer(
      await fetch(`${url}?query=${encodeURIComponent('subscription { barUpdates { kind } }')}`, {
        headers: { accept: 'application/graphql-response+json' },
      }),
    );
    expect([get.status, get.codes]).toEqual([406, ['NOT_ACCEPTABLE']]);
    expect(api.yoga.pubsub.subscribers).toBe(before);
  });

  it('2: malformed variables JSON on a GET is 400 BAD_REQUEST naming the parameter', async () => {
    for (const [name, value] of [
      ['variables', '{bad'],
      ['extensions', '[1,'],
    ] as const) {
      const r = await answer(
        await fetch(`${url}?query=%7Bsession%7Bdate%7D%7D&${name}=${encodeURIComponent(value)}`),
      );
      expect([r.status, r.codes]).toEqual([400, ['BAD_REQUEST']]);
      expect(r.text).toContain(`the ${name} parameter is not valid JSON`);
    }
  });

  it('3: a list literal nested 3,000 deep is DEPTH_LIMIT, not a stack overflow', async () => {
    const query = `{ session { symbols(symbols: ${'['.repeat(3_000)}${']'.repeat(3_000)}) { symbol } } }`;
    for (const [accept, status] of [
      ['application/graphql-response+json', 400],
      ['application/json', 200],
    ] as const) {
      const r = await post(JSON.stringify({ query }), { accept });
      expect([r.status, r.codes]).toEqual([status, ['DEPTH_LIMIT']]);
    }
    // Within the token limit but deeper than 32: the same code, before the parser recurses.
    const shallow = `{ session { symbols(symbols: ${'['.repeat(40)}"SPY"${']'.repeat(40)}) { symbol } } }`;
    expect((await post(JSON.stringify({ query: shallow }))).codes).toEqual(['DEPTH_LIMIT']);
  });

  it('4: variables nested 500,000 deep are 400 BAD_USER_INPUT', async () => {
    const query = 'query($v: [String!]) { session { symbols(symbols: $v) { symbol } } }';
    const body = `{"query":${JSON.stringify(query)},"variables":{"v":${'['.repeat(500_000)}${']'.repeat(500_000)}}}`;
    const r = await post(body, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect([r.status, r.codes]).toEqual([400, ['BAD_USER_INPUT']]);
    const mutation = 'mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted } }';
    const deep = `{"query":${JSON.stringify(mutation)},"variables":{"b":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const m = await post(deep, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect([m.status, m.codes]).toEqual([400, ['BAD_USER_INPUT']]);
  });

  it('7: wrong media types, accept headers and unknown SSE streams are coded JSON answers', async () => {
    const query = JSON.stringify({ query: '{ session { date } }' });
    for (const type of ['text/plain', 'application/xml', '*/*', null]) {
      const r = await answer(
        await fetch(url, {
          method: 'POST',
          body: query,
          headers: type === null ? {} : { 'content-type': type },
        }),
      );
      expect([type, r.status, r.codes]).toEqual([type, 415, ['UNSUPPORTED_MEDIA_TYPE']]);
      expect(r.contentType).toBe('application/json; charset=utf-8');
    }
    const xml = await post(query, { accept: 'text/xml' });
    expect([xml.status, xml.codes]).toEqual([406, ['NOT_ACCEPTABLE']]);
    const stream = await post(query, {}, `${url}?token=nope`);
    expect([stream.status, stream.codes]).toEqual([404, ['NOT_FOUND']]);
    const patch = await answer(await fetch(url, { method: 'PATCH' }));
    expect([patch.status, patch.codes]).toEqual([405, ['METHOD_NOT_ALLOWED']]);
    const mutationByGet = await answer(
      await fetch(`${url}?query=${encodeURIComponent('mutation { endSession { date } }')}`),
    );
    expect([mutationByGet.status, mutationByGet.codes]).toEqual([405, ['METHOD_NOT_ALLOWED']]);
  });

  it('8: an invalid JSON body is 400 BAD_REQUEST without the JavaScript error', async () => {
    for (const body of ['{"query":', '[1,', 'nope', '\u0000']) {
      const r = await post(body, { accept: 'application/json' });
      expect([r.status, r.codes]).toEqual([400, ['BAD_REQUEST']]);
      expect(r.text).not.toMatch(/originalError|SyntaxError|JSON at position|not valid JSON/);
    }
  });

  it('9: dates outside the supported calendar range are DATE_OUT_OF_RANGE, literal or variable', async () => {
    for (const date of ['1800-06-02', '1999-12-31', '2036-01-02', '2200-06-02', '9999-12-31']) {
      const literal = await api.gql(`mutation { startSession(date: "${date}", clockMode: MANUAL) { date } }`);
      expect([date, literal.errors?.map((e) => e.extensions?.code)]).toEqual([date, ['DATE_OUT_OF_RANGE']]);
      const variable = await post(
        JSON.stringify({
          query: 'query($d: Date!) { tradingDay(date: $d) { isTradingDay } }',
          variables: { d: date },
        }),
      );
      expect([variable.status, variable.codes]).toEqual([400, ['DATE_OUT_OF_RANGE']]);
      expect(variable.text).toContain('2000-01-01 to 2035-12-31');
    }
    const edge = await api.gql(
      '{ first: tradingDay(date: "2000-01-03") { isTradingDay } last: tradingDay(date: "2035-12-31") { isTradingDay } }',
    );
    expect(edge.data).toEqual({ first: { isTradingDay: true }, last: { isTradingDay: true } });
    expect(api.session.date).toBe(DATE);
  });
});

describe('WebSocket', () => {
  let ws: Client;
  beforeAll(() => {
    ws = createWsClient({
      url: url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
    });
  });
  afterAll(async () => {
    await ws.dispose();
  });

  const refusal = (query: string) =>
    new Promise<unknown>((resolve, reject) => {
      ws.subscribe(
        { query },
        {
          next: (value) => reject(new Error(`unexpected result ${JSON.stringify(value)}`)),
          error: resolve,
          complete: () => reject(new Error('completed')),
        },
      );
    });

  it('5, 6: a refused operation is an error for its id with its code; the socket and its subscriptions go on', async () => {
    const received: unknown[] = [];
    const stop = ws.subscribe(
      { query: 'subscription { barUpdates(symbols: ["SPY"], intervals: ["1m"]) { kind bar { ts } } }' },
      { next: (v) => received.push(v), error: () => undefined, complete: () => undefined },
    );
    const deep = `subscription { sessionEvents { ${'symbol { '.repeat(12)}x${' }'.repeat(12)} } }`;
    const cases: [string, string][] = [
      [deep, 'DEPTH_LIMIT'],
      [
        `{ session { symbols(symbols: ${'['.repeat(3_000)}${']'.repeat(3_000)}) { symbol } } }`,
        'DEPTH_LIMIT',
      ],
      ['subscription { barUpdates(', 'GRAPHQL_PARSE_FAILED'],
      ['subscription { nope }', 'GRAPHQL_VALIDATION_FAILED'],
      ['query A { session { date } } query B { session { date } }', 'OPERATION_RESOLUTION_FAILURE'],
      ['{ tradingDay(date: "1800-06-02") { isTradingDay } }', 'DATE_OUT_OF_RANGE'],
    ];
    for (const [query, code] of cases) {
      const errors = (await refusal(query)) as { message: string; extensions?: Record<string, unknown> }[];
      expect([query.slice(0, 40), errors.map((e) => e.extensions)]).toEqual([query.slice(0, 40), [{ code }]]);
    }
    const bar = bars[0]!;
    const ingested = await api.gql('mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted } }', {
      b: [barInput('SPY', bar)],
    });
    expect(ingested.data).toEqual({ ingestBars: { accepted: 1 } });
    await expect.poll(() => received.length).toBeGreaterThan(0);
    stop();
  });
});
