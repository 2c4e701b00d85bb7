/**
 * PostgreSQL lost mid-session, through the whole app: the hot tree keeps answering queries and
 * accepting bars, /ready reports the failing writer, and once the server is back every acknowledged
 * bar is written. Real PostgreSQL behind a TCP proxy that cuts and refuses connections.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import {
  createScratchDatabase,
  createTcpProxy,
  type ScratchDatabase,
  type TcpProxy,
  testDatabaseUrl,
} from '../helpers/db.ts';
import { ADMIN_TOKEN, gql as request } from '../helpers/gql.ts';
import { readSpy } from '../helpers/spy.ts';
import { waitFor } from '../helpers/wait.ts';

describe.runIf(testDatabaseUrl() !== undefined)('the store goes away mid-session (real PostgreSQL)', () => {
  let scratch: ScratchDatabase | null = null;
  let proxy: TcpProxy | null = null;
  let app: App | null = null;
  afterAll(async () => {
    await proxy?.restore().catch(() => undefined);
    await app?.dispose();
    await proxy?.close();
    await scratch?.drop();
  });

  it('keeps serving the tree, refuses nothing acknowledged, and catches up when it is back', async () => {
    scratch = await createScratchDatabase(testDatabaseUrl()!, 'outage');
    proxy = await createTcpProxy(scratch.url);
    app = await createApp({
      adminToken: ADMIN_TOKEN,
      databaseUrl: proxy.url,
      demo: false,
      logLevel: 'silent',
      defaultMetrics: false,
      writeDelayMs: 20,
      writeMode: 'write-behind',
    });
    const gql = async <T>(query: string, variables: Record<string, unknown> = {}) => {
      const body = await request<T>(app!.yoga, query, variables, ADMIN_TOKEN);
      expect(body.errors).toBeUndefined();
      return body.data as T;
    };
    await gql('mutation { startSession(date: "2011-01-12", clockMode: MANUAL) { date } }');
    await gql('mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { loaded } }');
    const bars = readSpy()
      .get('2011-01-12')!
      .filter((b) => b.ts >= Date.parse('2011-01-12T14:30:00Z') && b.ts < Date.parse('2011-01-12T21:00:00Z'))
      .map((b) => ({
        symbol: 'SPY',
        ts: new Date(b.ts).toISOString(),
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        volume: b.volume,
      }));
    const ingest = 'mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted rejected { code } } }';
    await gql(ingest, { b: bars.slice(0, 100) });
    await app.writer.flush();

    await proxy.cut();
    const during = await gql<{ ingestBars: { accepted: number } }>(ingest, { b: bars.slice(100) });
    expect(during.ingestBars.accepted).toBe(bars.length - 100);
    const read = await gql<{ symbol: { interval: { barCount: number; quality: number } } }>(
      '{ symbol(symbol: "SPY") { interval(name: "1m") { barCount quality } } }',
    );
    expect(read.symbol.interval).toEqual({ barCount: 390, quality: 100 });
    await waitFor(() => app!.writer.status().failedAttempts > 0, { timeoutMs: 20_000, intervalMs: 25 });
    expect(app.ready()).toBe(false);
    expect(app.writer.backlog).toBeGreaterThan(0);

    await proxy.restore();
    await waitFor(() => app!.writer.backlog === 0 && app!.ready(), { timeoutMs: 20_000, intervalMs: 25 });
    const stored = await app.repository.readBars('SPY', '1m', 0, Number.MAX_SAFE_INTEGER);
    expect(stored).toHaveLength(390);
    expect(stored.map((b) => new Date(b.ts).toISOString())).toEqual(bars.map((b) => b.ts));
  }, 60_000);

  it('durable mode: an ingest during the outage is STORE_UNAVAILABLE after the ack timeout, and written once the store is back', async () => {
    await app?.dispose();
    await proxy?.close();
    await scratch?.drop();
    scratch = await createScratchDatabase(testDatabaseUrl()!, 'outage');
    proxy = await createTcpProxy(scratch.url);
    app = await createApp({
      adminToken: ADMIN_TOKEN,
      databaseUrl: proxy.url,
      demo: false,
      logLevel: 'silent',
      defaultMetrics: false,
      writeMode: 'durable',
      writeAckTimeoutMs: 500,
    });
    const send = <T>(query: string, variables: Record<string, unknown> = {}) =>
      request<T>(app!.yoga, query, variables, ADMIN_TOKEN);
    await send('mutation { startSession(date: "2011-01-12", clockMode: MANUAL) { date } }');
    await send('mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { loaded } }');
    const bars = readSpy()
      .get('2011-01-12')!
      .filter((b) => b.ts >= Date.parse('2011-01-12T14:30:00Z') && b.ts < Date.parse('2011-01-12T21:00:00Z'))
      .map((b) => ({
        symbol: 'SPY',
        ts: new Date(b.ts).toISOString(),
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        volume: b.volume,
      }));
    const ingest = 'mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted } }';
    const before = await send<{ ingestBars: { accepted: number } }>(ingest, { b: bars.slice(0, 100) });
    expect(before.data?.ingestBars.accepted).toBe(100);
    expect(app.writer.backlog).toBe(0); // answered after the commit

    await proxy.cut();
    const during = await send(ingest, { b: bars.slice(100) });
    expect(during.errors?.map((e) => e.extensions?.code)).toEqual(['STORE_UNAVAILABLE']);
    await proxy.restore();
    await waitFor(() => app!.writer.backlog === 0 && app!.ready(), { timeoutMs: 20_000, intervalMs: 25 });
    expect(await app.repository.readBars('SPY', '1m', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(390);
  }, 60_000);
});
