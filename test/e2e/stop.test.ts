/**
 * A clean stop keeps everything acknowledged (issue 13, item 10): `npm start` runs in its own
 * process group, ~24,000 ticks are ingested and acknowledged, large reads keep the event loop busy,
 * and the whole group gets SIGTERM (what Ctrl-C or systemd's stop does; npm relays it to the server
 * again), then once more. After a restart on the same store every acknowledged tick is there.
 * Runs on PGlite and on real PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { testDrivers } from '../helpers/db.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { processStore, type ServerProcess, spawnServer } from '../helpers/server.ts';

const TOKEN = 'stop-test-token';
const DATE = '2011-01-11';
const TICKS = 24_293;

async function gql<T>(server: ServerProcess, query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

/** Waits until a process is gone (npm may end before the server it started has flushed). */
async function gone(pid: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(testDrivers())('a clean stop on %s', (driver) => {
  const leftovers = useLeftovers();

  it('keeps every acknowledged tick when the process group gets SIGTERM twice during large reads', async () => {
    const store = await processStore(driver, 'stop');
    leftovers.defer(() => store.drop());
    const env = { ...process.env, ...store.env, ADMIN_TOKEN: TOKEN, LOG_FORMAT: 'json' };
    const args = ['--no-demo', '--port', '0'];
    const first = await spawnServer({
      args,
      env: { ...env, LOG_LEVEL: 'info' },
      group: true,
      startTimeoutMs: 60_000,
    });
    const pid = Number(/"pid":(\d+)/.exec(first.output())?.[1] ?? Number.NaN);
    await gql(first, `mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
    await gql(first, 'mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { loaded } }');
    const start = Date.UTC(2011, 0, 11, 14, 30);
    let accepted = 0;
    for (let from = 0; from < TICKS; from += 10_000) {
      const ticks = Array.from({ length: Math.min(10_000, TICKS - from) }, (_, i) => ({
        symbol: 'SPY',
        ts: new Date(start + (from + i) * 500).toISOString(),
        price: 127 + ((from + i) % 100) / 100,
        size: 100 + ((from + i) % 7),
      }));
      const result = await gql<{ ingestTicks: { accepted: number } }>(
        first,
        'mutation($t: [TickInput!]!) { ingestTicks(ticks: $t) { accepted } }',
        { t: ticks },
      );
      accepted += result.ingestTicks.accepted;
    }
    expect(accepted).toBe(TICKS);
    // Large reads, each a different document (no cached answer): the loop is busy when the signals come.
    const reads = [0, 1, 2, 3].map((i) =>
      fetch(`${first.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `{ symbol(symbol: "SPY") { ticks(last: ${10_000 - i}) { ts price size } } }`,
        }),
      }).catch(() => null),
    );
    reads.push(fetch(`${first.url}/export`).catch(() => null));
    await new Promise((resolve) => setTimeout(resolve, 5));
    first.signal('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 15));
    first.signal('SIGTERM');
    await Promise.all(reads);
    await first.exited;
    if (Number.isFinite(pid)) await gone(pid);
    const log = first.output();
    expect(log).toContain('shutting down');
    expect(log).not.toMatch(/shutdown failed|exiting now|not written|longer than/);

    const second = await spawnServer({
      args,
      env: { ...env, LOG_LEVEL: 'warn' },
      startTimeoutMs: 60_000,
      leftovers,
    });
    const exported = (await (await fetch(`${second.url}/export?symbols=SPY`)).json()) as {
      data: { symbols: { SPY: { ticks: { count: number } } } };
    };
    expect(exported.data.symbols.SPY.ticks.count).toBe(TICKS);
  }, 120_000);
});
