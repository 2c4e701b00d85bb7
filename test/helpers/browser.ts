/**
 * A real browser for tests: Debian's Chromium (`/usr/bin/chromium`, or `CHROMIUM_PATH`) driven by
 * playwright-core, headless, with a fresh user-data folder and Chromium's background connections
 * off (this machine has no network; they would fail noisily). `.ci/run` installs the `chromium`
 * package when it is missing; elsewhere the browser tests skip with a line saying why.
 *
 * ```ts
 * const chromium = chromiumPath();
 * describe.skipIf(chromium === null)('…', () => { const browser = useBrowser(); … });
 * ```
 */
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

/** Where screenshots of the browser tests go (ignored by git). */
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Chromium's headless flags for a machine without network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-quic',
];

/** The Chromium executable, or null (after printing why the browser tests skip). */
export function chromiumPath(): string | null {
  const path = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    console.warn(
      `browser tests skipped: no Chromium at ${path} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
    );
    return null;
  }
}

/** What a page did that a test may check: console errors, failed requests, every URL it asked for. */
export interface PageLog {
  readonly consoleErrors: string[];
  readonly failedRequests: string[];
  readonly requests: string[];
}

/** Records a page's console errors, page errors, failed requests and requested URLs. */
export function watchPage(page: Page): PageLog {
  const log: PageLog = { consoleErrors: [], failedRequests: [], requests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') log.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => log.consoleErrors.push(`page error: ${error.message}`));
  page.on('request', (request) => log.requests.push(request.url()));
  page.on('requestfailed', (request) =>
    log.failedRequests.push(`${request.url()}: ${request.failure()?.errorText ?? 'failed'}`),
  );
  page.on('response', (response) => {
    if (response.status() >= 400) log.failedRequests.push(`${response.url()}: HTTP ${response.status()}`);
  });
  return log;
}

/**
 * Registers hooks that launch Chromium once for the suite (a persistent context on a fresh
 * user-data folder, 1440×900) and close it afterwards; returns the accessor of the context.
 */
export function useBrowser(executablePath: string): () => BrowserContext {
  let context: BrowserContext | undefined;
  let profile = '';
  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 900 },
      deviceScaleFactor: 1,
      timezoneId: 'Europe/Berlin',
    });
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });
  return () => {
    if (!context) throw new Error('no browser (use inside a test)');
    return context;
  };
}
