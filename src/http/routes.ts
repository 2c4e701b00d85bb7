/**
 * Plain HTTP routes beside GraphQL:
 *
 * | route | what |
 * |---|---|
 * | `GET /export` | the JSON export (`?since=<cursor>` for a delta, `?symbols=A,B`), as `Session.export` |
 * | `GET /export/bars.csv?symbol=&interval=` | one interval's bars as CSV (`interval` defaults to the base; `from`/`to` ISO instants; `historical=1` for the historical window) |
 * | `GET /export/gaps.csv` | gap ranges as CSV (`symbol`, `interval` optional: all when omitted) |
 * | `GET /health` | liveness: 200 while the process serves requests |
 * | `GET /ready` | readiness: 200 once the app is started and its store answers, else 503 |
 * | `GET /metrics` | Prometheus metrics |
 * | `GET /` | the live dashboard; its files under `/assets/` (src/http/dashboard/) |
 *
 * Errors are JSON `{ "error": { "code", "message" } }` with a 4xx status. The export and the CSV
 * files are gzip-compressed for clients that accept it (src/lib/content-encoding.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, type Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { normaliseSymbol } from '../domain/bar-validation.ts';
import { ServiceError } from '../domain/errors.ts';
import { parseInstant } from '../domain/instant.ts';
import { IntervalError, parseInterval } from '../domain/intervals.ts';
import type { Bar, Gap, Instant } from '../domain/types.ts';
import { acceptsGzip, gzipBytes, MIN_COMPRESSED_BYTES } from '../lib/content-encoding.ts';
import { exportSession } from '../session/export.ts';
import type { SessionData } from '../session/session-data.ts';
import type { BarSequence } from '../session/session-interval.ts';
import type { SymbolSessionData } from '../session/symbol-session-data.ts';
import { isDashboardPath, serveDashboard } from './dashboard/index.ts';
import type { ServiceMetrics } from './metrics.ts';

/** What the routes read. */
export interface RouteDeps {
  readonly session: SessionData;
  readonly metrics?: ServiceMetrics | null;
  /** Readiness check (the store answers, start-up is done). Default: always ready. */
  readonly ready?: () => boolean | Promise<boolean>;
  /** More for the `/ready` body (a replica: its applied stream position and lag). */
  readonly readyDetails?: () => Record<string, unknown>;
}

/** A 4xx answer. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** A large JSON answer (the export): gzip-compressed when the client accepts it. */
async function sendLargeJson(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  const gzip = acceptsGzip(req.headers['accept-encoding']) && bytes.byteLength >= MIN_COMPRESSED_BYTES;
  const sent = gzip ? await gzipBytes(bytes) : bytes;
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': sent.byteLength,
    'cache-control': 'no-store',
    vary: 'Accept-Encoding',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  res.end(sent);
}

function iso(instant: Instant | null): string {
  return instant === null ? '' : new Date(instant).toISOString();
}

function csvNumber(value: number | null): string {
  return value === null ? '' : String(value);
}

function requireSymbol(session: SessionData, raw: string | null): SymbolSessionData {
  if (raw === null || raw.trim() === '') throw new HttpError(400, 'BAD_USER_INPUT', 'symbol is required');
  const symbol = normaliseSymbol(raw);
  if (symbol === null) throw new HttpError(400, 'BAD_USER_INPUT', `"${raw}" is not a valid symbol`);
  const data = session.symbol(symbol);
  if (!data) throw new HttpError(404, 'NOT_FOUND', `${symbol} is not in the session`);
  return data;
}

function canonicalInterval(raw: string): string {
  try {
    return parseInterval(raw).name;
  } catch (error) {
    if (error instanceof IntervalError) throw new HttpError(400, 'INVALID_INTERVAL', error.message);
    throw error;
  }
}

function instantParam(params: URLSearchParams, name: string): Instant | null {
  const raw = params.get(name);
  if (raw === null || raw === '') return null;
  const parsed = parseInstant(raw);
  if (typeof parsed === 'string') throw new HttpError(400, 'BAD_USER_INPUT', `${name}: ${parsed}`);
  return parsed;
}

const BAR_HEADER = 'ts,end_ts,open,high,low,close,volume,vwap,trade_count,base_bars,revision,complete\n';

function barLine(bar: Bar): string {
  return `${iso(bar.ts)},${iso(bar.endTs)},${bar.open},${bar.high},${bar.low},${bar.close},${bar.volume},${csvNumber(bar.vwap)},${csvNumber(bar.tradeCount)},${bar.baseBars},${bar.revision},${bar.complete}\n`;
}

function sendCsv(
  req: IncomingMessage,
  res: ServerResponse,
  filename: string,
  write: (push: (chunk: string) => void) => void,
): void {
  const gzip = acceptsGzip(req.headers['accept-encoding']);
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'no-store',
    vary: 'Accept-Encoding',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  let out: Writable = res;
  if (gzip) {
    const compressor = createGzip();
    pipeline(compressor, res, () => undefined);
    out = compressor;
  }
  let buffer = '';
  write((chunk) => {
    buffer += chunk;
    if (buffer.length >= 64 * 1024) {
      out.write(buffer);
      buffer = '';
    }
  });
  out.end(buffer);
}

function barsCsv(
  session: SessionData,
  params: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const data = requireSymbol(session, params.get('symbol'));
  const name = canonicalInterval(params.get('interval') ?? data.baseInterval);
  const historical = params.get('historical') === '1' || params.get('historical') === 'true';
  const sequence: BarSequence | undefined = historical ? data.historical.interval(name) : data.interval(name);
  if (!sequence)
    throw new HttpError(
      404,
      'NOT_FOUND',
      `${data.symbol} holds no ${historical ? 'historical ' : ''}${name} interval`,
    );
  const from = instantParam(params, 'from');
  const to = instantParam(params, 'to');
  const lo = from === null ? 0 : sequence.lowerBound(from);
  const hi = to === null ? sequence.size : sequence.lowerBound(to);
  sendCsv(req, res, `${data.symbol}-${name}${historical ? '-historical' : ''}.csv`, (push) => {
    push(BAR_HEADER);
    for (let p = lo; p < hi; p++) push(barLine(sequence.at(p)));
  });
}

function gapsCsv(
  session: SessionData,
  params: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const symbolParam = params.get('symbol');
  const symbols =
    symbolParam === null || symbolParam === '' ? session.symbols() : [requireSymbol(session, symbolParam)];
  const intervalParam = params.get('interval');
  const wanted = intervalParam === null || intervalParam === '' ? null : canonicalInterval(intervalParam);
  if (wanted !== null && symbols.length === 1 && !symbols[0]!.interval(wanted)) {
    throw new HttpError(404, 'NOT_FOUND', `${symbols[0]!.symbol} holds no ${wanted} interval`);
  }
  sendCsv(req, res, 'gaps.csv', (push) => {
    push('symbol,interval,start,end,missing_bars,cause\n');
    for (const data of symbols) {
      for (const interval of data.intervals()) {
        if (wanted !== null && interval.name !== wanted) continue;
        for (const gap of interval.gapsWithCause() as Gap[]) {
          push(
            `${data.symbol},${interval.name},${iso(gap.start)},${iso(gap.end)},${gap.missingBars},${gap.cause ?? 'NO_DATA'}\n`,
          );
        }
      }
    }
  });
}

/** The route a request is counted under in the metrics. */
export function routeOf(path: string): string {
  if (path === '/graphql') return '/graphql';
  if (isDashboardPath(path)) return path === '/' ? '/' : '/assets';
  if (['/export', '/export/bars.csv', '/export/gaps.csv', '/health', '/ready', '/metrics'].includes(path))
    return path;
  return 'other';
}

/**
 * Handles a plain route; returns false when the path is not one (the caller passes it to GraphQL).
 */
export async function handleRoute(
  deps: RouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (routeOf(path) === 'other' || path === '/graphql') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${path} answers GET only` } });
    return true;
  }
  if (isDashboardPath(path)) {
    if (!(await serveDashboard(req, res, path)))
      sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `${path} is not a file of the dashboard` } });
    return true;
  }
  try {
    switch (path) {
      case '/health':
        sendJson(res, 200, { status: 'ok' });
        break;
      case '/ready': {
        let ready = false;
        try {
          ready = deps.ready ? await deps.ready() : true;
        } catch {
          ready = false;
        }
        sendJson(res, ready ? 200 : 503, {
          status: ready ? 'ready' : 'not ready',
          ...(deps.readyDetails ? deps.readyDetails() : {}),
        });
        break;
      }
      case '/metrics': {
        const registry = deps.metrics?.registry;
        if (!registry) throw new HttpError(404, 'NOT_FOUND', 'metrics are not enabled');
        const text = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
        break;
      }
      case '/export': {
        const symbolsParam = url.searchParams.get('symbols');
        const symbols =
          symbolsParam === null || symbolsParam === ''
            ? null
            : symbolsParam
                .split(',')
                .map((s) => s.trim())
                .filter((s) => s !== '');
        await sendLargeJson(req, res, exportSession(deps.session, url.searchParams.get('since'), symbols));
        break;
      }
      case '/export/bars.csv':
        barsCsv(deps.session, url.searchParams, req, res);
        break;
      case '/export/gaps.csv':
        gapsCsv(deps.session, url.searchParams, req, res);
        break;
    }
  } catch (error) {
    if (error instanceof HttpError)
      sendJson(res, error.status, { error: { code: error.code, message: error.message } });
    else if (error instanceof ServiceError)
      sendJson(res, 400, { error: { code: error.code, message: error.message } });
    else throw error;
  }
  return true;
}
