/**
 * A scripted fake of Alpaca's Market Data v2 stock stream and historical bars, over a real port,
 * following https://docs.alpaca.markets/docs/streaming-market-data,
 * https://docs.alpaca.markets/docs/real-time-stock-pricing-data and
 * https://docs.alpaca.markets/reference/stockbars:
 *
 * - `ws://…/v2/{iex|sip|test}`: greeting, auth by message (`{"action":"auth",…}` within the auth
 *   time-out) or by `APCA-API-KEY-ID`/`APCA-API-SECRET-KEY` headers; 402 for bad keys, 404 on
 *   time-out, 406 past the connection limit, 409 for a feed the account lacks, 401 for a
 *   subscription before auth, 400 for an unreadable message, 410 for an unknown channel, 405 past
 *   the symbol limit (subscriptions unchanged); subscribe/unsubscribe answered by the whole
 *   subscription (`corrections` and `cancelErrors` follow `trades`); JSON text frames, or binary
 *   MessagePack with `Content-Type: application/msgpack` (timestamps as the timestamp extension).
 * - `GET /v2/stocks/bars` and `GET /v2/stocks/trades`: the recorded bars (trades), `start`/`end`
 *   inclusive, sorted by symbol then time, paged by `limit` with `next_page_token`; 403 for bad
 *   keys; 429 on demand.
 *
 * The test scripts the stream with `push` (only subscribers of a channel and symbol get a message),
 * and breaks it with `dropConnections`, `slowClient`, `freeze` and `sendRaw`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decode, encode } from '@msgpack/msgpack';
import type { WebSocket } from 'ws';
import { type FakeServer, sendJson, startFakeServer } from './server.ts';

/** A message as Alpaca writes it (`t` an RFC-3339 string). */
export type AlpacaWireMessage = { readonly T: string; readonly S?: string; readonly t?: string } & Record<
  string,
  unknown
>;

/** A recorded 1m bar for the REST history. */
export interface RecordedBar {
  readonly t: string;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
  readonly n: number;
  readonly vw: number;
}

const CHANNELS = [
  'trades',
  'quotes',
  'bars',
  'updatedBars',
  'dailyBars',
  'statuses',
  'lulds',
  'corrections',
  'cancelErrors',
];
const SUBSCRIBABLE = new Set([
  'trades',
  'quotes',
  'bars',
  'updatedBars',
  'dailyBars',
  'statuses',
  'lulds',
  'imbalances',
]);
const CHANNEL_OF: Record<string, string> = {
  t: 'trades',
  q: 'quotes',
  b: 'bars',
  u: 'updatedBars',
  d: 'dailyBars',
  s: 'statuses',
  l: 'lulds',
  c: 'corrections',
  x: 'cancelErrors',
};

/** A recorded trade for the REST history (as `GET /v2/stocks/trades` writes it). */
export interface RecordedTrade {
  readonly t: string;
  readonly x: string;
  readonly p: number;
  readonly s: number;
  readonly c: readonly string[];
  readonly i: number;
  readonly z: string;
}

/** Options of the fake. */
export interface FakeAlpacaOptions {
  readonly key?: string;
  readonly secret?: string;
  /** Feeds the account may use (default iex and test). */
  readonly entitledFeeds?: readonly string[];
  readonly authTimeoutMs?: number;
  readonly connectionLimit?: number;
  /** Most symbols in trades + quotes (default unlimited). */
  readonly symbolLimit?: number;
  /** Most messages per frame when pushing (default 1,000). */
  readonly batch?: number;
}

interface Connection {
  readonly socket: WebSocket;
  readonly feed: string;
  readonly msgpack: boolean;
  authenticated: boolean;
  readonly subs: Map<string, Set<string>>;
  timer: NodeJS.Timeout | null;
}

/** The fake. */
export class FakeAlpaca {
  readonly key: string;
  readonly secret: string;
  /** Client messages received, secrets replaced by `***`. */
  readonly received: Record<string, unknown>[] = [];
  /** Paths and queries of REST requests. */
  readonly restRequests: URL[] = [];
  /** Every connection ever opened. */
  connectionCount = 0;
  private readonly connections = new Set<Connection>();
  private readonly history = new Map<string, RecordedBar[]>();
  private readonly tradeHistory = new Map<string, RecordedTrade[]>();
  private rateLimited = 0;
  private readonly frozen = new Set<Connection>();
  private server!: FakeServer;

  private constructor(private readonly options: FakeAlpacaOptions) {
    this.key = options.key ?? 'test-key-id';
    this.secret = options.secret ?? 'test-secret-key';
  }

  /** Starts the fake on a free port. */
  static async start(options: FakeAlpacaOptions = {}): Promise<FakeAlpaca> {
    const fake = new FakeAlpaca(options);
    fake.server = await startFakeServer(
      (req, res, url) => fake.rest(req, res, url),
      (socket, req, url) => fake.stream(socket, req, url),
    );
    return fake;
  }

  /** Stream base (APCA_API_STREAM_URL): the client appends `/v2/{feed}`. */
  get streamUrl(): string {
    return this.server.wsUrl;
  }

  /** REST base (APCA_API_DATA_URL). */
  get restUrl(): string {
    return this.server.httpUrl;
  }

  /** Authenticated connections now. */
  get authenticatedConnections(): number {
    return [...this.connections].filter((c) => c.authenticated && !this.frozen.has(c)).length;
  }

  /** The current subscription of the (single) authenticated connection. */
  subscription(): Record<string, string[]> {
    const connection = [...this.connections].find((c) => c.authenticated && !this.frozen.has(c));
    return connection ? this.subscriptionOf(connection) : {};
  }

  /** Sets the REST history of a symbol (its recorded 1m bars). */
  setHistory(symbol: string, bars: readonly RecordedBar[]): void {
    this.history.set(
      symbol,
      [...bars].sort((a, b) => Date.parse(a.t) - Date.parse(b.t)),
    );
  }

  /** Sets the REST trade history of a symbol. */
  setTradeHistory(symbol: string, trades: readonly RecordedTrade[]): void {
    this.tradeHistory.set(
      symbol,
      [...trades].sort((a, b) => Date.parse(a.t) - Date.parse(b.t)),
    );
  }

  /** The next `count` REST requests are answered 429. */
  rateLimitNext(count: number): void {
    this.rateLimited = count;
  }

  /** Sends messages to every authenticated connection subscribed to their channel and symbol. */
  push(messages: readonly AlpacaWireMessage[]): number {
    let sent = 0;
    for (const connection of this.connections) {
      if (!connection.authenticated || this.frozen.has(connection)) continue;
      const mine = messages.filter((m) => this.wants(connection, m));
      const batch = this.options.batch ?? 1_000;
      for (let i = 0; i < mine.length; i += batch) this.send(connection, mine.slice(i, i + batch));
      sent += mine.length;
    }
    return sent;
  }

  /** Sends raw bytes or text to every connection (malformed frames). */
  sendRaw(data: string | Uint8Array): void {
    for (const connection of this.connections)
      connection.socket.send(data, { binary: typeof data !== 'string' });
  }

  /** Kills every socket at once (no close handshake): the client sees the connection drop. */
  dropConnections(): void {
    for (const connection of this.connections) connection.socket.terminate();
  }

  /** Says `slow client` and drops the connections, as the server does with a reader that lags. */
  slowClient(): void {
    for (const connection of this.connections) {
      this.send(connection, [{ T: 'error', code: 407, msg: 'slow client' }]);
      connection.socket.close(1008, 'slow client');
    }
  }

  /** The open connections stop answering anything, pings included (a dead peer behind a live TCP connection); new connections work. */
  freeze(): void {
    for (const connection of this.connections) {
      this.frozen.add(connection);
      const raw = (connection.socket as unknown as { _socket?: { pause(): void } })._socket;
      raw?.pause();
    }
  }

  /** Stops the fake. */
  async close(): Promise<void> {
    for (const connection of this.connections) if (connection.timer) clearTimeout(connection.timer);
    await this.server.close();
  }

  private subscriptionOf(connection: Connection): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const channel of CHANNELS) out[channel] = [...(connection.subs.get(channel) ?? [])];
    return out;
  }

  private wants(connection: Connection, message: AlpacaWireMessage): boolean {
    const channel = CHANNEL_OF[message.T];
    if (!channel) return true;
    const set = connection.subs.get(channel);
    return set !== undefined && (set.has('*') || (message.S !== undefined && set.has(message.S)));
  }

  private send(connection: Connection, messages: readonly Record<string, unknown>[]): void {
    if (this.frozen.has(connection) || connection.socket.readyState !== connection.socket.OPEN) return;
    if (connection.msgpack) {
      const packed = messages.map((m) =>
        typeof m['t'] === 'string' ? { ...m, t: new Date(Date.parse(m['t'])) } : m,
      );
      connection.socket.send(encode(packed), { binary: true });
    } else connection.socket.send(JSON.stringify(messages));
  }

  private stream(socket: WebSocket, req: IncomingMessage, url: URL): void {
    const match = /^\/v2\/([a-z_]+)$/.exec(url.pathname);
    if (!match) {
      socket.close(1008, 'no such stream');
      return;
    }
    this.connectionCount++;
    const connection: Connection = {
      socket,
      feed: match[1]!,
      msgpack: String(req.headers['content-type'] ?? '').includes('application/msgpack'),
      authenticated: false,
      subs: new Map(CHANNELS.map((c) => [c, new Set<string>()])),
      timer: null,
    };
    this.connections.add(connection);
    socket.on('close', () => {
      if (connection.timer) clearTimeout(connection.timer);
      this.connections.delete(connection);
    });
    this.send(connection, [{ T: 'success', msg: 'connected' }]);
    const headerKey = req.headers['apca-api-key-id'];
    const headerSecret = req.headers['apca-api-secret-key'];
    if (typeof headerKey === 'string' && typeof headerSecret === 'string') {
      this.authenticate(connection, headerKey, headerSecret);
    } else {
      connection.timer = setTimeout(() => {
        if (connection.authenticated) return;
        this.send(connection, [{ T: 'error', code: 404, msg: 'auth timeout' }]);
        socket.close(1008, 'auth timeout');
      }, this.options.authTimeoutMs ?? 10_000);
    }
    socket.on('message', (data, binary) => this.message(connection, data as Buffer, binary));
  }

  private message(connection: Connection, data: Buffer, binary: boolean): void {
    if (this.frozen.has(connection)) return;
    let message: Record<string, unknown>;
    try {
      const value = binary ? decode(data) : JSON.parse(data.toString('utf8'));
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new Error('not an object');
      message = value as Record<string, unknown>;
    } catch {
      this.send(connection, [{ T: 'error', code: 400, msg: 'invalid syntax' }]);
      return;
    }
    this.received.push(message['secret'] === undefined ? message : { ...message, secret: '***' });
    switch (message['action']) {
      case 'auth':
        if (connection.authenticated) {
          this.send(connection, [{ T: 'error', code: 403, msg: 'already authenticated' }]);
          return;
        }
        this.authenticate(connection, message['key'], message['secret']);
        return;
      case 'subscribe':
      case 'unsubscribe':
        this.subscribe(connection, message);
        return;
      default:
        this.send(connection, [{ T: 'error', code: 400, msg: 'invalid syntax' }]);
    }
  }

  private authenticate(connection: Connection, key: unknown, secret: unknown): void {
    if (key !== this.key || secret !== this.secret) {
      this.send(connection, [{ T: 'error', code: 402, msg: 'auth failed' }]);
      return;
    }
    if (this.authenticatedConnections >= (this.options.connectionLimit ?? 1)) {
      this.send(connection, [{ T: 'error', code: 406, msg: 'connection limit exceeded' }]);
      connection.socket.close(1008, 'connection limit exceeded');
      return;
    }
    if (!(this.options.entitledFeeds ?? ['iex', 'test']).includes(connection.feed)) {
      // The server refuses at authentication and leaves the socket open.
      this.send(connection, [{ T: 'error', code: 409, msg: 'insufficient subscription' }]);
      return;
    }
    if (connection.timer) clearTimeout(connection.timer);
    connection.authenticated = true;
    this.send(connection, [{ T: 'success', msg: 'authenticated' }]);
  }

  private subscribe(connection: Connection, message: Record<string, unknown>): void {
    if (!connection.authenticated) {
      this.send(connection, [{ T: 'error', code: 401, msg: 'not authenticated' }]);
      return;
    }
    const adding = message['action'] === 'subscribe';
    const lists: Array<[string, string[]]> = [];
    for (const [name, value] of Object.entries(message)) {
      if (name === 'action') continue;
      if (!SUBSCRIBABLE.has(name)) {
        this.send(connection, [{ T: 'error', code: 410, msg: 'invalid subscribe action for this feed' }]);
        return;
      }
      if (
        !Array.isArray(value) ||
        !value.every((s) => typeof s === 'string' && /^([A-Z.]{1,12}|\*)$/.test(s))
      ) {
        this.send(connection, [{ T: 'error', code: 400, msg: 'invalid syntax' }]);
        return;
      }
      lists.push([name, value as string[]]);
    }
    const next = new Map([...connection.subs].map(([c, s]) => [c, new Set(s)]));
    for (const [channel, symbols] of lists) {
      const set = next.get(channel) ?? new Set<string>();
      next.set(channel, set);
      for (const symbol of symbols) {
        if (adding) set.add(symbol);
        else set.delete(symbol);
      }
    }
    next.set('corrections', new Set(next.get('trades')));
    next.set('cancelErrors', new Set(next.get('trades')));
    const limit = this.options.symbolLimit;
    if (limit !== undefined && next.get('trades')!.size + next.get('quotes')!.size > limit) {
      this.send(connection, [{ T: 'error', code: 405, msg: 'symbol limit exceeded' }]);
      return;
    }
    for (const [channel, set] of next) connection.subs.set(channel, set);
    this.send(connection, [{ T: 'subscription', ...this.subscriptionOf(connection) }]);
  }

  private rest(req: IncomingMessage, res: ServerResponse, url: URL): void {
    this.restRequests.push(url);
    const trades = url.pathname === '/v2/stocks/trades';
    if (req.method !== 'GET' || (url.pathname !== '/v2/stocks/bars' && !trades)) {
      sendJson(res, 404, { message: 'Not Found' });
      return;
    }
    if (req.headers['apca-api-key-id'] !== this.key || req.headers['apca-api-secret-key'] !== this.secret) {
      sendJson(res, 403, { message: 'forbidden' });
      return;
    }
    if (this.rateLimited > 0) {
      this.rateLimited--;
      const reset = Math.ceil(Date.now() / 1000);
      sendJson(
        res,
        429,
        { message: 'too many requests.' },
        {
          'x-ratelimit-limit': '200',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(reset),
        },
      );
      return;
    }
    const q = url.searchParams;
    const symbols = (q.get('symbols') ?? '').split(',').filter(Boolean);
    const start = Date.parse(q.get('start') ?? '');
    const end = q.get('end') ? Date.parse(q.get('end')!) : Date.now();
    const limit = Number(q.get('limit') ?? 1000);
    if (symbols.length === 0) {
      sendJson(res, 400, { message: 'missing symbols' });
      return;
    }
    if (!trades && q.get('timeframe') !== '1Min') {
      sendJson(res, 400, { message: 'this fake serves timeframe=1Min only' });
      return;
    }
    if (Number.isNaN(start) || Number.isNaN(end)) {
      sendJson(res, 400, { message: 'invalid start or end' });
      return;
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      sendJson(res, 400, { message: 'invalid limit' });
      return;
    }
    const feed = q.get('feed') ?? 'sip';
    if (!(this.options.entitledFeeds ?? ['iex', 'test']).includes(feed)) {
      sendJson(res, 403, { message: 'subscription does not permit querying recent SIP data' });
      return;
    }
    const all: Array<{ symbol: string; item: RecordedBar | RecordedTrade }> = [];
    for (const symbol of [...symbols].sort()) {
      for (const item of (trades ? this.tradeHistory : this.history).get(symbol) ?? []) {
        const t = Date.parse(item.t);
        if (t >= start && t <= end) all.push({ symbol, item });
      }
    }
    const offset = q.get('page_token')
      ? Number(Buffer.from(q.get('page_token')!, 'base64url').toString())
      : 0;
    const page = all.slice(offset, offset + limit);
    const items: Record<string, (RecordedBar | RecordedTrade)[]> = {};
    for (const { symbol, item } of page) {
      items[symbol] ??= [];
      items[symbol].push(item);
    }
    const more = offset + limit < all.length;
    sendJson(res, 200, {
      [trades ? 'trades' : 'bars']: items,
      next_page_token: more ? Buffer.from(String(offset + limit)).toString('base64url') : null,
    });
  }
}
