/**
 * The fuzz suite: fast-check over the real HTTP, SSE (both modes) and WebSocket endpoints of a
 * running server process (`node --import tsx src/server.ts`, PGlite, or PostgreSQL when
 * DATABASE_URL is set), while a good client ingests bars beside it.
 *
 * Hostile input: random and mutated documents, variables of every shape and size, wrong types,
 * deep and wide nesting, huge lists, numbers at the edges, unicode and NUL, random HTTP envelopes,
 * random admin operations in random order with and without the token, raw WebSocket frames and
 * abrupt disconnects (test/fuzz/arbitraries.ts).
 *
 * Invariants (test/fuzz/answers.ts): the process lives; every answer is well-formed, every error
 * has a documented `extensions.code` (src/graphql/error-codes.ts) and its documented HTTP status;
 * no stack trace, SQL or file path in any answer; the server never closes a WebSocket but for a
 * protocol violation; subscriber and event-listener counts return to their baseline; every bar the
 * good client got acknowledged is in the export, and, after a restart, in the tree rebuilt from
 * the store.
 *
 * The default run takes well under a minute; FUZZ_RUNS=<n> runs each property n times (default 30–120
 * by property).
 */
import fc from 'fast-check';
import { type Client, createClient as createWsClient } from 'graphql-ws';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testDatabaseUrl } from '../helpers/db.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { type ProcessStore, processStore, type ServerProcess, spawnServer } from '../helpers/server.ts';
import { readSpy } from '../helpers/spy.ts';
import {
  assertErrors,
  assertHttpAnswer,
  assertNoLeak,
  assertResult,
  type HttpAnswer,
  sseResults,
} from './answers.ts';
import {
  document,
  edgeNumber,
  type HttpCase,
  hostileString,
  httpCase,
  OPERATIONS,
  tokenChoice,
  variables,
  wsFrame,
} from './arbitraries.ts';
import { exportedBars, GoodTraffic, missingBars } from './traffic.ts';

const TOKEN = 'fuzz-admin-token';
const DATE = '2011-01-11';
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 0);
const runs = (fallback: number) => (RUNS > 0 ? RUNS : fallback);
/** Symbols the hostile side may ingest into (the good client owns SPY). */
const SCRATCH = fc.constantFrom('FZA', 'FZB', 'QQQ');
const symbols = fc.oneof(SCRATCH, fc.constant('SPY'));
const day = readSpy()
  .get(DATE)!
  .filter((b) => b.ts >= Date.UTC(2011, 0, 11, 14, 30) && b.ts < Date.UTC(2011, 0, 11, 21));

let store: ProcessStore;
let server: ServerProcess;
let traffic: GoodTraffic;
let baseline: Map<string, number>;
const leftovers = useLeftovers();

/** The server process on the suite's store. */
function start(): Promise<ServerProcess> {
  return spawnServer({
    args: ['--no-demo', '--port', '0'],
    env: { ...process.env, LOG_LEVEL: 'warn', ...store.env, ADMIN_TOKEN: TOKEN },
    startTimeoutMs: 60_000,
    leftovers,
  });
}

function tokenHeader(choice: 'none' | 'wrong' | 'valid' | 'malformed'): Record<string, string> {
  if (choice === 'none') return {};
  if (choice === 'valid') return { authorization: `Bearer ${TOKEN}` };
  if (choice === 'wrong') return { authorization: 'Bearer nope' };
  return { authorization: 'Basic x y z' };
}

/** The valid token only for documents that cannot touch the good client's data. */
function safeToken(choice: 'none' | 'wrong' | 'valid' | 'malformed', query: unknown) {
  return choice === 'valid' && typeof query === 'string' && /mutation/i.test(query) ? 'wrong' : choice;
}

async function gql(query: string, vars?: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables: vars }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

/** Gauges of /metrics that must come back: subscribers, event listeners by topic. */
async function gauges(): Promise<Map<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const match of text.matchAll(
    /^(session_graphql_subscribers|session_event_listeners(?:\{[^}]*\})?) (\d+)$/gm,
  )) {
    out.set(match[1]!, Number(match[2]));
  }
  return out;
}

async function backToBaseline(): Promise<void> {
  await expect
    .poll(async () => Object.fromEntries(await gauges()), { timeout: 10_000, interval: 100 })
    .toEqual(Object.fromEntries(baseline));
  expect(server.alive()).toBe(true);
}

/** Reads a response whole, or for at most `streamMs` when it streams; the client then leaves. */
async function read(response: Response, abort: AbortController, streamMs: number): Promise<HttpAnswer> {
  const contentType = response.headers.get('content-type') ?? '';
  const streaming = /text\/event-stream|multipart\/mixed/.test(contentType);
  let text = '';
  if (response.body) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const stop = streaming ? setTimeout(() => abort.abort(), streamMs) : null;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    } finally {
      if (stop) clearTimeout(stop);
    }
  }
  if (contentType.startsWith('text/event-stream')) text = text.slice(0, text.lastIndexOf('\n\n') + 2); // whole events only
  return { status: response.status, contentType, text };
}

/** Sends one hostile HTTP request and checks its answer. */
async function hostileRequest(
  envelope: HttpCase,
  query: unknown,
  vars: unknown,
  token: Record<string, string>,
  accept?: string,
) {
  const headers: Record<string, string> = { ...token };
  if (envelope.contentType !== null) headers['content-type'] = envelope.contentType;
  const acceptHeader = accept ?? envelope.accept;
  if (acceptHeader !== null) headers['accept'] = acceptHeader;
  let url = `${server.url}/graphql${envelope.queryString}`;
  let body: string | undefined;
  if (envelope.method === 'GET' || envelope.method === 'HEAD') {
    const params = new URLSearchParams();
    if (query !== undefined) params.set('query', typeof query === 'string' ? query : JSON.stringify(query));
    if (vars !== undefined) params.set('variables', JSON.stringify(vars));
    if (typeof envelope.operationName === 'string') params.set('operationName', envelope.operationName);
    url += `${envelope.queryString === '' ? '?' : '&'}${params}`;
  } else if (envelope.body === 'json') {
    body = JSON.stringify({
      ...envelope.extra,
      query,
      variables: vars,
      operationName: envelope.operationName,
    });
  } else if (envelope.body === 'raw') {
    body = envelope.raw;
  }
  const context = `${envelope.method} ${url.slice(0, 300)} ${JSON.stringify(headers)} ${body?.slice(0, 300) ?? ''}`;
  const abort = new AbortController();
  const timeout = setTimeout(() => abort.abort(new Error(`no answer in 15 s: ${context}`)), 15_000);
  try {
    const response = await fetch(url, {
      method: envelope.method,
      headers,
      signal: abort.signal,
      ...(body === undefined ? {} : { body }),
    });
    const answer = await read(response, abort, 200);
    if (envelope.method === 'HEAD')
      expect(answer.status).toBeLessThan(500); // no body by definition
    else assertHttpAnswer(answer, context);
  } finally {
    clearTimeout(timeout);
  }
}

beforeAll(async () => {
  store = await processStore(testDatabaseUrl() === undefined ? 'pglite' : 'postgres', 'fuzz');
  leftovers.defer(() => store.drop());
  server = await start();
  await gql(`mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
  await gql(
    'mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0, derivedIntervals: ["5m"] }) { loaded } }',
  );
  baseline = await gauges();
  traffic = new GoodTraffic(server.url, TOKEN, 'SPY', day);
  leftovers.defer(() => traffic.stop().catch(() => undefined));
}, 90_000);

describe('fuzz over a running server', () => {
  it('admin operations in random order, with and without the token', async () => {
    const adminOp = fc.record({
      token: tokenChoice,
      op: fc.oneof(
        fc.record({
          query: fc.constant(
            'mutation($d: Date!, $m: ClockMode, $r: Float) { startSession(date: $d, clockMode: $m, replaySpeed: $r) { date phase } }',
          ),
          variables: fc.record(
            {
              d: fc.oneof(
                fc.constantFrom(
                  '2011-01-10',
                  '2011-01-11',
                  '2011-01-12',
                  '2011-01-15',
                  '2011-01-17',
                  '2000-01-01',
                  '2035-12-31',
                ),
                hostileString,
              ),
              m: fc.constantFrom('MANUAL', 'LIVE', 'REPLAY', 'nope'),
              r: edgeNumber,
            },
            { requiredKeys: ['d'] },
          ),
        }),
        fc.record({
          query: fc.constant('mutation { endSession { date phase } }'),
          variables: fc.constant({}),
        }),
        fc.record({
          query: fc.constant('mutation($t: DateTime!) { advanceClock(to: $t) { time } }'),
          variables: fc.record({
            t: fc.oneof(
              fc
                .integer({ min: 0, max: 16 * 60 })
                .map((m) => new Date(Date.UTC(2011, 0, 11, 9, m)).toISOString()),
              hostileString,
            ),
          }),
        }),
        fc.record({
          query: fc.constant('mutation($i: LoadSymbolInput!) { loadSymbol(input: $i) { symbol loaded } }'),
          variables: fc.record({
            i: fc.record(
              {
                symbol: fc.oneof(SCRATCH, hostileString),
                historicalDays: fc.oneof(fc.integer({ min: -2, max: 300 }), edgeNumber),
                derivedIntervals: fc.array(
                  fc.oneof(fc.constantFrom('5m', '15m', '1h', '1d', '7x', '0m'), hostileString),
                  { maxLength: 3 },
                ),
                baseInterval: fc.constantFrom('1m', '5m', '1s', 'x'),
                extendedHours: fc.boolean(),
                indicators: fc.array(fc.constantFrom('avg_volume_2d', 'prev_close', 'nope'), {
                  maxLength: 2,
                }),
              },
              { requiredKeys: ['symbol'] },
            ),
          }),
        }),
        fc.record({
          query: fc.constant('mutation($s: String!) { removeSymbol(symbol: $s) }'),
          variables: fc.record({ s: fc.oneof(SCRATCH, fc.constant('SPY'), hostileString) }),
        }),
        fc.record({
          query: fc.constantFrom('mutation { pauseReplay { date } }', 'mutation { resumeReplay { date } }'),
          variables: fc.constant({}),
        }),
        fc.record({
          query: fc.constantFrom(...OPERATIONS.filter((o) => o.query.includes('ingest')).map((o) => o.query)),
          variables: variables(symbols),
        }),
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(adminOp, { minLength: 1, maxLength: 8 }), async (ops) => {
        for (const { token, op } of ops) {
          await hostileRequest(
            {
              method: 'POST',
              contentType: 'application/json',
              accept: null,
              body: 'json',
              raw: '',
              extra: {},
              operationName: undefined,
              queryString: '',
            },
            op.query,
            op.variables,
            tokenHeader(token),
          );
        }
        expect(server.alive()).toBe(true);
      }),
      { numRuns: runs(40) },
    );
    // The good client's session, fresh.
    await gql(`mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
    await gql(
      'mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0, derivedIntervals: ["5m"] }) { loaded } }',
    );
    await backToBaseline();
    traffic.start();
  }, 120_000);

  it('HTTP: hostile documents, variables and envelopes', async () => {
    await fc.assert(
      fc.asyncProperty(
        httpCase,
        document,
        variables(symbols),
        tokenChoice,
        async (envelope, doc, vars, token) => {
          await hostileRequest(envelope, doc.query, vars, tokenHeader(safeToken(token, doc.query)));
        },
      ),
      { numRuns: runs(120) },
    );
    await backToBaseline();
  }, 120_000);

  it('SSE, distinct connections: hostile subscriptions, left abruptly', async () => {
    const subscription = fc.oneof(
      document,
      fc.constantFrom(...OPERATIONS.filter((o) => o.query.startsWith('subscription'))),
    );
    await fc.assert(
      fc.asyncProperty(
        httpCase,
        subscription,
        variables(symbols),
        tokenChoice,
        async (envelope, doc, vars, token) => {
          await hostileRequest(
            { ...envelope, method: envelope.method === 'GET' ? 'GET' : 'POST' },
            doc.query,
            vars,
            tokenHeader(safeToken(token, doc.query)),
            'text/event-stream',
          );
        },
      ),
      { numRuns: runs(60) },
    );
    await backToBaseline();
  }, 120_000);

  it('SSE, single connection: reservations, operations and disconnects in random order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(document, variables(symbols), tokenChoice, fc.oneof(fc.uuid(), hostileString)), {
          maxLength: 4,
        }),
        fc.boolean(),
        async (ops, cancel) => {
          const put = await fetch(`${server.url}/graphql`, { method: 'PUT' });
          const streamToken = await put.text();
          expect(put.status).toBe(201);
          assertNoLeak(streamToken, 'PUT');
          const abort = new AbortController();
          const stream = await fetch(`${server.url}/graphql`, {
            headers: { accept: 'text/event-stream', 'x-graphql-event-stream-token': streamToken },
            signal: abort.signal,
          });
          const reading = read(stream, abort, 100);
          for (const [doc, vars, token, id] of ops) {
            const headers = {
              'content-type': 'application/json',
              'x-graphql-event-stream-token': streamToken,
              ...tokenHeader(safeToken(token, doc.query)),
            };
            const body = JSON.stringify({
              query: doc.query,
              variables: vars,
              extensions: { operationId: id },
            });
            const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body });
            assertHttpAnswer(
              await read(response, new AbortController(), 100),
              `single-connection POST ${body.slice(0, 300)}`,
            );
            if (cancel) {
              const deleted = await fetch(
                `${server.url}/graphql?operationId=${encodeURIComponent(id.replace(/[\ud800-\udfff]/g, '?'))}`,
                {
                  method: 'DELETE',
                  headers: { 'x-graphql-event-stream-token': streamToken },
                },
              );
              assertHttpAnswer(await read(deleted, new AbortController(), 100), 'single-connection DELETE');
            }
          }
          const answer = await reading;
          for (const result of sseResults(answer.text))
            assertResult(result, 'SSE', 'single-connection stream');
        },
      ),
      { numRuns: runs(30) },
    );
    await backToBaseline();
  }, 120_000);

  it('WebSocket: hostile operations on one socket, the socket left or dropped at random', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(document, variables(symbols)), { minLength: 1, maxLength: 5 }),
        tokenChoice,
        fc.constantFrom('dispose', 'terminate', 'complete'),
        async (ops, token, leave) => {
          const closes: number[] = [];
          const violations: unknown[] = [];
          let socket: WebSocket | null = null;
          const mutates = ops.some(([doc]) => /mutation/i.test(String(doc.query)));
          const client: Client = createWsClient({
            url: `${server.url.replace('http', 'ws')}/graphql`,
            webSocketImpl: WebSocket,
            retryAttempts: 0,
            lazy: false,
            connectionParams: tokenHeader(mutates && token === 'valid' ? 'wrong' : token),
            on: {
              connected: (s) => {
                socket = s as WebSocket;
              },
              closed: (event) => closes.push((event as { code: number }).code),
            },
          });
          const check = (what: () => void) => {
            try {
              what();
            } catch (violation) {
              violations.push(violation);
            }
          };
          const running = ops.map(([doc, vars]) => {
            // What the protocol itself refuses (a query that is not a string, variables that are
            // not an object) closes the socket by design: raw frames test that.
            const query = typeof doc.query === 'string' ? doc.query : '{ session { date } }';
            const variables =
              typeof vars === 'object' && vars !== null && !Array.isArray(vars)
                ? (vars as Record<string, unknown>)
                : null;
            const context = `ws ${query.slice(0, 300)} ${JSON.stringify(variables)?.slice(0, 200)}`;
            let stop: () => void = () => undefined;
            const done = new Promise<void>((resolve) => {
              stop = client.subscribe(
                { query, variables },
                {
                  next: (value) =>
                    check(() => {
                      assertNoLeak(JSON.stringify(value), context);
                      assertResult(value, 'WS', context);
                    }),
                  error: (error) => {
                    if (Array.isArray(error))
                      check(() => {
                        assertNoLeak(JSON.stringify(error), context);
                        assertErrors(error, 'WS', context);
                      });
                    resolve();
                  },
                  complete: resolve,
                },
              );
            });
            return { done, stop: () => stop() };
          });
          await Promise.race([
            Promise.all(running.map((r) => r.done)),
            new Promise((r) => setTimeout(r, 250)),
          ]);
          const closedByServer = [...closes];
          if (leave === 'terminate') (socket as WebSocket | null)?.terminate();
          else if (leave === 'complete') for (const r of running) r.stop();
          await client.dispose();
          if (violations.length > 0) throw violations[0];
          expect(closedByServer).toEqual([]);
        },
      ),
      { numRuns: runs(50) },
    );
    await backToBaseline();
  }, 120_000);

  it('WebSocket: raw frames; the server closes only for a protocol violation', async () => {
    const allowed = new Set([1000, 1005, 1006, 1007, 1009, 4400, 4401, 4403, 4409, 4429]);
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(wsFrame, { minLength: 1, maxLength: 6 }),
        async (init, frames) => {
          const socket = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
          const received: string[] = [];
          let closedWith: number | null = null;
          socket.on('message', (data) => received.push(String(data)));
          const closed = new Promise<void>((resolve) => {
            socket.on('close', (code) => {
              closedWith = code;
              resolve();
            });
            socket.on('error', () => resolve());
          });
          await new Promise<void>((resolve) => socket.once('open', () => resolve()));
          if (init) socket.send(JSON.stringify({ type: 'connection_init' }));
          for (const frame of frames) if (socket.readyState === WebSocket.OPEN) socket.send(frame);
          await Promise.race([closed, new Promise((r) => setTimeout(r, 150))]);
          if (closedWith !== null && !allowed.has(closedWith))
            throw new Error(`server closed with ${closedWith}`);
          socket.terminate();
          await closed;
          for (const text of received) {
            assertNoLeak(text, 'raw ws');
            const message = JSON.parse(text) as { type: string; payload?: unknown };
            if (message.type === 'error') assertErrors(message.payload, 'WS', `raw ws ${text}`);
            if (message.type === 'next') assertResult(message.payload, 'WS', `raw ws ${text}`);
          }
        },
      ),
      { numRuns: runs(40) },
    );
    await backToBaseline();
  }, 120_000);

  it('kept every bar it acknowledged: in the export, and after a restart in the rebuilt tree', async () => {
    await traffic.stop();
    expect(traffic.batches).toBeGreaterThan(0);
    await backToBaseline();
    const exported = await (await fetch(`${server.url}/export?symbols=SPY`)).json();
    expect(missingBars(traffic.acked, exportedBars(exported, 'SPY', '1m'))).toEqual([]);
    server.signal('SIGTERM');
    expect(await server.exited).toBe(0);
    server = await start();
    const rebuilt = await (await fetch(`${server.url}/export?symbols=SPY`)).json();
    expect(missingBars(traffic.acked, exportedBars(rebuilt, 'SPY', '1m'))).toEqual([]);
    console.log(
      `fuzz: ${traffic.acked.size} distinct bars acknowledged in ${traffic.batches} batches, all kept; runs per property: ${RUNS > 0 ? RUNS : 'default'}`,
    );
  }, 120_000);
});
