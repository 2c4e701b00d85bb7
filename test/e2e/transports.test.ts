/**
 * Real clients over a real port (loopback): graphql-ws and graphql-sse (both modes) receive bar
 * events in order, a removed symbol's subscribers get SYMBOL_REMOVED, disconnects free their
 * listeners; graphql-http's server audits pass without error or warning; the plain routes answer.
 */

import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { serverAudits } from 'graphql-http';
import { createClient as createSseClient } from 'graphql-sse';
import { type Client, createClient as createWsClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { StoredBar } from '../../src/domain/types.ts';
import type { SessionYoga } from '../../src/graphql/yoga.ts';
import { type HttpService, listen } from '../../src/http/listen.ts';
import { barInput, createTestApi, type TestApi, useAppDatabase } from '../helpers/app.ts';
import { ADMIN_TOKEN, gql } from '../helpers/gql.ts';
import { readSpy } from '../helpers/spy.ts';
import { waitFor } from '../helpers/wait.ts';

const DATE = '2011-01-11';
const day = readSpy()
  .get(DATE)!
  .filter((b) => b.ts >= Date.UTC(2011, 0, 11, 14, 30));
const iso = (ms: number) => new Date(ms).toISOString();

const database = useAppDatabase();
let api: TestApi;
let http: HttpService;
let served: SessionYoga;
let baseline: { bar: number; session: number };

beforeAll(async () => {
  api = await createTestApi({ database: database(), notStored: [DATE] });
  served = api.yoga;
  http = await listen({
    yoga: api.yoga,
    session: api.session,
    host: '127.0.0.1',
    port: 0,
    metrics: api.app.metrics,
  });
  await api.gql(`mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
  await api.gql(`mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { symbol } }`);
  baseline = { bar: api.session.events.count('bar'), session: api.session.events.count('session') };
});

afterAll(async () => {
  await http.close();
  await api.dispose();
});

async function ingest(bars: readonly StoredBar[]): Promise<void> {
  const r = await gql(http.url, 'mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted } }', {
    b: bars.map((b) => barInput('SPY', b)),
  });
  expect(r.data).toEqual({ ingestBars: { accepted: bars.length } });
}

/** Collects a subscription's payloads. */
function collect(
  subscribe: (sink: {
    next: (v: unknown) => void;
    error: (e: unknown) => void;
    complete: () => void;
  }) => () => void,
) {
  const values: Record<string, unknown>[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const stop = subscribe({
    next: (v) => values.push(v as Record<string, unknown>),
    error: (e) => errors.push(e),
    complete: () => {
      completed = true;
    },
  });
  return { values, errors, stop, completed: () => completed };
}

describe('graphql-ws and graphql-sse clients', () => {
  let ws: Client;

  it('deliver bar events in order on every transport, and SYMBOL_REMOVED; leaving frees listeners', async () => {
    ws = createWsClient({
      url: `${http.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      lazy: false,
    });
    const sse = createSseClient({ url: `${http.url}/graphql` });
    const sseSingle = createSseClient({ url: `${http.url}/graphql`, singleConnection: true });
    const query = {
      query:
        'subscription { barUpdates(symbols: ["SPY"], intervals: ["1m"]) { symbol interval kind bar { ts close } } }',
    };
    const events = { query: 'subscription { sessionEvents(symbols: ["SPY"]) { kind symbol } }' };
    const subs = [
      collect((sink) => ws.subscribe(query, sink)),
      collect((sink) => sse.subscribe(query, sink)),
      collect((sink) => sseSingle.subscribe(query, sink)),
    ];
    const lifecycle = [
      collect((sink) => ws.subscribe(events, sink)),
      collect((sink) => sse.subscribe(events, sink)),
    ];
    await waitFor(() => served.pubsub.subscribers === 5, { what: 'five subscribers' });
    expect(api.session.events.count('bar')).toBe(baseline.bar + 1);
    expect(api.session.events.count('session')).toBe(baseline.session + 1);
    const bars = day.slice(0, 30);
    for (let i = 0; i < bars.length; i += 3) await ingest(bars.slice(i, i + 3));
    for (const sub of subs) await waitFor(() => sub.values.length === 30, { what: 'thirty bar events' });
    for (const sub of subs) {
      expect(sub.errors).toEqual([]);
      expect(
        sub.values.map((v) => (v['data'] as { barUpdates: { bar: { ts: string } } }).barUpdates.bar.ts),
      ).toEqual(bars.map((b) => iso(b.ts)));
      expect(sub.values[0]).toEqual({
        data: {
          barUpdates: {
            symbol: 'SPY',
            interval: '1m',
            kind: 'ADDED',
            bar: { ts: iso(bars[0]!.ts), close: bars[0]!.close },
          },
        },
      });
    }
    expect(await gql(http.url, 'mutation { removeSymbol(symbol: "SPY") }')).toEqual({
      data: { removeSymbol: true },
    });
    for (const sub of lifecycle) {
      await waitFor(() => sub.values.length === 1, { what: 'SYMBOL_REMOVED' });
      expect(sub.values[0]).toEqual({ data: { sessionEvents: { kind: 'SYMBOL_REMOVED', symbol: 'SPY' } } });
    }
    for (const sub of [...subs, ...lifecycle]) sub.stop();
    await waitFor(
      () =>
        served.pubsub.subscribers === 0 &&
        api.session.events.count('bar') === baseline.bar &&
        api.session.events.count('session') === baseline.session,
      { what: 'listeners to be removed' },
    );
    await gql(http.url, 'mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { symbol } }');
    await ws.dispose();
    sse.dispose();
    sseSingle.dispose();
  });

  it('frees the listeners of a WebSocket that drops without saying goodbye', async () => {
    const socket = new WebSocket(`${http.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const acked = new Promise((resolve) => socket.once('message', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await acked;
    socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: 'subscription { barUpdates { symbol } }' },
      }),
    );
    await waitFor(() => api.session.events.count('bar') === baseline.bar + 1, { what: 'a subscriber' });
    socket.terminate();
    await waitFor(() => api.session.events.count('bar') === baseline.bar, {
      what: 'the listener to be removed',
    });
  });

  it('caps the operations of one connection', async () => {
    const client = createWsClient({
      url: `${http.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
    });
    const subs = Array.from({ length: 101 }, () =>
      collect((sink) => client.subscribe({ query: 'subscription { sessionEvents { kind } }' }, sink)),
    );
    await waitFor(() => subs[100]!.errors.length === 1, { what: 'the 101st to be refused' });
    expect((subs[100]!.errors[0] as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe(
      'TOO_MANY_OPERATIONS',
    );
    expect(served.pubsub.subscribers).toBe(100);
    await client.dispose();
    await waitFor(() => served.pubsub.subscribers === 0, { what: 'the connection to be cleaned up' });
  });

  it('runs admin mutations over WebSocket with the token in connectionParams', async () => {
    const withToken = createWsClient({
      url: `${http.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const without = createWsClient({
      url: `${http.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
    });
    const run = (client: Client) =>
      new Promise<unknown>((resolve) => {
        const out: unknown[] = [];
        client.subscribe(
          { query: `mutation { advanceClock(to: "2011-01-11T16:00:00Z") { time } }` },
          { next: (v) => out.push(v), error: (e) => resolve(e), complete: () => resolve(out[0]) },
        );
      });
    expect(await run(withToken)).toEqual({ data: { advanceClock: { time: '2011-01-11T16:00:00.000Z' } } });
    const refused = (await run(without)) as { errors: { extensions: { code: string } }[] };
    expect(refused.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
    await withToken.dispose();
    await without.dispose();
  });
});

describe('GraphQL over HTTP conformance', () => {
  it('passes every graphql-http server audit without error or warning', async () => {
    const results = await Promise.all(
      serverAudits({ url: `${http.url}/graphql` }).map((audit) => audit.fn()),
    );
    const failed = results.filter((r) => r.status !== 'ok').map((r) => `${r.status}: ${r.name}`);
    expect(failed).toEqual([]);
    expect(results.length).toBeGreaterThan(20);
  });
});

describe('plain routes', () => {
  it('answers health, readiness and metrics', async () => {
    expect(await (await fetch(`${http.url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${http.url}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${http.url}/metrics`)).text();
    expect(metrics).toMatch(/session_ingest_items_total\{kind="bars",outcome="accepted"\} \d+/);
    expect(metrics).toContain('session_graphql_subscribers');
    expect(metrics).toContain('session_writer_backlog');
    expect(metrics).toMatch(/session_http_request_duration_seconds_bucket\{.*route="\/graphql"/);
    expect((await fetch(`${http.url}/health`, { method: 'POST' })).status).toBe(405);
    const root = await fetch(`${http.url}/`);
    expect([root.status, root.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await root.text()).toContain('<table');
    const graphiql = await fetch(`${http.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await graphiql.text()).toContain('GraphiQL');
  });

  it('exports JSON, bars CSV and gaps CSV', async () => {
    await ingest(day.slice(0, 3));
    await ingest([day[10]!]);
    const doc = (await (await fetch(`${http.url}/export?symbols=spy`)).json()) as {
      cursor: string;
      complete: boolean;
      data: { symbols: Record<string, unknown> };
    };
    expect(doc.complete).toBe(true);
    expect(Object.keys(doc.data.symbols)).toEqual(['SPY']);
    const delta = (await (await fetch(`${http.url}/export?since=${doc.cursor}`)).json()) as {
      complete: boolean;
    };
    expect(delta.complete).toBe(false);
    expect((await fetch(`${http.url}/export?since=garbage`)).status).toBe(400);

    const csv = await fetch(`${http.url}/export/bars.csv?symbol=SPY&interval=1m&to=2011-01-11T14:32:00Z`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'ts,end_ts,open,high,low,close,volume,vwap,trade_count,base_bars,revision,complete',
    );
    expect(lines.slice(1)).toEqual(
      day
        .slice(0, 2)
        .map(
          (b) =>
            `${iso(b.ts)},${iso(b.ts + 60_000)},${b.open},${b.high},${b.low},${b.close},${b.volume},,,1,0,true`,
        ),
    );
    // SPY was reloaded after the first test: its 09:30–09:59 bars came back from the store.
    const gaps = (await (await fetch(`${http.url}/export/gaps.csv?symbol=SPY&interval=1m`)).text())
      .trim()
      .split('\n');
    expect(gaps).toEqual([
      'symbol,interval,start,end,missing_bars,cause',
      `SPY,1m,${iso(day[30]!.ts)},2011-01-11T16:00:00.000Z,60,NO_DATA`,
    ]);
    expect((await fetch(`${http.url}/export/bars.csv?symbol=NOPE`)).status).toBe(404);
    expect((await fetch(`${http.url}/export/bars.csv`)).status).toBe(400);
    expect((await fetch(`${http.url}/export/bars.csv?symbol=SPY&interval=7x`)).status).toBe(400);
  });
  it('gzips large answers for clients that accept it: GraphQL (cached and not), export, CSV; never SSE', async () => {
    const query = JSON.stringify({
      query:
        '{ symbol(symbol: "SPY") { interval(name: "1m") { bars { nodes { ts open high low close volume } } } } }',
    });
    const raw = (path: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
        (resolve, reject) => {
          const req = request(
            `${http.url}${path}`,
            { method: body === undefined ? 'GET' : 'POST', headers },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (chunk: Buffer) => chunks.push(chunk));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
              );
            },
          );
          req.on('error', reject);
          req.end(body);
        },
      );
    const json = { 'content-type': 'application/json' };
    const plain = await raw('/graphql', json, query);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('Accept-Encoding');
    expect(plain.body.byteLength).toBeGreaterThan(2_000);
    for (let i = 0; i < 2; i++) {
      // The first answer is executed and cached, the second served from the cache: both gzipped.
      const zipped = await raw('/graphql', { ...json, 'accept-encoding': 'br;q=1, gzip;q=0.8' }, query);
      expect([zipped.status, zipped.headers['content-encoding'], zipped.headers['vary']]).toEqual([
        200,
        'gzip',
        'Accept-Encoding',
      ]);
      expect(Number(zipped.headers['content-length'])).toBe(zipped.body.byteLength);
      expect(zipped.body.byteLength).toBeLessThan(plain.body.byteLength / 3);
      expect(gunzipSync(zipped.body).toString()).toBe(plain.body.toString());
    }
    // An answer read from the store is never cached: compressed all the same.
    const stored = JSON.stringify({
      query:
        '{ symbol(symbol: "SPY") { historical { interval(name: "1m") { bars(from: "2011-01-03T00:00:00Z", first: 200) { nodes { ts close } } } } } }',
    });
    const storedPlain = await raw('/graphql', json, stored);
    expect([storedPlain.headers['content-encoding'], storedPlain.headers['vary']]).toEqual([
      undefined,
      'Accept-Encoding',
    ]);
    const storedZipped = await raw('/graphql', { ...json, 'accept-encoding': 'gzip' }, stored);
    expect(storedZipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(storedZipped.body).toString()).toBe(storedPlain.body.toString());
    // Refused or unknown codings, and small answers, go as they are.
    for (const encoding of ['gzip;q=0', 'br', 'identity']) {
      const r = await raw('/graphql', { ...json, 'accept-encoding': encoding }, query);
      expect([encoding, r.headers['content-encoding']]).toEqual([encoding, undefined]);
    }
    const small = await raw(
      '/graphql',
      { ...json, 'accept-encoding': 'gzip' },
      JSON.stringify({ query: '{ session { date } }' }),
    );
    expect([small.headers['content-encoding'], small.body.toString()]).toEqual([
      undefined,
      `{"data":{"session":{"date":"${DATE}"}}}`,
    ]);
    // The export and the CSV files.
    for (const path of ['/export?symbols=SPY', '/export/bars.csv?symbol=SPY&interval=1m']) {
      const unzipped = await raw(path, {});
      const zipped = await raw(path, { 'accept-encoding': '*' });
      expect([path, unzipped.headers['content-encoding'], zipped.headers['content-encoding']]).toEqual([
        path,
        undefined,
        'gzip',
      ]);
      expect(gunzipSync(zipped.body).toString()).toBe(unzipped.body.toString());
    }
    // A subscription's event stream is never compressed (it would hold events back).
    const sse = new AbortController();
    const events = await fetch(`${http.url}/graphql`, {
      method: 'POST',
      headers: { ...json, accept: 'text/event-stream', 'accept-encoding': 'gzip' },
      body: JSON.stringify({ query: 'subscription { sessionEvents { kind } }' }),
      signal: sse.signal,
    });
    expect(events.headers.get('content-type')).toBe('text/event-stream');
    expect(events.headers.get('content-encoding') ?? 'none').toBe('none');
    sse.abort();
  });
});
