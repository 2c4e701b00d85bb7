/**
 * Polygon/Massive aggregates for backfill:
 * `GET {POLYGON_REST_URL}/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}`
 * (https://massive.com/docs/rest/stocks/aggregates/custom-bars): `from` and `to` as millisecond
 * timestamps, `adjusted=false` (as streamed), `sort=asc`, `limit` ≤ 50,000; the answer is
 * `{"results": [{"t","o","h","l","c","v","vw","n"}, …], "next_url": …}` and a `next_url` is
 * followed for the next page. The key goes in an `Authorization: Bearer` header, never the URL.
 */

import { type GetJsonOptions, getJson, RestError } from '../rest.ts';
import type { FeedBar, FeedTrade } from '../types.ts';

/** Where and how to read aggregates. */
export interface PolygonRestOptions {
  /** REST base, e.g. https://api.massive.com. */
  readonly baseUrl: string;
  readonly key: string;
  /** Results per page (default 50,000, the maximum). */
  readonly pageSize?: number;
  readonly http?: Omit<GetJsonOptions, 'headers'>;
}

/**
 * Reads the bars (1m or 1s) of each symbol with from ≤ ts < to, following `next_url`; calls
 * `onPage` with each page's bars. Returns the number of requests made.
 * @throws RestError when the provider refuses (after the rate-limit retries)
 */
export async function fetchPolygonBars(
  options: PolygonRestOptions,
  symbols: readonly string[],
  baseInterval: string,
  from: number,
  to: number,
  onPage: (bars: FeedBar[]) => void,
): Promise<number> {
  const timespan = baseInterval === '1s' ? 'second' : 'minute';
  let requests = 0;
  for (const symbol of symbols) {
    const first = new URL(
      `/v2/aggs/ticker/${encodeURIComponent(symbol)}/range/1/${timespan}/${from}/${to - 1}`,
      options.baseUrl,
    );
    first.searchParams.set('adjusted', 'false');
    first.searchParams.set('sort', 'asc');
    first.searchParams.set('limit', String(options.pageSize ?? 50_000));
    let url: string | null = first.toString();
    while (url !== null) {
      const body = await getJson(url, {
        ...options.http,
        headers: { Authorization: `Bearer ${options.key}` },
      });
      requests++;
      const page = parsePage(symbol, body);
      onPage(page.bars.filter((bar) => bar.ts >= from && bar.ts < to));
      url = page.next;
      // The key goes only to the configured host.
      if (url !== null && new URL(url).origin !== first.origin) {
        throw new RestError(`Polygon aggregates for ${symbol}: next_url leaves ${first.origin}`, 200);
      }
    }
  }
  return requests;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function parsePage(symbol: string, body: unknown): { bars: FeedBar[]; next: string | null } {
  if (body === null || typeof body !== 'object')
    throw new RestError('Polygon aggregates: the answer is not an object', 200);
  const {
    results,
    next_url: next,
    status,
  } = body as { results?: unknown; next_url?: unknown; status?: unknown };
  if (status === 'ERROR') throw new RestError(`Polygon aggregates for ${symbol}: status ERROR`, 200);
  const out: FeedBar[] = [];
  if (Array.isArray(results)) {
    for (const raw of results as Record<string, unknown>[]) {
      const { t, o, h, l, c, v, vw, n } = raw;
      if (!isNumber(t) || !isNumber(o) || !isNumber(h) || !isNumber(l) || !isNumber(c) || !isNumber(v))
        continue;
      out.push({
        symbol,
        ts: t,
        open: o,
        high: h,
        low: l,
        close: c,
        volume: v,
        vwap: isNumber(vw) ? vw : null,
        tradeCount: isNumber(n) ? n : null,
      });
    }
  }
  return { bars: out, next: typeof next === 'string' && next.length > 0 ? next : null };
}

/**
 * Polygon/Massive trades for the backfill of `TRADES` symbols: `GET /v3/trades/{ticker}`
 * (https://massive.com/docs/rest/stocks/trades-quotes/trades) with `timestamp.gte` /
 * `timestamp.lt` in nanoseconds, `order=asc`, `sort=timestamp`, `limit` ≤ 50,000; the answer is
 * `{"results": [{"conditions","exchange","id","price","size","sip_timestamp","tape", …}], "next_url": …}`
 * (timestamps in nanoseconds). Conditions and tape stay Polygon's numbers as text, as the stream's.
 * Returns the request count.
 * @throws RestError when the provider refuses (after the rate-limit retries)
 */
export async function fetchPolygonTrades(
  options: PolygonRestOptions,
  symbols: readonly string[],
  from: number,
  to: number,
  onPage: (trades: FeedTrade[]) => void,
): Promise<number> {
  let requests = 0;
  for (const symbol of symbols) {
    const first = new URL(`/v3/trades/${encodeURIComponent(symbol)}`, options.baseUrl);
    first.searchParams.set('timestamp.gte', `${from}000000`);
    first.searchParams.set('timestamp.lt', `${to}000000`);
    first.searchParams.set('order', 'asc');
    first.searchParams.set('sort', 'timestamp');
    first.searchParams.set('limit', String(options.pageSize ?? 50_000));
    let url: string | null = first.toString();
    while (url !== null) {
      const body = await getJson(url, {
        ...options.http,
        headers: { Authorization: `Bearer ${options.key}` },
      });
      requests++;
      const page = parseTradePage(symbol, body);
      onPage(page.trades.filter((trade) => trade.ts >= from && trade.ts < to));
      url = page.next;
      if (url !== null && new URL(url).origin !== first.origin) {
        throw new RestError(`Polygon trades for ${symbol}: next_url leaves ${first.origin}`, 200);
      }
    }
  }
  return requests;
}

const NO_CONDITIONS: readonly string[] = Object.freeze([]);

function parseTradePage(symbol: string, body: unknown): { trades: FeedTrade[]; next: string | null } {
  if (body === null || typeof body !== 'object')
    throw new RestError('Polygon trades: the answer is not an object', 200);
  const {
    results,
    next_url: next,
    status,
  } = body as { results?: unknown; next_url?: unknown; status?: unknown };
  if (status === 'ERROR') throw new RestError(`Polygon trades for ${symbol}: status ERROR`, 200);
  const out: FeedTrade[] = [];
  if (Array.isArray(results)) {
    for (const raw of results as Record<string, unknown>[]) {
      const { price, size, sip_timestamp: sip, id, exchange, conditions, tape } = raw;
      if (!isNumber(price) || !isNumber(size) || !isNumber(sip)) continue;
      out.push({
        symbol,
        ts: Math.floor(sip / 1e6),
        price,
        size,
        id: typeof id === 'string' ? id : typeof id === 'number' ? String(id) : null,
        exchange: isNumber(exchange) ? String(exchange) : null,
        conditions: Array.isArray(conditions) ? Object.freeze(conditions.map(String)) : NO_CONDITIONS,
        tape: isNumber(tape) ? String(tape) : null,
      });
    }
  }
  return { trades: out, next: typeof next === 'string' && next.length > 0 ? next : null };
}
