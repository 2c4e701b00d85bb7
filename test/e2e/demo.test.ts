/**
 * The demo: `npm start` on an empty data folder imports the bundled SPY sample, starts a REPLAY
 * session and serves SPY bars within seconds; the banner names the dashboard first, logs on a pipe
 * are JSON lines; SIGTERM stops it cleanly (exit code 0).
 */
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { useLeftovers } from '../helpers/leftovers.ts';
import { scratchFolder } from '../helpers/scratch.ts';
import { spawnServer } from '../helpers/server.ts';
import { sleep } from '../helpers/wait.ts';

const leftovers = useLeftovers();

describe('npm start on an empty data folder', () => {
  it('serves SPY bars within seconds and stops cleanly on SIGTERM', async () => {
    const dataDir = await scratchFolder('demo');
    leftovers.defer(() => rm(dataDir, { recursive: true, force: true }));
    const { DATABASE_URL: _url, ADMIN_TOKEN: _token, ...inherited } = process.env;
    const env = { ...inherited, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const started = Date.now();
    const server = await spawnServer({ env, startTimeoutMs: 90_000, leftovers });
    const { url } = server;
    expect(server.output()).toMatch(/admin token \(generated/);
    // The banner names the dashboard first; the logs on a pipe are JSON lines.
    expect(/http:\/\/[^\s]+/.exec(server.output())?.[0]).toBe(`${url}/`);
    expect(server.output()).toContain(`Dashboard (open in a browser): ${url}/\n`);
    const page = await fetch(`${url}/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const logLines = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain(
      'demo sample imported',
    );
    expect(server.output()).toContain(
      'demo: replaying SPY of 2011-03-10 from the store, one 1m bar per second',
    );
    const query =
      '{ session { clockMode active } symbol(symbol: "SPY") { loaded interval(name: "1m") { barCount latestBar { ts close } } } }';
    let body: {
      data?: {
        session: { clockMode: string };
        symbol: { loaded: boolean; interval: { barCount: number } | null } | null;
      };
    } = {};
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      body = (await response.json()) as typeof body;
      if ((body.data?.symbol?.interval?.barCount ?? 0) > 0) break;
      await sleep(200);
    }
    expect(body.data?.session.clockMode).toBe('REPLAY');
    expect(body.data?.symbol?.loaded).toBe(true);
    expect(body.data?.symbol?.interval?.barCount).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(await server.stop('SIGTERM')).toBe(0);
  }, 150_000);
});
