/**
 * Test factory of the GraphQL API: a real SessionData, a small in-memory stand-in for the session
 * service (the same tree calls the real service makes, over an in-memory "store" of SPY bars) and
 * the real yoga server. Switch to createApp once src/app.ts lands.
 */
import { readFileSync } from 'node:fs';
import DataLoader from 'dataloader';
import { nyDate, tradingDatesBefore } from '../../src/domain/calendar.ts';
import type {
  BarInput,
  ClockMode,
  IngestResult,
  Instant,
  IsoDate,
  QuoteInput,
  StoredBar,
  TickInput,
} from '../../src/domain/types.ts';
import type { GraphqlService, HistoryLoaders, StoredBarsKey } from '../../src/graphql/builder.ts';
import type { Limits } from '../../src/graphql/limits.ts';
import { createYoga, type SessionYoga } from '../../src/graphql/yoga.ts';
import { SessionData, type SymbolSettingsInput } from '../../src/session/session-data.ts';
import type { SymbolSessionData } from '../../src/session/symbol-session-data.ts';

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

/** An in-memory store of base bars by symbol and date that counts its batched reads. */
export class MemoryStore {
  readonly bars = new Map<string, StoredBar[]>();
  batches = 0;
  keysRead = 0;

  put(symbol: string, date: IsoDate, bars: readonly StoredBar[]): void {
    this.bars.set(`${symbol}|${date}`, [...bars]);
  }

  read(keys: readonly StoredBarsKey[]): StoredBar[][] {
    this.batches++;
    this.keysRead += keys.length;
    return keys.map((k) => this.bars.get(`${k.symbol}|${k.date}`) ?? []);
  }

  loaders(): HistoryLoaders {
    return {
      storedBars: new DataLoader<StoredBarsKey, readonly StoredBar[], string>(
        async (keys) => this.read(keys),
        {
          cacheKeyFn: (k) => `${k.symbol}|${k.interval}|${k.date}`,
        },
      ),
    };
  }
}

/** A stand-in for SessionService over the tree and a MemoryStore. */
export class TestService implements GraphqlService {
  constructor(
    readonly session: SessionData,
    private readonly store: MemoryStore,
  ) {}

  async startSession(date: IsoDate, mode: ClockMode): Promise<void> {
    this.session.start(date, mode);
  }

  async endSession(): Promise<void> {
    this.session.end();
  }

  async advanceClock(to: Instant): Promise<void> {
    this.session.advanceClock(to);
  }

  async loadSymbol(input: SymbolSettingsInput): Promise<SymbolSessionData> {
    const { data, changed } = this.session.beginLoad(input);
    if (!changed && data.loaded) return data;
    const dates = tradingDatesBefore(data.date, data.settings.historicalDays);
    const rows = this.store.read(
      [...dates, data.date].map((date) => ({ symbol: data.symbol, interval: data.baseInterval, date })),
    );
    const history = new Map<IsoDate, StoredBar[]>();
    dates.forEach((d, i) => {
      history.set(d, rows[i] ?? []);
    });
    return this.session.completeLoad(data.symbol, history, rows[dates.length] ?? []) ?? data;
  }

  async removeSymbol(symbol: string): Promise<boolean> {
    return this.session.removeSymbol(symbol);
  }

  ingestBars(bars: readonly BarInput[]): IngestResult {
    return this.session.ingestBars(bars);
  }

  ingestQuotes(quotes: readonly QuoteInput[]): IngestResult {
    return this.session.ingestQuotes(quotes);
  }

  ingestTicks(ticks: readonly TickInput[]): IngestResult {
    return this.session.ingestTicks(ticks);
  }
}

/** One GraphQL response. */
export interface GqlResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

export interface TestApi {
  readonly yoga: SessionYoga;
  readonly session: SessionData;
  readonly service: TestService;
  readonly store: MemoryStore;
  /** Runs one operation through yoga.fetch (admin token sent unless `token` is null or another string). */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<GqlResponse<T>>;
}

/**
 * Builds the API over a fresh tree. The store holds the SPY sample (January 2011) under "SPY"
 * unless `spy` is false, except the dates in `notStored` (to ingest those through the API).
 */
export function createTestApi(
  options: { spy?: boolean; notStored?: readonly IsoDate[]; limits?: Partial<Limits> } = {},
): TestApi {
  const session = new SessionData();
  const store = new MemoryStore();
  if (options.spy !== false) {
    for (const [date, bars] of readSpy())
      if (!options.notStored?.includes(date)) store.put('SPY', date, bars);
  }
  const service = new TestService(session, store);
  const yoga = createYoga({
    service,
    createLoaders: () => store.loaders(),
    adminToken: ADMIN_TOKEN,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return {
    yoga,
    session,
    service,
    store,
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
