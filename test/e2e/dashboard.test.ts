/**
 * The dashboard and GraphiQL in a real browser (Debian's Chromium through playwright-core) against
 * a real server on a real port: the app on an embedded database (kept open across the app's restart), a MANUAL session
 * of 2011-03-10 with SPY (real minute bars, history for prev_close, a known gap) and a second
 * symbol, data ingested through the API. Screenshots go to test-artifacts/ (ignored by git).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import type { StoredBar } from '../../src/domain/types.ts';
import { type HttpService, listen } from '../../src/http/listen.ts';
import { useAppDatabase } from '../helpers/app.ts';
import { ARTIFACTS, chromiumPath, type PageLog, useBrowser, watchPage } from '../helpers/browser.ts';
import { gqlData } from '../helpers/gql.ts';
import { readSpy, SPY_MARCH } from '../helpers/spy.ts';

const TOKEN = 'dashboard-test-token';
const DATE = '2011-03-10';
const chromium = chromiumPath();

/** A bar as BarInput. */
function input(symbol: string, bar: StoredBar, scale = 1) {
  const r = (v: number) => Math.round(v * scale * 100) / 100;
  return {
    symbol,
    ts: new Date(bar.ts).toISOString(),
    open: r(bar.open),
    high: r(bar.high),
    low: r(bar.low),
    close: r(bar.close),
    volume: bar.volume,
    vwap: r((bar.high + bar.low + bar.close) / 3),
  };
}

const at = (hhmm: string) => Date.parse(`${DATE}T${hhmm}:00-05:00`);

describe.skipIf(chromium === null)('the dashboard in Chromium', () => {
  const context = useBrowser(chromium ?? '');
  const database = useAppDatabase();
  let app: App | null = null;
  let http: HttpService | null = null;
  let origin = '';
  let port = 0;
  let page: Page;
  let log: PageLog;
  const spy = readSpy(SPY_MARCH);
  const today = spy.get(DATE)!.filter((b) => b.ts >= at('09:30') && b.ts < at('16:00'));

  async function start(): Promise<void> {
    app = await createApp({
      adminToken: TOKEN,
      database: database(),
      demo: false,
      logLevel: 'silent',
      defaultMetrics: false,
    });
    http = await listen({
      yoga: app.yoga,
      session: app.session,
      host: '127.0.0.1',
      port,
      metrics: app.metrics,
    });
    port = http.port;
    origin = http.url;
  }

  async function stop(): Promise<void> {
    await http?.close();
    await app?.dispose();
    http = null;
    app = null;
  }

  function gql<T = Record<string, unknown>>(query: string, variables = {}): Promise<T> {
    return gqlData<T>(origin, query, variables, TOKEN);
  }

  async function ingest(bars: ReturnType<typeof input>[]): Promise<void> {
    const result = await gql<{ ingestBars: { accepted: number } }>(
      'mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted rejected { index code message } } }',
      { b: bars },
    );
    expect(result.ingestBars.accepted).toBe(bars.length);
  }

  /** Bars of the chart's series (time in s, close), read in the page. */
  function chartBars(): Promise<{ time: number; close: number | null }[]> {
    return page.evaluate(() =>
      (globalThis as unknown as DashboardWindow).dashboard.chart.candles
        .data()
        .map((p) => ({ time: Number(p.time), close: 'close' in p ? p.close : null })),
    );
  }

  /** Share of the plot area's pixels that differ from the background, and one pixel's colour. */
  function chartPixels(sample?: { x: number; y: number }) {
    return page.evaluate((point) => {
      const canvas = (globalThis as unknown as DashboardWindow).dashboard.chart.chart.takeScreenshot();
      const ctx = canvas.getContext('2d')!;
      const plotWidth = canvas.width - 80;
      const plotHeight = canvas.height - 40;
      const data = ctx.getImageData(0, 0, plotWidth, plotHeight).data;
      let drawn = 0;
      for (let i = 0; i < data.length; i += 4) {
        const d = Math.abs(data[i]! - 0x13) + Math.abs(data[i + 1]! - 0x1a) + Math.abs(data[i + 2]! - 0x22);
        if (d > 30) drawn++;
      }
      const pixel = point ? [...ctx.getImageData(point.x, point.y, 1, 1).data] : null;
      return { share: drawn / (plotWidth * plotHeight), pixel, width: canvas.width, height: canvas.height };
    }, sample ?? null);
  }

  beforeAll(async () => {
    await start();
    const history = ['2011-03-08', '2011-03-09'].flatMap((date) =>
      spy.get(date)!.map((bar) => ({ ...bar, symbol: 'SPY', interval: '1m', sessionDate: date })),
    );
    await app!.repository.upsertBars(history);
    await gql(`mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
    await gql(
      'mutation { loadSymbol(input: { symbol: "SPY", derivedIntervals: ["5m", "15m", "1h"] }) { loaded } }',
    );
    await gql('mutation { loadSymbol(input: { symbol: "QQQ", derivedIntervals: ["5m"] }) { loaded } }');
    const morning = today.filter((b) => b.ts < at('11:31'));
    // SPY misses 10:00–10:04 (one gap of five 1m bars); QQQ misses 10:30–10:31.
    await ingest(
      morning.filter((b) => b.ts < at('10:00') || b.ts >= at('10:05')).map((b) => input('SPY', b)),
    );
    await ingest(
      morning.filter((b) => b.ts < at('10:30') || b.ts >= at('10:32')).map((b) => input('QQQ', b, 0.42)),
    );
    page = await context().newPage();
    log = watchPage(page);
  }, 120_000);

  afterAll(async () => {
    await stop();
  });

  async function waitLive(): Promise<void> {
    await page.locator('#connection[data-state="connected"]').waitFor({ timeout: 20_000 });
  }

  it('loads with no console error and no failed request, everything from the server itself', async () => {
    await page.goto(`${origin}/`);
    await waitLive();
    // No choice in the URL: the first symbol, its base interval, written into the URL.
    await page.locator('body[data-chart="QQQ 1m"]').waitFor({ timeout: 20_000 });
    expect(page.url()).toBe(`${origin}/?symbol=QQQ&interval=1m`);
    await page.locator('#symbols tbody tr[data-symbol="SPY"] th a').click();
    await page.locator('body[data-chart="SPY 1m"]').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-loaded.png') });
    expect(log.consoleErrors).toEqual([]);
    expect(log.failedRequests).toEqual([]);
    expect(log.requests.length).toBeGreaterThan(5);
    expect(log.requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    expect(page.url()).toBe(`${origin}/?symbol=SPY&interval=1m`);
    await expect(page.title()).resolves.toContain('Session data service');
    expect(await page.locator('#s-date').textContent()).toBe(DATE);
    expect(await page.locator('#s-mode').textContent()).toBe('manual');
    expect(await page.locator('#s-clock').textContent()).toBe('11:31:00 EST');
  }, 60_000);

  it('shows each symbol in a table with the figures the GraphQL API returns', async () => {
    const { session } = await gql<{
      session: {
        symbols: {
          symbol: string;
          metrics: { last: number; volume: number; vwap: number; barCount: number };
          intervals: { name: string; quality: number | null; gapCount: number }[];
          historical: { indicator: { value: number | null } };
        }[];
      };
    }>(
      '{ session { symbols { symbol metrics { last volume vwap barCount } intervals { name quality gapCount } historical { indicator(name: "prev_close") { value } } } } }',
    );
    expect(session.symbols.map((s) => s.symbol)).toEqual(['QQQ', 'SPY']);
    const headers = await page.locator('#symbols thead th').allTextContents();
    expect(headers).toEqual(['Symbol', 'Last', 'Change', 'Volume', 'VWAP', 'Bars', '1m', '5m', '15m', '1h']);
    for (const s of session.symbols) {
      const row = page.locator(`#symbols tbody tr[data-symbol="${s.symbol}"]`);
      await expect(row.locator('th[scope="row"]').textContent()).resolves.toBe(s.symbol);
      const value = (col: string) => row.locator(`[data-col="${col}"]`).getAttribute('data-value');
      const text = (col: string) => row.locator(`[data-col="${col}"]`).textContent();
      expect(Number(await value('last'))).toBe(s.metrics.last);
      expect(Number(await value('volume'))).toBe(s.metrics.volume);
      expect(Number(await value('vwap'))).toBe(s.metrics.vwap);
      expect(Number(await value('bars'))).toBe(s.metrics.barCount);
      expect(await text('last')).toBe(s.metrics.last.toFixed(2));
      expect(await text('volume')).toBe(s.metrics.volume.toLocaleString('en-US'));
      expect(await text('bars')).toBe(String(s.metrics.barCount));
      for (const interval of s.intervals) {
        const cell = row.locator(`[data-col="interval:${interval.name}"]`);
        expect(await cell.getAttribute('data-gaps')).toBe(String(interval.gapCount));
        const quality = await cell.getAttribute('data-value');
        expect(quality === null ? null : Number(quality)).toBe(interval.quality);
      }
      const prev = s.historical.indicator.value;
      if (prev === null) expect(await text('change')).toBe('—');
      else expect(await text('change')).toMatch(/^[+−]\d+\.\d\d \([+-]\d+\.\d\d%\)$/);
    }
    expect(session.symbols.find((s) => s.symbol === 'SPY')!.historical.indicator.value).not.toBeNull();
    expect(
      await page.locator('tr[data-symbol="SPY"] [data-col="interval:1m"]').getAttribute('data-gaps'),
    ).toBe('1');

    // Sortable: volume descending, then ascending; the header says which.
    const order = () =>
      page.locator('#symbols tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-symbol')));
    const byVolume = [...session.symbols]
      .sort((a, b) => b.metrics.volume - a.metrics.volume)
      .map((s) => s.symbol);
    await page.locator('#symbols thead th[data-col="volume"] button').click();
    expect(await order()).toEqual(byVolume);
    expect(await page.locator('#symbols thead th[data-col="volume"]').getAttribute('aria-sort')).toBe(
      'descending',
    );
    await page.locator('#symbols thead th[data-col="volume"] button').press('Enter');
    expect(await order()).toEqual([...byVolume].reverse());
    expect(await page.locator('#symbols thead th[data-col="volume"]').getAttribute('aria-sort')).toBe(
      'ascending',
    );
  }, 60_000);

  it('draws the chart: candles and volume in the plot area, the gap shaded and listed', async () => {
    const bars = await chartBars();
    const spyBars = today.filter((b) => b.ts < at('11:31') && (b.ts < at('10:00') || b.ts >= at('10:05')));
    expect(bars.filter((b) => b.close !== null).length).toBe(spyBars.length);
    // The gap's five windows are whitespace points, so the gap takes their room on the time scale.
    const slots = [0, 1, 2, 3, 4].map((i) => at('10:00') + i * 60_000);
    const placed = await page.evaluate((times) => {
      const { chart } = (globalThis as unknown as DashboardWindow).dashboard;
      return times.map(
        (t) => chart.times.includes(t) && chart.chart.timeScale().timeToCoordinate(t / 1000) !== null,
      );
    }, slots);
    expect(placed).toEqual([true, true, true, true, true]);
    // The whole morning fits: show all of it, so the gap is in view.
    await page.evaluate(() =>
      (globalThis as unknown as DashboardWindow).dashboard.chart.chart.timeScale().fitContent(),
    );
    await page.waitForFunction(
      () => (globalThis as unknown as DashboardWindow).dashboard.chart.overlay.drawn.length === 1,
    );
    const band = await page.evaluate(
      () => (globalThis as unknown as DashboardWindow).dashboard.chart.overlay.drawn[0]!,
    );
    expect(band.label).toBe('10:00–10:05 EST · 5 missing bars · no data');
    expect(band.x2 - band.x1).toBeGreaterThan(5);
    const pixels = await chartPixels({ x: Math.round((band.x1 + band.x2) / 2), y: 60 });
    expect(pixels.share).toBeGreaterThan(0.01);
    const [r, , b] = pixels.pixel!;
    // Amber over the dark background: red well above blue, brighter than the background.
    expect(r! - b!).toBeGreaterThan(12);
    expect(r!).toBeGreaterThan(0x13 + 20);
    await expect(page.locator('#gap-list li').allTextContents()).resolves.toEqual([band.label]);
    await page.locator('#chart').screenshot({ path: join(ARTIFACTS, 'dashboard-chart-1m.png') });
  }, 60_000);

  it('draws a bar ingested through the API within two seconds, and a correction in place', async () => {
    const next = today.find((b) => b.ts === at('11:31'))!;
    const rowBars = page.locator('tr[data-symbol="SPY"] [data-col="bars"]');
    const before = Number(await rowBars.getAttribute('data-value'));
    await ingest([input('SPY', next), input('QQQ', next, 0.42)]);
    await page.waitForFunction(
      (t) => (globalThis as unknown as DashboardWindow).dashboard.chart.bars.has(t),
      next.ts,
      { timeout: 2_000 },
    );
    const drawn = await chartBars();
    expect(drawn.at(-1)).toEqual({ time: next.ts / 1000, close: next.close });
    await page
      .locator(`#chart-legend[data-ts="${new Date(next.ts).toISOString()}"]`)
      .waitFor({ timeout: 2_000 });
    await expect
      .poll(async () => Number(await rowBars.getAttribute('data-value')), { timeout: 5_000 })
      .toBe(before + 1);

    const corrected = { ...input('SPY', today.find((b) => b.ts === at('10:40'))!) };
    corrected.close = Math.round((corrected.low + 0.01) * 100) / 100;
    await ingest([corrected]);
    await page.waitForFunction(
      ([t, close]) =>
        (globalThis as unknown as DashboardWindow).dashboard.chart.candles
          .data()
          .some((p) => Number(p.time) === t && 'close' in p && p.close === close),
      [at('10:40') / 1000, corrected.close] as const,
      { timeout: 2_000 },
    );
    expect((await chartBars()).length).toBe(drawn.length);
  }, 60_000);

  it('switches the interval (redrawn, URL kept) and the symbol, and opens a shared view', async () => {
    const oneMinute = await chartPixels();
    await page.locator('#interval-options input[value="5m"]').check();
    await page.locator('body[data-chart="SPY 5m"]').waitFor({ timeout: 10_000 });
    expect(page.url()).toBe(`${origin}/?symbol=SPY&interval=5m`);
    expect(await page.locator('#chart-title').textContent()).toBe('SPY · 5m');
    const bars = await chartBars();
    expect(bars.slice(1).every((b, i) => (b.time - bars[i]!.time) % 300 === 0)).toBe(true);
    expect(bars.length).toBe(25 - 1); // 09:30 … 11:30, less the 10:00 window of the gap
    expect(bars.at(-1)!.time * 1000).toBe(at('11:30'));
    // The window 11:30–11:35 is open at 11:32: the forming bar, drawn apart and flagged.
    await expect(page.locator('#chart-legend').textContent()).resolves.toMatch(/forming$/);
    const markers = await page.evaluate(() =>
      (globalThis as unknown as DashboardWindow).dashboard.chart.markers.markers().map((m) => m.text),
    );
    expect(markers).toContain('forming');
    await expect.poll(async () => (await chartPixels()).share).not.toBe(oneMinute.share);
    await page.locator('#chart').screenshot({ path: join(ARTIFACTS, 'dashboard-chart-5m.png') });

    await page.locator('#symbol-picker').selectOption('QQQ');
    await page.locator('body[data-chart="QQQ 5m"]').waitFor({ timeout: 10_000 });
    expect(page.url()).toBe(`${origin}/?symbol=QQQ&interval=5m`);
    await page.goBack();
    await page.locator('body[data-chart="SPY 5m"]').waitFor({ timeout: 10_000 });

    await page.goto(`${origin}/?symbol=qqq&interval=1m`);
    await page.locator('body[data-chart="QQQ 1m"]').waitFor({ timeout: 10_000 });
    await expect(page.locator('#gap-list li').allTextContents()).resolves.toEqual([
      '10:30–10:32 EST · 2 missing bars · no data',
    ]);
    await page.goto(`${origin}/?symbol=SPY&interval=5m`);
    await page.locator('body[data-chart="SPY 5m"]').waitFor({ timeout: 10_000 });
    await waitLive();
    // By keyboard: the interval buttons are a radio group (arrow keys move the choice).
    await page.locator('#interval-options input[value="5m"]').focus();
    await page.keyboard.press('ArrowRight');
    await page.locator('body[data-chart="SPY 15m"]').waitFor({ timeout: 10_000 });
    expect(page.url()).toBe(`${origin}/?symbol=SPY&interval=15m`);
    await page.keyboard.press('ArrowLeft');
    await page.locator('body[data-chart="SPY 5m"]').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') });
    expect(log.consoleErrors).toEqual([]);
  }, 60_000);

  it('runs GraphiQL and its default query offline', async () => {
    const graphiql = await context().newPage();
    const graphiqlLog = watchPage(graphiql);
    await graphiql.goto(`${origin}/graphql`);
    const editor = graphiql.locator('.graphiql-query-editor');
    await editor.waitFor({ timeout: 30_000 });
    const text = async (locator: typeof editor) => ((await locator.textContent()) ?? '').replace(/\s+/g, ' ');
    await expect.poll(() => text(editor), { timeout: 30_000 }).toContain('query Session { session {');
    await graphiql.locator('.graphiql-execute-button').click();
    const response = graphiql.locator('.graphiql-response');
    await expect.poll(() => text(response), { timeout: 30_000 }).toContain('"symbols": [');
    expect(await text(response)).toContain('"symbol": "QQQ"');
    await graphiql.screenshot({ path: join(ARTIFACTS, 'graphiql.png') });
    expect(graphiqlLog.failedRequests).toEqual([]);
    expect(graphiqlLog.consoleErrors).toEqual([]);
    const elsewhere = graphiqlLog.requests.filter(
      (url) =>
        !url.startsWith(`${origin}/`) && !url.startsWith(`blob:${origin}/`) && !url.startsWith('data:'),
    );
    expect(elsewhere).toEqual([]);
    await graphiql.close();
  }, 90_000);

  it('says when the server is gone, reconnects by itself after a restart and goes on live', async () => {
    await stop();
    await page.locator('#connection[data-state="disconnected"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('body').getAttribute('class')).toContain('offline');
    await expect(page.locator('.offline-banner').isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-disconnected.png') });
    await start();
    await waitLive();
    await expect(page.locator('.offline-banner').isVisible()).resolves.toBe(false);
    const next = today.find((b) => b.ts === at('11:32'))!;
    await ingest([input('SPY', next)]);
    // The 5m window 11:30–11:35 now holds three base bars: 11:30, 11:31 and the new 11:32.
    await page.waitForFunction(
      (t) => (globalThis as unknown as DashboardWindow).dashboard.chart.bars.get(t)?.baseBars === 3,
      at('11:30'),
      { timeout: 5_000 },
    );
    await expect
      .poll(
        async () =>
          Number(await page.locator('tr[data-symbol="SPY"] [data-col="bars"]').getAttribute('data-value')),
        {
          timeout: 10_000,
        },
      )
      .toBe(today.filter((b) => b.ts <= at('11:32')).length - 5);
  }, 90_000);
});

/** The part of a canvas the pixel checks use (the test files are compiled without the DOM's types). */
interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** What the page exposes on `window.dashboard` (src/http/dashboard/assets/app.js). */
interface DashboardWindow {
  dashboard: {
    chart: {
      bars: Map<number, { baseBars: number }>;
      candles: { data(): readonly ({ time: unknown } | { time: unknown; close: number })[] };
      markers: { markers(): readonly { text?: string }[] };
      overlay: { drawn: { x1: number; x2: number; label: string }[] };
      times: number[];
      chart: {
        takeScreenshot(): CanvasLike;
        timeScale(): { fitContent(): void; timeToCoordinate(time: number): number | null };
      };
    };
  };
}
