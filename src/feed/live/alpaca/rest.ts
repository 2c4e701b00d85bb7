/**
 * Alpaca's historical stock bars for backfill: `GET {APCA_API_DATA_URL}/v2/stocks/bars`
 * (https://docs.alpaca.markets/reference/stockbars): `symbols` (comma-separated), `timeframe=1Min`,
 * `start` and `end` (RFC-3339, both inclusive), `limit` (≤ 10,000 points across all symbols),
 * `feed` (iex or sip), `adjustment=raw` (as streamed), `sort=asc`; the answer is
 * `{"bars": {"SYM": [{"t","o","h","l","c","v","n","vw"}, …]}, "next_page_token": …}`, sorted by
 * symbol then time, and a non-null `next_page_token` is passed back as `page_token` for the next
 * page. Authentication: the `APCA-API-KEY-ID` and `APCA-API-SECRET-KEY` headers.
 */

import { type GetJsonOptions, getJson, RestError } from '../rest.ts';
import { parseTimestamp } from '../timestamps.ts';
import type { FeedBar, FeedTrade } from '../types.ts';

/** Where and how to read bars. */
export interface AlpacaRestOptions {
  /** REST base, e.g. https://data.alpaca.markets. */
  readonly baseUrl: string;
  readonly key: string;
  readonly secret: string;
  /** iex or sip. */
  readonly feed: string;
  /** Points per page (default 10,000, the maximum). */
  readonly pageSize?: number;
  readonly http?: Omit<GetJsonOptions, 'headers'>;
}

/** Most symbols per request (keeps the URL short). */
const SYMBOLS_PER_REQUEST = 100;

/**
 * Reads the 1m bars of `symbols` with from ≤ ts < to, page by page; calls `onPage` with each
 * page's bars (ascending per symbol). Returns the number of requests made.
 * @throws RestError when the provider refuses (after the rate-limit retries)
 */
export async function fetchAlpacaBars(
  options: AlpacaRestOptions,
  symbols: readonly string[],
  from: number,
  to: number,
  onPage: (bars: FeedBar[]) => void,
): Promise<number> {
  let requests = 0;
  for (let i = 0; i < symbols.length; i += SYMBOLS_PER_REQUEST) {
    const batch = symbols.slice(i, i + SYMBOLS_PER_REQUEST);
    let token: string | null = null;
    do {
      const url = new URL('/v2/stocks/bars', options.baseUrl);
      url.searchParams.set('symbols', batch.join(','));
      url.searchParams.set('timeframe', '1Min');
      url.searchParams.set('start', new Date(from).toISOString());
      url.searchParams.set('end', new Date(to - 1).toISOString());
      url.searchParams.set('limit', String(options.pageSize ?? 10_000));
      url.searchParams.set('feed', options.feed);
      url.searchParams.set('adjustment', 'raw');
      url.searchParams.set('sort', 'asc');
      if (token !== null) url.searchParams.set('page_token', token);
      const body = await getJson(url.toString(), {
        ...options.http,
        headers: { 'APCA-API-KEY-ID': options.key, 'APCA-API-SECRET-KEY': options.secret },
      });
      requests++;
      const page = parsePage(body);
      onPage(page.bars.filter((bar) => bar.ts >= from && bar.ts < to));
      token = page.next;
    } while (token !== null);
  }
  return requests;
}

interface RawBar {
  t?: unknown;
  o?: unknown;
  h?: unknown;
  l?: unknown;
  c?: unknown;
  v?: unknown;
  n?: unknown;
  vw?: unknown;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function parsePage(body: unknown): { bars: FeedBar[]; next: string | null } {
  if (body === null || typeof body !== 'object')
    throw new RestError('Alpaca bars: the answer is not an object', 200);
  const { bars, next_page_token: next } = body as { bars?: unknown; next_page_token?: unknown };
  const out: FeedBar[] = [];
  if (bars !== null && bars !== undefined) {
    if (typeof bars !== 'object') throw new RestError('Alpaca bars: "bars" is not an object', 200);
    for (const [symbol, list] of Object.entries(bars as Record<string, unknown>)) {
      if (!Array.isArray(list)) continue;
      for (const raw of list as RawBar[]) {
        const ts = typeof raw.t === 'string' ? parseTimestamp(raw.t) : Number.NaN;
        if (
          !isNumber(raw.o) ||
          !isNumber(raw.h) ||
          !isNumber(raw.l) ||
          !isNumber(raw.c) ||
          !isNumber(raw.v) ||
          !isNumber(ts)
        )
          continue;
        out.push({
          symbol,
          ts,
          open: raw.o,
          high: raw.h,
          low: raw.l,
          close: raw.c,
          volume: raw.v,
          vwap: isNumber(raw.vw) ? raw.vw : null,
          tradeCount: isNumber(raw.n) ? raw.n : null,
        });
      }
    }
  }
  return { bars: out, next: typeof next === 'string' && next.length > 0 ? next : null };
}

/**
 * Alpaca's historical trades for the backfill of `TRADES` symbols: `GET /v2/stocks/trades`
 * (https://docs.alpaca.markets/reference/stocktrades), the same paging and parameters as bars
 * (no timeframe); the answer is `{"trades": {"SYM": [{"t","x","p","s","c","i","z"}, …]},
 * "next_page_token": …}`. Reads the trades with from ≤ ts < to; returns the request count.
 * @throws RestError when the provider refuses (after the rate-limit retries)
 */
export async function fetchAlpacaTrades(
  options: AlpacaRestOptions,
  symbols: readonly string[],
  from: number,
  to: number,
  onPage: (trades: FeedTrade[]) => void,
): Promise<number> {
  let requests = 0;
  for (let i = 0; i < symbols.length; i += SYMBOLS_PER_REQUEST) {
    const batch = symbols.slice(i, i + SYMBOLS_PER_REQUEST);
    let token: string | null = null;
    do {
      const url = new URL('/v2/stocks/trades', options.baseUrl);
      url.searchParams.set('symbols', batch.join(','));
      url.searchParams.set('start', new Date(from).toISOString());
      url.searchParams.set('end', new Date(to - 1).toISOString());
      url.searchParams.set('limit', String(options.pageSize ?? 10_000));
      url.searchParams.set('feed', options.feed);
      url.searchParams.set('sort', 'asc');
      if (token !== null) url.searchParams.set('page_token', token);
      const body = await getJson(url.toString(), {
        ...options.http,
        headers: { 'APCA-API-KEY-ID': options.key, 'APCA-API-SECRET-KEY': options.secret },
      });
      requests++;
      const page = parseTradePage(body);
      onPage(page.trades.filter((trade) => trade.ts >= from && trade.ts < to));
      token = page.next;
    } while (token !== null);
  }
  return requests;
}

const NO_CONDITIONS: readonly string[] = Object.freeze([]);

function parseTradePage(body: unknown): { trades: FeedTrade[]; next: string | null } {
  if (body === null || typeof body !== 'object')
    throw new RestError('Alpaca trades: the answer is not an object', 200);
  const { trades, next_page_token: next } = body as { trades?: unknown; next_page_token?: unknown };
  const out: FeedTrade[] = [];
  if (trades !== null && trades !== undefined && typeof trades === 'object') {
    for (const [symbol, list] of Object.entries(trades as Record<string, unknown>)) {
      if (!Array.isArray(list)) continue;
      for (const raw of list as Record<string, unknown>[]) {
        const ts = typeof raw['t'] === 'string' ? parseTimestamp(raw['t']) : Number.NaN;
        const { p, s, i, x, c, z } = raw;
        if (!isNumber(p) || !isNumber(s) || !isNumber(ts)) continue;
        out.push({
          symbol,
          ts,
          price: p,
          size: s,
          id: typeof i === 'number' ? String(i) : typeof i === 'string' ? i : null,
          exchange: typeof x === 'string' ? x : null,
          conditions: Array.isArray(c)
            ? Object.freeze(c.filter((v) => typeof v === 'string'))
            : NO_CONDITIONS,
          tape: typeof z === 'string' ? z : null,
        });
      }
    }
  }
  return { trades: out, next: typeof next === 'string' && next.length > 0 ? next : null };
}
