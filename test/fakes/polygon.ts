/**
 * A scripted fake of Polygon/Massive's stocks WebSocket and aggregates REST endpoint, over a real
 * port, following https://massive.com/docs/websocket/quickstart, the stocks channel pages
 * (AM, A, T, Q) and https://massive.com/docs/rest/stocks/aggregates/custom-bars:
 *
 * - `ws://…/stocks`: `connected` greeting; `{"action":"auth","params":KEY}` → `auth_success` or
 *   `auth_failed` (then closed); a connection past the limit gets `max_connections` and is
 *   closed; `subscribe`/`unsubscribe` with comma-separated `PREFIX.TICKER` params, one `success`
 *   status per param; events pushed only to subscribers (`PREFIX.*` for all tickers).
 * - `GET /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}`: the recorded bars
 *   with from ≤ t ≤ to (millisecond timestamps), `limit` per page, `next_url` with a cursor;
 *   the key by `apiKey` query parameter or `Authorization: Bearer`; 429 on demand.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { type FakeServer, sendJson, startFakeServer } from './server.ts';

/** An event as Polygon writes it. */
export type PolygonWireEvent = { readonly ev: string; readonly sym?: string } & Record<string, unknown>;

/** A recorded aggregate for the REST history. */
export interface RecordedAggregate {
  readonly t: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
  readonly vw: number;
  readonly n: number;
}

/** A recorded trade for the REST history (as `GET /v3/trades/{ticker}` writes it). */
export interface RecordedPolygonTrade {
  readonly conditions: readonly number[];
  readonly exchange: number;
  readonly id: string;
  readonly price: number;
  readonly size: number;
  /** Nanoseconds. */
  readonly sip_timestamp: number;
  readonly tape: number;
}

interface Connection {
  readonly socket: WebSocket;
  authenticated: boolean;
  readonly params: Set<string>;
}

/** The fake. */
export class FakePolygon {
  readonly received: Record<string, unknown>[] = [];
  readonly restRequests: URL[] = [];
  connectionCount = 0;
  private readonly connections = new Set<Connection>();
  private readonly history = new Map<string, RecordedAggregate[]>();
  private readonly tradeHistory = new Map<string, RecordedPolygonTrade[]>();
  private rateLimited = 0;
  private server!: FakeServer;

  private constructor(
    readonly key: string,
    private readonly connectionLimit: number,
  ) {}

  static async start(options: { key?: string; connectionLimit?: number } = {}): Promise<FakePolygon> {
    const fake = new FakePolygon(options.key ?? 'test-polygon-key', options.connectionLimit ?? 1);
    fake.server = await startFakeServer(
      (req, res, url) => fake.rest(req, res, url),
      (socket, _req, url) => fake.stream(socket, url),
    );
    return fake;
  }

  /** POLYGON_WS_URL. */
  get wsUrl(): string {
    return `${this.server.wsUrl}/stocks`;
  }

  /** POLYGON_REST_URL. */
  get restUrl(): string {
    return this.server.httpUrl;
  }

  get authenticatedConnections(): number {
    return [...this.connections].filter((c) => c.authenticated).length;
  }

  /** Subscribed params of the authenticated connection. */
  subscription(): string[] {
    return [...([...this.connections].find((c) => c.authenticated)?.params ?? [])].sort();
  }

  setHistory(symbol: string, bars: readonly RecordedAggregate[]): void {
    this.history.set(
      symbol,
      [...bars].sort((a, b) => a.t - b.t),
    );
  }

  setTradeHistory(symbol: string, trades: readonly RecordedPolygonTrade[]): void {
    this.tradeHistory.set(
      symbol,
      [...trades].sort((a, b) => a.sip_timestamp - b.sip_timestamp),
    );
  }

  rateLimitNext(count: number): void {
    this.rateLimited = count;
  }

  push(events: readonly PolygonWireEvent[]): void {
    for (const connection of this.connections) {
      if (!connection.authenticated) continue;
      const mine = events.filter(
        (e) =>
          connection.params.has(`${e.ev}.*`) ||
          (e.sym !== undefined && connection.params.has(`${e.ev}.${e.sym}`)),
      );
      if (mine.length > 0) connection.socket.send(JSON.stringify(mine));
    }
  }

  sendRaw(data: string): void {
    for (const connection of this.connections) connection.socket.send(data);
  }

  dropConnections(): void {
    for (const connection of this.connections) connection.socket.terminate();
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  private status(connection: Connection, status: string, message: string): void {
    connection.socket.send(JSON.stringify([{ ev: 'status', status, message }]));
  }

  private stream(socket: WebSocket, url: URL): void {
    if (url.pathname !== '/stocks') {
      socket.close(1008, 'no such cluster');
      return;
    }
    this.connectionCount++;
    const connection: Connection = { socket, authenticated: false, params: new Set() };
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
    this.status(connection, 'connected', 'Connected Successfully');
    socket.on('message', (data) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        this.status(connection, 'error', 'Unable to parse message');
        return;
      }
      this.received.push(message['action'] === 'auth' ? { ...message, params: '***' } : message);
      const params = typeof message['params'] === 'string' ? message['params'] : '';
      switch (message['action']) {
        case 'auth':
          if (params !== this.key) {
            this.status(connection, 'auth_failed', 'authentication failed');
            socket.close(1008, 'authentication failed');
            return;
          }
          if (this.authenticatedConnections >= this.connectionLimit) {
            this.status(
              connection,
              'max_connections',
              'Maximum number of websocket connections exceeded. You have reached the connection limit for your account.',
            );
            socket.close(1008, 'max connections');
            return;
          }
          connection.authenticated = true;
          this.status(connection, 'auth_success', 'authenticated');
          return;
        case 'subscribe':
        case 'unsubscribe':
          if (!connection.authenticated) {
            this.status(connection, 'error', 'not authorized');
            return;
          }
          for (const param of params.split(',').filter(Boolean)) {
            if (message['action'] === 'subscribe') {
              connection.params.add(param);
              this.status(connection, 'success', `subscribed to: ${param}`);
            } else {
              connection.params.delete(param);
              this.status(connection, 'success', `unsubscribed to: ${param}`);
            }
          }
          return;
        default:
          this.status(connection, 'error', 'unknown action');
      }
    });
  }

  private rest(req: IncomingMessage, res: ServerResponse, url: URL): void {
    this.restRequests.push(url);
    const trades = /^\/v3\/trades\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && trades) {
      this.tradesRest(req, res, url, decodeURIComponent(trades[1]!));
      return;
    }
    const match = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/(\d+)\/(second|minute)\/(\d+)\/(\d+)$/.exec(
      url.pathname,
    );
    if (req.method !== 'GET' || !match) {
      sendJson(res, 404, { status: 'NOT_FOUND', message: 'Not Found' });
      return;
    }
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if ((url.searchParams.get('apiKey') ?? bearer) !== this.key) {
      sendJson(res, 401, { status: 'ERROR', request_id: 'fake', error: 'Unknown API Key' });
      return;
    }
    if (this.rateLimited > 0) {
      this.rateLimited--;
      sendJson(res, 429, {
        status: 'ERROR',
        request_id: 'fake',
        error:
          "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue.",
      });
      return;
    }
    const [, ticker, multiplier, timespan, fromText, toText] = match;
    if (multiplier !== '1') {
      sendJson(res, 400, { status: 'ERROR', error: 'this fake serves multiplier 1 only' });
      return;
    }
    const size = timespan === 'second' ? 1_000 : 60_000;
    const from = Number(fromText);
    const to = Number(toText);
    const limit = Number(url.searchParams.get('limit') ?? 5000);
    const all = (this.history.get(decodeURIComponent(ticker!)) ?? []).filter(
      (b) => b.t >= from && b.t <= to && b.t % size === 0,
    );
    const offset = Number(url.searchParams.get('cursor') ?? 0);
    const results = all.slice(offset, offset + limit);
    const body: Record<string, unknown> = {
      ticker,
      queryCount: results.length,
      resultsCount: results.length,
      adjusted: url.searchParams.get('adjusted') !== 'false',
      results,
      status: 'OK',
      request_id: 'fake',
      count: results.length,
    };
    if (offset + limit < all.length) {
      const next = new URL(url.pathname, this.restUrl);
      next.searchParams.set('cursor', String(offset + limit));
      next.searchParams.set('limit', String(limit));
      body['next_url'] = next.toString();
    }
    sendJson(res, 200, body);
  }

  private tradesRest(req: IncomingMessage, res: ServerResponse, url: URL, ticker: string): void {
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if ((url.searchParams.get('apiKey') ?? bearer) !== this.key) {
      sendJson(res, 401, { status: 'ERROR', request_id: 'fake', error: 'Unknown API Key' });
      return;
    }
    const gte = Number(url.searchParams.get('timestamp.gte') ?? 0);
    const lt = Number(url.searchParams.get('timestamp.lt') ?? Number.MAX_VALUE);
    const limit = Number(url.searchParams.get('limit') ?? 1000);
    const all = (this.tradeHistory.get(ticker) ?? []).filter(
      (t) => t.sip_timestamp >= gte && t.sip_timestamp < lt,
    );
    const offset = Number(url.searchParams.get('cursor') ?? 0);
    const results = all.slice(offset, offset + limit);
    const body: Record<string, unknown> = { results, status: 'OK', request_id: 'fake' };
    if (offset + limit < all.length) {
      const next = new URL(url.pathname, this.restUrl);
      for (const [k, v] of url.searchParams) if (k !== 'cursor') next.searchParams.set(k, v);
      next.searchParams.set('cursor', String(offset + limit));
      body['next_url'] = next.toString();
    }
    sendJson(res, 200, body);
  }
}
