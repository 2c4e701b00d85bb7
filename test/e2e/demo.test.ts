/**
 * The demo: `npm start` on an empty data folder imports the bundled SPY sample, starts a REPLAY
 * session and serves SPY bars within seconds; the banner names the dashboard first, logs on a pipe
 * are JSON lines; SIGTERM stops it cleanly (exit code 0).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('npm start on an empty data folder', () => {
  let child: ChildProcess | null = null;
  let dataDir = '';

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('serves SPY bars within seconds and stops cleanly on SIGTERM', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'demo-'));
    const { DATABASE_URL: _url, ADMIN_TOKEN: _token, ...inherited } = process.env;
    const env = { ...inherited, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const started = Date.now();
    child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = /listening on (http:\/\/[^\s]+)/.exec(output);
        if (match) {
          clearInterval(timer);
          resolve(match[1]!);
        } else if (child?.exitCode !== null || Date.now() - started > 90_000) {
          clearInterval(timer);
          reject(new Error(`server did not start:\n${output}`));
        }
      }, 50);
    });
    expect(output).toMatch(/admin token \(generated/);
    // The banner names the dashboard first; the logs on a pipe are JSON lines.
    expect(/http:\/\/[^\s]+/.exec(output)?.[0]).toBe(`${url}/`);
    expect(output).toContain(`Dashboard (open in a browser): ${url}/\n`);
    const page = await fetch(`${url}/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const logLines = output.split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain(
      'demo sample imported',
    );
    expect(output).toContain('demo: replaying SPY of 2011-03-10 from the store, one 1m bar per second');
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
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(body.data?.session.clockMode).toBe('REPLAY');
    expect(body.data?.symbol?.loaded).toBe(true);
    expect(body.data?.symbol?.interval?.barCount).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 150_000);
});
