/**
 * The README's promise, with a real `npm start` child and FEED=alpaca against the scripted fake
 * Alpaca (stream and REST over real ports), rehearsing 2024-03-05 with CLOCK_START: the LIVE
 * session of that day starts by itself with FEED_SYMBOLS loaded, the morning is backfilled, the
 * banner says the feed is connected, `Session.feeds` shows it UP, streamed bars arrive, killing the
 * fake's sockets is an outage (logged DOWN then UP, and in `Session.feeds`) and bars resume.
 */
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { FakeAlpaca } from '../fakes/alpaca.ts';
import { asAlpacaBars, asAlpacaHistory, recordedDay } from '../fakes/recorded-day.ts';
import { createScratchDatabase, migratedImage, testDrivers } from '../helpers/db.ts';
import { gqlData } from '../helpers/gql.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { scratchFolder } from '../helpers/scratch.ts';
import { type ServerProcess, spawnServer } from '../helpers/server.ts';

const TOKEN = 'live-feed-e2e-token';
const DATE = '2024-03-05';
const SPY = recordedDay('SPY', DATE);

const leftovers = useLeftovers();
let server: ServerProcess | null = null;

async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env,
    ADMIN_TOKEN: TOKEN,
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
  };
  if (!env['DATABASE_URL']) delete childEnv['DATABASE_URL'];
  const started = await spawnServer({
    args: ['--port', '0'],
    env: childEnv,
    startTimeoutMs: 60_000,
    // The banner comes after the feed's first status (or 5 s).
    ready: /listening on (http:\/\/[\d.]+:\d+)[\s\S]*Try:/,
  });
  leftovers.defer(() => started.stop('SIGTERM'));
  return started;
}

function gql<T>(query: string): Promise<T> {
  return gqlData<T>(server!.url, query, undefined, TOKEN);
}

async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}\n${server?.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface SessionView {
  session: {
    date: string;
    clockMode: string;
    symbols: {
      symbol: string;
      intervals: { name: string; barCount: number; latestBar: { ts: string } | null }[];
    }[];
  };
}
const SESSION =
  '{ session { date clockMode symbols { symbol intervals { name barCount latestBar { ts } } } } }';
const spyBars = (view: SessionView) =>
  view.session.symbols.find((s) => s.symbol === 'SPY')?.intervals.find((i) => i.name === '1m')?.barCount ?? 0;

describe.each(testDrivers())('npm start with FEED=alpaca against the fake (%s)', (driver) => {
  it('starts the session, fills it, shows the outage of a killed socket and resumes', async () => {
    const fake = leftovers.keep(await FakeAlpaca.start(), (f) => f.close());
    fake.setHistory('SPY', asAlpacaHistory(SPY));
    const dataDir = await scratchFolder('live-feed-e2e');
    leftovers.defer(() => rm(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = {
      FEED: 'alpaca',
      APCA_API_KEY_ID: fake.key,
      APCA_API_SECRET_KEY: fake.secret,
      APCA_API_DATA_URL: fake.restUrl,
      APCA_API_STREAM_URL: fake.streamUrl,
      FEED_SYMBOLS: 'SPY',
      CLOCK_START: `${DATE}T10:00:00`,
      CLOCK_SPEED: '1',
      DATA_DIR: dataDir,
    };
    if (driver === 'postgres') {
      const scratch = await createScratchDatabase(process.env['DATABASE_URL']!, 'feede2e');
      leftovers.defer(() => scratch.drop());
      env['DATABASE_URL'] = scratch.url;
    } else {
      // The store exists already, migrated (test/e2e/demo.test.ts starts on an empty folder).
      await (await openDatabase({ dataDir, image: await migratedImage() })).close();
    }
    server = await startServer(env);
    expect(server.output()).toMatch(/feed: alpaca \(iex\) · SPY · connected/);
    expect(server.output()).toMatch(
      /clock: rehearsal \(CLOCK_START\) from 2024-03-05T15:00:00\.000Z at 1× the wall clock/,
    );
    expect(server.output()).not.toContain(fake.secret);

    // The morning [09:30, 10:00) comes from the REST history.
    const morning = await eventually(
      () => gql<SessionView>(SESSION),
      (v) => spyBars(v) === 30,
      'the backfill',
    );
    expect(morning.session).toMatchObject({ date: DATE, clockMode: 'LIVE' });

    fake.push(asAlpacaBars('SPY', SPY.slice(30, 31)));
    await eventually(
      () => gql<SessionView>(SESSION),
      (v) => spyBars(v) === 31,
      'a streamed bar',
    );

    fake.dropConnections();
    await eventually(
      async () => server!.output(),
      (out) =>
        /"status":"DOWN"[^\n]*alpaca connection closed/.test(out) &&
        /"status":"UP"[^\n]*alpaca reconnected/.test(out),
      'the outage in the log',
    );
    await eventually(
      async () => fake.authenticatedConnections,
      (n) => n === 1,
      'the new connection',
    );
    fake.push(asAlpacaBars('SPY', SPY.slice(31, 32)));
    const after = await eventually(
      () => gql<SessionView>(SESSION),
      (v) => spyBars(v) === 32,
      'bars after the outage',
    );
    const latest = after.session.symbols[0]!.intervals.find((i) => i.name === '1m')!.latestBar!.ts;
    expect(latest).toBe(new Date(SPY[31]!.ts).toISOString());
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^session_feed_up\{feed="alpaca"\} 1$/m);
    expect(metrics).toMatch(/^session_feed_outages\{feed="alpaca"\} 1$/m);
    expect(metrics).toMatch(
      /^session_feed_items\{feed="alpaca",kind="bars_backfill",outcome="accepted"\} 30$/m,
    );
    for (const text of [metrics, server.output()]) {
      expect(text).not.toContain(fake.secret);
      expect(text).not.toContain(fake.key);
    }
  });
});
