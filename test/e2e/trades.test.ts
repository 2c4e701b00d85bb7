/**
 * A symbol built from trades, end to end through a real server process, on PGlite and on real
 * PostgreSQL: load it with source TRADES, subscribe to its complete 1m bars, send a generated trade
 * stream (late prints, corrections, cancels, re-sent ids) in GraphQL batches, report a feed outage;
 * every bar equals the from-scratch reference, gaps carry their cause, /metrics counts unknown
 * condition codes; then SIGKILL and a restart on the same database rebuild the same tree (export
 * equal), and the trade book too (a cancel after the restart gives the reference's bars).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sessionWindow } from '../../src/domain/calendar.ts';
import { parseInterval } from '../../src/domain/intervals.ts';
import type { StoredBar } from '../../src/domain/types.ts';
import { openDatabase } from '../../src/store/database.ts';
import { createScratchDatabase, migratedImage, testDatabaseUrl, testDrivers } from '../helpers/db.ts';
import { gqlData, openSse } from '../helpers/gql.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { type ServerProcess, spawnServer } from '../helpers/server.ts';
import { type TradeMessage, TradeReference } from '../helpers/trade-reference.ts';
import { type GeneratedTrade, generateTradeStream } from '../helpers/trade-stream.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 'trades-test-token';
const DATE = '2024-03-05';
const REGULAR = sessionWindow(DATE, false)!;
const BAR_FIELDS = 'ts open high low close volume vwap tradeCount';
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
  return ((await (await fetch(`${server.url}/export`)).json()) as { data: unknown }).data;
}

function waitDurable(server: ServerProcess): Promise<void> {
  return waitFor(
    async () => /^session_writer_backlog 0$/m.test(await (await fetch(`${server.url}/metrics`)).text()),
    { timeoutMs: 20_000, intervalMs: 50, what: 'the writer to report an empty backlog' },
  );
}

interface ApiBar {
  ts: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap: number | null;
  tradeCount: number | null;
}

async function barsOf(server: ServerProcess, interval: string): Promise<ApiBar[]> {
  const data = await gql<{ symbol: { interval: { bars: { nodes: ApiBar[] } } } }>(
    server,
    `query($i: String!) { symbol(symbol: "AAPL") { interval(name: $i) { bars(last: 10000) { nodes { ${BAR_FIELDS} } } } } }`,
    { i: interval },
  );
  return data.symbol.interval.bars.nodes;
}

function apiBar(bar: StoredBar): ApiBar {
  const { open, high, low, close, volume, vwap, tradeCount } = bar;
  return { ts: new Date(bar.ts).toISOString(), open, high, low, close, volume, vwap, tradeCount };
}

function tickInput(m: GeneratedTrade): Record<string, unknown> {
  return { ...m, ts: new Date(m.ts).toISOString(), conditions: [...m.conditions] };
}

function messageOf(m: GeneratedTrade): TradeMessage {
  if (m.cancels !== undefined) return { kind: 'cancel', id: m.cancels };
  if (m.replaces !== undefined) return { kind: 'replace', id: m.replaces, trade: m };
  return { kind: 'trade', trade: m };
}

const INGEST = 'mutation($t: [TickInput!]!) { ingestTicks(ticks: $t) { accepted rejected { index code } } }';

describe.each(testDrivers())('a TRADES symbol end to end on %s', (driver) => {
  it('builds the reference bars from trades, streams complete bars, and survives a restart', async () => {
    let env: Record<string, string>;
    if (driver === 'postgres') {
      const scratch = await createScratchDatabase(testDatabaseUrl()!, 'trades');
      leftovers.defer(() => scratch.drop());
      env = { DATABASE_URL: scratch.url };
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'trades-'));
      leftovers.defer(() => rm(dir, { recursive: true, force: true }));
      await (await openDatabase({ dataDir: join(dir, 'data'), image: await migratedImage() })).close();
      env = { DATA_DIR: join(dir, 'data'), DATABASE_URL: '' };
    }
    const first = await startServer(env);
    await gql(first, `mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
    const loaded = await gql<{ loadSymbol: { source: string; feed: string } }>(
      first,
      'mutation { loadSymbol(input: { symbol: "AAPL", baseInterval: "1s", derivedIntervals: ["1m", "5m", "1d"], historicalDays: 0, source: TRADES, feed: "alpaca" }) { source feed } }',
    );
    expect(loaded.loadSymbol).toEqual({ source: 'TRADES', feed: 'alpaca' });
    const refused = await gql<{ ingestBars: { rejected: { code: string }[] } }>(
      first,
      `mutation { ingestBars(bars: [{ symbol: "AAPL", ts: "${new Date(REGULAR.start).toISOString()}", open: 1, high: 1, low: 1, close: 1, volume: 1 }]) { rejected { code } } }`,
    );
    expect(refused.ingestBars.rejected).toEqual([{ code: 'TRADES_SOURCE' }]);

    const stream = await openSse(
      `${first.url}/graphql`,
      `subscription { barUpdates(symbols: ["AAPL"], intervals: ["1m"], completeOnly: true) { kind bar { ${BAR_FIELDS} complete } } }`,
    );
    leftovers.defer(() => stream.close());

    // The first two hours of a generated session, with an unknown condition code added to one print.
    const generated = generateTradeStream({
      seed: 14,
      symbols: ['AAPL'],
      date: DATE,
      tradesPerSymbol: 3_000,
      late: 0.03,
      corrected: 0.01,
      cancelled: 0.01,
    }).messages.filter((m) => m.ts < REGULAR.start + 2 * 3_600_000);
    const messages = generated.map((m, k) => (k === 10 ? { ...m, conditions: [...m.conditions, '&'] } : m));
    const resent = messages.filter((m) => m.id !== undefined && m.cancels === undefined).slice(0, 20);
    const reference = new TradeReference(REGULAR, REGULAR, 1_000);
    const all = [...messages, ...resent];
    for (let k = 0; k < all.length; k += 500) {
      const batch = all.slice(k, k + 500);
      const result = await gql<{
        ingestTicks: { accepted: number; rejected: { index: number; code: string }[] };
      }>(first, INGEST, { t: batch.map(tickInput) });
      const expected = batch.map((m) => reference.play(messageOf(m)));
      const refusedHere = expected.flatMap((outcome, index) =>
        outcome === 'applied' || outcome === 'duplicate' || outcome === 'unchanged'
          ? []
          : [{ index, code: outcome }],
      );
      expect(result.ingestTicks.rejected).toEqual(refusedHere);
      expect(result.ingestTicks.accepted).toBe(batch.length - refusedHere.length);
    }
    expect(reference.outcomes.filter((o) => o === 'duplicate').length).toBeGreaterThanOrEqual(resent.length);

    await gql(
      first,
      'mutation { reportFeedStatus(feed: "alpaca", status: DOWN, at: "2024-03-05T16:30:00Z", reason: "socket closed") { status } }',
    );
    await gql(
      first,
      'mutation { reportFeedStatus(feed: "alpaca", status: UP, at: "2024-03-05T16:31:00Z") { status } }',
    );
    await gql(first, 'mutation { advanceClock(to: "2024-03-05T16:45:00Z") { time } }');

    const base = reference.baseBars();
    expect(await barsOf(first, '1s')).toEqual(base.map(apiBar));
    for (const name of ['1m', '5m', '1d']) {
      expect(await barsOf(first, name), name).toEqual(reference.derivedBars(parseInterval(name)).map(apiBar));
    }

    // Complete 1m bars came as their windows closed; the last version of each is the bar as it is.
    const events: { kind: string; bar: ApiBar & { complete: boolean } }[] = [];
    for (;;) {
      const event = await stream.next(3_000).catch(() => null);
      if (event === null) break;
      events.push((event.data as { barUpdates: (typeof events)[number] }).barUpdates);
    }
    expect(events.length).toBeGreaterThan(10);
    expect(events.every((e) => e.bar.complete)).toBe(true);
    const minutes = new Map((await barsOf(first, '1m')).map((b) => [b.ts, b]));
    const lastOf = new Map(events.map((e) => [e.bar.ts, e.bar]));
    for (const [ts, bar] of lastOf) {
      const { complete: _complete, ...values } = bar;
      expect(values).toEqual(minutes.get(ts));
    }

    const feeds = await gql<{
      session: { feeds: { feed: string; status: string; outages: { start: string; end: string }[] }[] };
      symbol: { interval: { gaps: { start: string; end: string; cause: string }[] } };
    }>(
      first,
      '{ session { feeds { feed status outages { start end } } } symbol(symbol: "AAPL") { interval(name: "1s") { gaps { start end cause } } } }',
    );
    expect(feeds.session.feeds).toEqual([
      {
        feed: 'alpaca',
        status: 'UP',
        outages: [{ start: '2024-03-05T16:30:00.000Z', end: '2024-03-05T16:31:00.000Z' }],
      },
    ]);
    const gaps = feeds.symbol.interval.gaps;
    const overlapping = gaps.filter(
      (g) => g.start < '2024-03-05T16:31:00.000Z' && g.end > '2024-03-05T16:30:00.000Z',
    );
    expect(overlapping.length).toBeGreaterThan(0);
    expect(overlapping.every((g) => g.cause === 'FEED_OUTAGE')).toBe(true);
    expect(gaps.filter((g) => !overlapping.includes(g)).every((g) => g.cause === 'NO_DATA')).toBe(true);
    expect(await (await fetch(`${first.url}/export/gaps.csv?symbol=AAPL&interval=1s`)).text()).toContain(
      ',FEED_OUTAGE\n',
    );
    const metrics = await (await fetch(`${first.url}/metrics`)).text();
    expect(metrics).toMatch(/^session_trade_unknown_conditions_total 1$/m);

    await waitDurable(first);
    const before = await exportData(first);
    await first.stop('SIGKILL');
    const second = await startServer(env);
    expect(await exportData(second)).toEqual(before);

    // The book came back too: a re-sent print is still a duplicate, and a cancel recomputes its window.
    const again = await gql<{ ingestTicks: { accepted: number } }>(second, INGEST, {
      t: resent.slice(0, 3).map(tickInput),
    });
    expect(again.ingestTicks.accepted).toBe(3);
    const survivors = reference
      .surviving()
      .map((s) => s.trade)
      .filter((t) => t.id != null);
    const victim = survivors[survivors.length >> 1]!;
    const cancel = {
      symbol: 'AAPL',
      ts: new Date(victim.ts).toISOString(),
      price: victim.price,
      size: victim.size,
      cancels: victim.id!,
    };
    const outcome = reference.play({ kind: 'cancel', id: victim.id! });
    const cancelled = await gql<{
      ingestTicks: { accepted: number; rejected: { index: number; code: string }[] };
    }>(second, INGEST, {
      t: [cancel],
    });
    if (outcome === 'applied') expect(cancelled.ingestTicks.accepted).toBe(1);
    else expect(cancelled.ingestTicks.rejected).toEqual([{ index: 0, code: outcome }]);
    expect(await barsOf(second, '1s')).toEqual(reference.baseBars().map(apiBar));
    expect(await barsOf(second, '1m')).toEqual(reference.derivedBars(parseInterval('1m')).map(apiBar));
  }, 180_000);
});
