/**
 * Restart without loss: a real server process ingests over HTTP, waits until the writer reports
 * every acknowledged bar durable (backlog 0 on /metrics), is killed with SIGKILL, and is started
 * again on the same database: its full JSON export equals the one taken before the kill (bars,
 * derived bars, gaps, quality, metrics, history, clock). Runs on PGlite and on real PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { testDrivers } from '../helpers/db.ts';
import { gqlData } from '../helpers/gql.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { processStore, type ServerProcess, spawnServer } from '../helpers/server.ts';
import { readSpy, SPY_MARCH } from '../helpers/spy.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 'restart-test-token';
const leftovers = useLeftovers();

function startServer(env: Record<string, string>): Promise<ServerProcess> {
  return spawnServer({
    args: ['--no-demo', '--port', '0'],
    env: { ...process.env, ...env, ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn' },
    leftovers,
  });
}

function gql<T = Record<string, unknown>>(server: ServerProcess, query: string, variables = {}): Promise<T> {
  return gqlData<T>(server.url, query, variables, TOKEN);
}

async function exportData(server: ServerProcess): Promise<unknown> {
  const response = await fetch(`${server.url}/export`);
  return ((await response.json()) as { data: unknown }).data;
}

function waitDurable(server: ServerProcess): Promise<void> {
  return waitFor(
    async () => /^session_writer_backlog 0$/m.test(await (await fetch(`${server.url}/metrics`)).text()),
    { timeoutMs: 20_000, intervalMs: 50, what: 'the writer to report an empty backlog' },
  );
}

describe.each(testDrivers())('restart after SIGKILL on %s', (driver) => {
  it('rebuilds exactly the tree it had, from every bar it acknowledged', async () => {
    const store = await processStore(driver, 'restart');
    leftovers.defer(() => store.drop());
    const { env } = store;
    const spy = readSpy(SPY_MARCH);
    const first = await startServer(env);

    const toInput = (bar: {
      ts: number;
      open: number;
      high: number;
      low: number;
      close: number;
      volume: number;
    }) => ({
      symbol: 'SPY',
      ts: new Date(bar.ts).toISOString(),
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
      volume: bar.volume,
    });
    // History for the loaded symbol: two earlier sessions ingested the same way.
    for (const date of ['2011-03-08', '2011-03-09']) {
      await gql(first, 'mutation($d: Date!) { startSession(date: $d, clockMode: MANUAL) { date } }', {
        d: date,
      });
      await gql(
        first,
        'mutation { loadSymbol(input: { symbol: "SPY", derivedIntervals: ["5m", "1h"] }) { loaded } }',
      );
      const bars = spy
        .get(date)!
        .filter((b) => b.ts >= Date.parse(`${date}T14:30:00Z`) && b.ts < Date.parse(`${date}T21:00:00Z`));
      await gql(first, 'mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted } }', {
        b: bars.map(toInput),
      });
    }
    await gql(first, 'mutation { startSession(date: "2011-03-10", clockMode: MANUAL) { date } }');
    await gql(
      first,
      'mutation { loadSymbol(input: { symbol: "SPY", derivedIntervals: ["5m", "15m", "1h", "1d"], indicators: ["avg_volume_2d", "prev_close"] }) { loaded } }',
    );
    const today = spy
      .get('2011-03-10')!
      .filter((b) => b.ts >= Date.parse('2011-03-10T14:30:00Z') && b.ts < Date.parse('2011-03-10T18:00:00Z'))
      .filter((_, i) => i % 17 !== 5);
    const result = await gql<{ ingestBars: { accepted: number } }>(
      first,
      'mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted } }',
      { b: today.map(toInput) },
    );
    expect(result.ingestBars.accepted).toBe(today.length);
    const corrected = {
      ...today[10]!,
      close: today[10]!.close + 0.01,
      high: Math.max(today[10]!.high, today[10]!.close + 0.01),
    };
    await gql(first, 'mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted } }', {
      b: [toInput(corrected)],
    });
    // The last two share a millisecond: both are kept, in arrival order, across the restart.
    const quotes = [0, 1, 2].map((i) => ({
      symbol: 'SPY',
      ts: new Date(Date.parse('2011-03-10T15:00:00Z') + Math.min(i, 1) * 1_500).toISOString(),
      bid: 130.5 + i / 100,
      bidSize: 100 + i,
      ask: 130.52 + i / 100,
      askSize: 200 + i,
    }));
    const quoted = await gql<{ ingestQuotes: { accepted: number } }>(
      first,
      'mutation($q: [QuoteInput!]!) { ingestQuotes(quotes: $q) { accepted } }',
      { q: quotes },
    );
    expect(quoted.ingestQuotes.accepted).toBe(3);
    const ticks = [0, 1].map((i) => ({
      symbol: 'SPY',
      ts: new Date(Date.parse('2011-03-10T15:00:01Z') + i * 250).toISOString(),
      price: 130.51 + i / 100,
      size: 300 + i,
    }));
    await gql(first, 'mutation($t: [TickInput!]!) { ingestTicks(ticks: $t) { accepted } }', { t: ticks });
    await gql(first, 'mutation { advanceClock(to: "2011-03-10T18:30:00Z") { time } }');
    await waitDurable(first);
    const before = await exportData(first);
    await first.stop('SIGKILL');

    const second = await startServer(env);
    const after = await exportData(second);
    expect(after).toEqual(before);
    const spyBefore = (before as { symbols: { SPY: { quotes: unknown; ticks: unknown } } }).symbols.SPY;
    expect(spyBefore.quotes).toEqual({
      count: 3,
      latest: { ts: quotes[2]!.ts, bid: quotes[2]!.bid, bid_size: 102, ask: quotes[2]!.ask, ask_size: 202 },
    });
    expect(spyBefore.ticks).toMatchObject({
      count: 2,
      latest: { ts: ticks[1]!.ts, price: ticks[1]!.price, size: 301 },
    });
    const check = await gql<{
      symbol: { interval: { gapCount: number; barCount: number; bars: { nodes: { revision: number }[] } } };
    }>(
      second,
      '{ symbol(symbol: "SPY") { interval(name: "1m") { gapCount barCount bars(first: 11) { nodes { revision } } } } }',
    );
    expect(check.symbol.interval.barCount).toBe(today.length);
    expect(check.symbol.interval.gapCount).toBeGreaterThan(0);
    expect(check.symbol.interval.bars.nodes[10]!.revision).toBe(1);
  }, 120_000);
});
