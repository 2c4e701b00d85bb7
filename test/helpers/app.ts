/**
 * Test factory of the GraphQL API: the real app (createApp: session tree, session service,
 * write-behind writer, repository and loaders) on an in-memory PGlite database holding the SPY
 * sample, and helpers to talk to its yoga server.
 */
import { readFileSync } from 'node:fs';
import { type App, createApp } from '../../src/app.ts';
import { nyDate } from '../../src/domain/calendar.ts';
import type { IsoDate, StoredBar } from '../../src/domain/types.ts';
import type { Limits } from '../../src/graphql/limits.ts';
import { createYoga, type SessionYoga } from '../../src/graphql/yoga.ts';
import type { SessionService } from '../../src/service/session-service.ts';
import type { SessionData } from '../../src/session/session-data.ts';
import { createLoaders } from '../../src/store/loaders.ts';

export const ADMIN_TOKEN = 'test-admin-token';

/** Parses a pyalgotrade SPY file: `yyyyMMdd HHmmss;o;h;l;c;v`, UTC bar END times. */
export function readSpy(file = 'fixtures/spy/nt-spy-minute-2011.csv'): Map<IsoDate, StoredBar[]> {
  const byDate = new Map<IsoDate, StoredBar[]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(\d{4})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2});([^;]+);([^;]+);([^;]+);([^;]+);([^;]+)$/.exec(
      line.trim(),
    );
    if (!m) continue;
    const end = Date.UTC(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
    );
    const ts = end - 60_000;
    const bar: StoredBar = {
      ts,
      open: Number(m[7]),
      high: Number(m[8]),
      low: Number(m[9]),
      close: Number(m[10]),
      volume: Number(m[11]),
      vwap: null,
      tradeCount: null,
      revision: 0,
    };
    const date = nyDate(ts);
    const list = byDate.get(date) ?? [];
    list.push(bar);
    byDate.set(date, list);
  }
  return byDate;
}

/** One GraphQL response. */
export interface GqlResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

export interface TestApi {
  /** The app's yoga, or one with the test's limits over the same service. */
  readonly yoga: SessionYoga;
  readonly app: App;
  readonly session: SessionData;
  readonly service: SessionService;
  /** SELECT statements the store has run since the app was built. */
  readonly selects: () => number;
  /** Runs one operation through yoga.fetch (admin token sent unless `token` is null or another string). */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<GqlResponse<T>>;
  /** Ends subscriptions, flushes writes, closes the database. */
  dispose(): Promise<void>;
}

/**
 * Builds the app on an in-memory database. The store holds the SPY sample (January 2011) under
 * "SPY" unless `spy` is false, except the dates in `notStored` (to ingest those through the API).
 */
export async function createTestApi(
  options: {
    spy?: boolean;
    notStored?: readonly IsoDate[];
    limits?: Partial<Limits>;
    /** The wall clock of LIVE sessions. */
    now?: () => number;
  } = {},
): Promise<TestApi> {
  const app = await createApp({
    adminToken: ADMIN_TOKEN,
    dataDir: 'memory://',
    demo: false,
    logLevel: 'silent',
    defaultMetrics: false,
    ...(options.now ? { now: options.now } : {}),
  });
  if (options.spy !== false) {
    const rows = [...readSpy()].flatMap(([date, bars]) =>
      options.notStored?.includes(date)
        ? []
        : bars.map((bar) => ({ ...bar, symbol: 'SPY', interval: '1m', sessionDate: date })),
    );
    await app.repository.upsertBars(rows);
  }
  let selects = 0;
  app.database.onStatement((query) => {
    if (/^\s*(with|select)\b/i.test(query)) selects++;
  });
  const yoga = options.limits
    ? createYoga({
        service: app.service,
        adminToken: ADMIN_TOKEN,
        createLoaders: () => createLoaders(app.repository),
        limits: options.limits,
      })
    : app.yoga;
  return {
    yoga,
    app,
    session: app.session,
    service: app.service,
    selects: () => selects,
    async gql(query, variables, token = ADMIN_TOKEN) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      const response = await yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as never;
    },
    async dispose() {
      if (yoga !== app.yoga) await yoga.dispose();
      await app.dispose();
    },
  };
}

/** A SPY bar as a BarInput for ingest mutations (ts as ISO). */
export function barInput(symbol: string, bar: StoredBar): Record<string, unknown> {
  return {
    symbol,
    ts: new Date(bar.ts).toISOString(),
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
  };
}

/** One Server-Sent Events stream of a subscription, opened through yoga.fetch. */
export interface SseStream {
  /** The next `next` payload, or null when the stream completed. */
  next(timeoutMs?: number): Promise<GqlResponse | null>;
  close(): void;
}

/** Subscribes through yoga.fetch with `Accept: text/event-stream` (distinct connections mode). */
export async function openSse(
  yoga: SessionYoga,
  query: string,
  variables?: Record<string, unknown>,
): Promise<SseStream> {
  const abort = new AbortController();
  const response = await yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  if (!response.body) throw new Error(`no stream: ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: (GqlResponse | null)[] = [];
  const read = async (): Promise<void> => {
    while (events.length === 0) {
      const { value, done } = await reader.read();
      if (done) {
        events.push(null);
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === 'next' && data) events.push(JSON.parse(data) as GqlResponse);
        if (event === 'complete') events.push(null);
        end = buffer.indexOf('\n\n');
      }
    }
  };
  return {
    async next(timeoutMs = 2_000) {
      if (events.length === 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          read(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('no event in time')), timeoutMs);
          }),
        ]).finally(() => clearTimeout(timer));
      }
      return events.shift() ?? null;
    },
    close() {
      abort.abort();
      reader.cancel().catch(() => undefined);
    },
  };
}
