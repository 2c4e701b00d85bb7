/**
 * A REPLAY session through the API: the real service replays the stored SPY bars of a date through
 * the ingest path, so a graphql-ws subscriber receives every regular-session bar in order, 5m bars
 * close as the clock passes them, and the session ends with the last bar.
 */
import { createClient } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { importSample } from '../../src/feed/import.ts';
import { createYoga } from '../../src/graphql/yoga.ts';
import { listen } from '../../src/http/listen.ts';
import { SessionService } from '../../src/service/session-service.ts';
import { SessionData } from '../../src/session/session-data.ts';
import { createLoaders } from '../../src/store/loaders.ts';
import { Repository } from '../../src/store/repository.ts';
import { StoreWriter } from '../../src/store/writer.ts';
import { createTestApi, useAppDatabase } from '../helpers/app.ts';
import { createTestDatabase, resetDatabase, testDrivers } from '../helpers/db.ts';
import { ADMIN_TOKEN } from '../helpers/gql.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { readSpy, SPY_MARCH } from '../helpers/spy.ts';
import { sleep } from '../helpers/wait.ts';

const DATE = '2011-03-10';

const leftovers = useLeftovers();
const database = useAppDatabase();

describe('a replay on pglite', () => {
  it('streams the stored bars in order through subscriptions and ends the session', async () => {
    await resetDatabase(database());
    const repo = new Repository(database());
    await importSample(repo);
    const session = new SessionData();
    const sink = new StoreWriter(repo);
    const service = new SessionService(session, repo, sink);
    const yoga = createYoga({ service, adminToken: ADMIN_TOKEN, createLoaders: () => createLoaders(repo) });
    const http = await listen({ yoga, session, host: '127.0.0.1', port: 0 });
    const client = createClient({
      url: `${http.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const run = <T>(query: string) =>
      new Promise<T>((resolve, reject) => {
        let value: T;
        client.subscribe<T>(
          { query },
          { next: (v) => (value = v as T), error: reject, complete: () => resolve(value) },
        );
      });
    try {
      const bars: string[] = [];
      const closed: string[] = [];
      let starts = 0;
      const ended = new Promise<void>((resolve) => {
        client.subscribe(
          { query: 'subscription { sessionEvents { kind } }' },
          {
            next: (v) => {
              const kind = (v.data as { sessionEvents: { kind: string } }).sessionEvents.kind;
              if (kind === 'SESSION_STARTED') starts++;
              if (kind === 'SESSION_ENDED' && starts === 2) resolve();
            },
            error: () => undefined,
            complete: () => undefined,
          },
        );
      });
      client.subscribe(
        {
          query:
            'subscription { barUpdates(symbols: ["SPY"], intervals: ["1m", "5m"], completeOnly: true) { interval kind bar { ts complete } } }',
        },
        {
          next: (v) => {
            const e = (
              v.data as {
                barUpdates: { interval: string; kind: string; bar: { ts: string; complete: boolean } };
              }
            ).barUpdates;
            expect(e.bar.complete).toBe(true);
            (e.interval === '1m' ? bars : closed).push(e.bar.ts);
          },
          error: () => undefined,
          complete: () => undefined,
        },
      );
      await sleep(100);
      // Configure SPY in a MANUAL session, then start the replay: the new session reloads it.
      await run(`mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
      await run(`mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { symbol } }`);
      await sleep(100);
      bars.length = 0;
      closed.length = 0;
      const started = await run<{ data: { startSession: { clockMode: string } } }>(
        `mutation { startSession(date: "${DATE}", clockMode: REPLAY, replaySpeed: 50000) { clockMode } }`,
      );
      expect(started.data.startSession).toEqual({ clockMode: 'REPLAY' });
      await ended;
      await sleep(100);
      const open = Date.UTC(2011, 2, 10, 14, 30);
      const expected = readSpy(SPY_MARCH)
        .get(DATE)!
        .filter((b) => b.ts >= open && b.ts < open + 390 * 60_000)
        .map((b) => new Date(b.ts).toISOString());
      expect(bars).toEqual(expected);
      expect(closed).toHaveLength(78);
      expect(closed[0]).toBe('2011-03-10T14:30:00.000Z');
      const state = await run<{ data: { session: { active: boolean; phase: string; time: string } } }>(
        '{ session { active phase time } }',
      );
      expect(state.data.session).toEqual({
        active: false,
        phase: 'CLOSED',
        time: '2011-03-10T21:00:00.000Z',
      });
    } finally {
      await client.dispose();
      await http.close();
      service.dispose();
      await sink.close();
    }
  });
});

describe.each(testDrivers())('a replay of several symbols on %s', (driver) => {
  it('plays every stored bar of every symbol: the replayed tree equals the store', async () => {
    const db = leftovers.keep(await createTestDatabase(driver), (d) => d.dispose());
    const api = await createTestApi({ database: db.database, spy: false, leftovers });
    const date = '2011-01-12';
    const open = Date.parse(`${date}T14:30:00Z`);
    const day = readSpy()
      .get(date)!
      .filter((b) => b.ts >= open && b.ts < open + 390 * 60_000);
    expect(day).toHaveLength(390);
    const symbols = ['SPY', 'QQQ', 'IWM', 'DIA', 'XLF'];
    const stored = new Map(
      symbols.map((symbol, k) => [
        symbol,
        day.map((b) => ({
          ts: new Date(b.ts).toISOString(),
          open: b.open + k,
          high: b.high + k,
          low: b.low + k,
          close: b.close + k,
          volume: b.volume + k,
        })),
      ]),
    );
    await api.app.repository.upsertBars(
      symbols.flatMap((symbol) =>
        stored.get(symbol)!.map((b) => ({
          ...b,
          ts: Date.parse(b.ts),
          vwap: null,
          tradeCount: null,
          revision: 0,
          symbol,
          interval: '1m',
          sessionDate: date,
        })),
      ),
    );
    await api.gql(`mutation { startSession(date: "${date}", clockMode: MANUAL) { date } }`);
    const load = (symbol: string) =>
      api.gql(`mutation { loadSymbol(input: { symbol: "${symbol}", historicalDays: 0 }) { symbol } }`);
    // Four configured in a MANUAL session (the replay's session reloads them); the fifth joins mid-replay.
    for (const symbol of symbols.slice(0, 4)) await load(symbol);
    await api.gql('mutation { endSession { date } }');
    await api.gql(
      `mutation { startSession(date: "${date}", clockMode: REPLAY, replaySpeed: 20000) { date } }`,
    );
    const midMorning = Date.parse(`${date}T15:30:00Z`);
    while (api.session.active && (api.session.time ?? 0) < midMorning) await sleep(5);
    expect(api.session.active).toBe(true);
    await load('XLF');
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && api.session.active) await sleep(50);
    expect(api.session.active).toBe(false);
    for (const symbol of symbols) {
      const r = await api.gql<{
        symbol: { interval: { bars: { nodes: Record<string, unknown>[] } } };
      }>(
        `{ symbol(symbol: "${symbol}") { interval(name: "1m") { bars(first: 10000) { nodes { ts open high low close volume } } } } }`,
      );
      expect([symbol, r.data?.symbol.interval.bars.nodes]).toEqual([symbol, stored.get(symbol)]);
      const fives = await api.gql<{ symbol: { interval: { barCount: number } } }>(
        `{ symbol(symbol: "${symbol}") { interval(name: "5m") { barCount } } }`,
      );
      expect([symbol, fives.data?.symbol.interval.barCount]).toEqual([symbol, 78]);
    }
  });
});

describe('replay control', () => {
  it('replays stored bars with their revisions and does not write them again', async () => {
    const api = await createTestApi({ database: database(), leftovers });
    const opening = readSpy()
      .get('2011-01-12')!
      .find((b) => b.ts === Date.parse('2011-01-12T14:30:00Z'))!;
    await api.app.repository.upsertBars([
      {
        ...opening,
        low: opening.low - 0.01,
        revision: 2,
        symbol: 'SPY',
        interval: '1m',
        sessionDate: '2011-01-12',
      },
    ]);
    const writtenBefore = api.app.writer.status().written.bars;
    await api.gql('mutation { startSession(date: "2011-01-12", clockMode: MANUAL) { date } }');
    await api.gql('mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { symbol } }');
    await api.gql(
      'mutation { startSession(date: "2011-01-12", clockMode: REPLAY, replaySpeed: 100000) { date } }',
    );
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && api.session.active) await sleep(50);
    expect(api.session.active).toBe(false);
    const r = await api.gql<{
      symbol: { interval: { barCount: number; bars: { nodes: { revision: number }[] } } };
    }>(
      '{ symbol(symbol: "SPY") { interval(name: "1m") { barCount bars(first: 1) { nodes { revision } } } } }',
    );
    expect(r.data?.symbol.interval.barCount).toBe(390);
    expect(r.data?.symbol.interval.bars.nodes[0]?.revision).toBe(2);
    await api.app.writer.flush();
    expect(api.app.writer.status().written.bars).toBe(writtenBefore);
  });

  it('two identical loads at once share one read', async () => {
    const api = await createTestApi({ database: database(), leftovers });
    await api.gql('mutation { startSession(date: "2011-01-12", clockMode: MANUAL) { date } }');
    const loads: string[] = [];
    const off = api.session.events.on('session', (e) => {
      if (e.kind === 'SYMBOL_LOADED') loads.push(e.symbol ?? '');
    });
    const input = { symbol: 'SPY', historicalDays: 2 };
    const [a, b] = await Promise.all([api.service.loadSymbol(input), api.service.loadSymbol(input)]);
    off();
    expect(a).toBe(b);
    expect(loads).toEqual(['SPY']);
  });

  it('waits for a symbol when started with nothing to play, then plays it', async () => {
    const api = await createTestApi({ database: database(), leftovers });
    await api.gql(
      'mutation { startSession(date: "2011-01-12", clockMode: REPLAY, replaySpeed: 6000) { date } }',
    );
    await sleep(200);
    expect((await api.gql('{ session { active replay { finished } } }')).data).toEqual({
      session: { active: true, replay: { finished: false } },
    });
    await api.gql('mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { symbol } }');
    const deadline = Date.now() + 10_000;
    let count = 0;
    while (Date.now() < deadline && count < 3) {
      const r = await api.gql<{ symbol: { interval: { barCount: number } } }>(
        '{ symbol(symbol: "SPY") { interval(name: "1m") { barCount } } }',
      );
      count = r.data?.symbol.interval.barCount ?? 0;
      await sleep(50);
    }
    expect(count).toBeGreaterThanOrEqual(3);
  });

  it('pauses and resumes a replay; the clock stands still while paused', async () => {
    const api = await createTestApi({ database: database(), leftovers });
    await api.gql('mutation { startSession(date: "2011-01-12", clockMode: MANUAL) { date } }');
    await api.gql('mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { symbol } }');
    const r = await api.gql<{
      startSession: { clockMode: string; replay: { speed: number; paused: boolean } };
    }>(
      'mutation { startSession(date: "2011-01-12", clockMode: REPLAY, replaySpeed: 600) { clockMode replay { speed paused } } }',
    );
    expect(r.data?.startSession).toEqual({ clockMode: 'REPLAY', replay: { speed: 600, paused: false } });
    await sleep(300);
    const paused = await api.gql<{
      pauseReplay: { time: string; replay: { paused: boolean; remaining: number } };
    }>('mutation { pauseReplay { time replay { paused remaining } } }');
    expect(paused.data?.pauseReplay.replay.paused).toBe(true);
    const status = '{ session { replay { paused } } }';
    expect((await api.gql(status)).data).toEqual({ session: { replay: { paused: true } } });
    await sleep(300);
    const still = await api.gql<{ session: { time: string } }>('{ session { time } }');
    expect(still.data?.session.time).toBe(paused.data?.pauseReplay.time);
    const resumed = await api.gql<{ resumeReplay: { replay: { paused: boolean } } }>(
      'mutation { resumeReplay { replay { paused } } }',
    );
    expect(resumed.data?.resumeReplay.replay.paused).toBe(false);
    expect((await api.gql(status)).data).toEqual({ session: { replay: { paused: false } } });
    await sleep(300);
    const moved = await api.gql<{ session: { time: string } }>('{ session { time } }');
    expect(Date.parse(moved.data!.session.time)).toBeGreaterThan(Date.parse(paused.data!.pauseReplay.time));
  });
});
