import { parseArgs } from 'node:util';
import { parseRehearsalClock, type RehearsalClockSettings } from './domain/rehearsal-clock.ts';

/** Everything the service is configured with (environment variables, mirrored by flags). */
export interface AppConfig {
  /** TCP port (PORT, --port; default 4000). */
  readonly port: number;
  /** Interface to listen on (HOST, --host; default 127.0.0.1). */
  readonly host: string;
  /** PostgreSQL URL (DATABASE_URL); unset → embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** Folder of the embedded database (DATA_DIR, --data-dir; default ./data). */
  readonly dataDir: string;
  /** Bearer token of the admin mutations (ADMIN_TOKEN); unset → one is generated and printed. */
  readonly adminToken: string | undefined;
  /** Start the demo (import the SPY sample and replay it) when the embedded store is empty. */
  readonly demo: boolean;
  /** pino level (LOG_LEVEL; default info). */
  readonly logLevel: string;
  /** LOG_FORMAT: `pretty` or `json`; unset → pretty lines on a terminal, JSON otherwise (src/lib/logger.ts). */
  readonly logFormat: 'pretty' | 'json' | undefined;
  /** Longest delay before an accepted bar is written (WRITE_DELAY_MS; default 100). */
  readonly writeDelayMs: number;
  /** Most changes held for writing while the database is unreachable (WRITE_BACKLOG; default 1,000,000). */
  readonly writeBacklog: number;
  /**
   * WRITE_MODE: `durable` (an ingest mutation answers once its items are committed) or
   * `write-behind` (it answers at once; they are committed within WRITE_DELAY_MS). Unset: durable
   * on PostgreSQL (DATABASE_URL), write-behind on the embedded store (README, "Durability").
   */
  readonly writeMode: WriteMode | undefined;
  /** How long a durable ingest waits for its commit before answering STORE_UNAVAILABLE (WRITE_ACK_TIMEOUT_MS; default 10,000). */
  readonly writeAckTimeoutMs: number;
  /**
   * NATS JetStream URL of the replicas' command log (BUS_URL, `nats://host:port`); unset → one
   * process, no replication (docs/scaling.md).
   */
  readonly busUrl: string | undefined;
  /** This replica's id (REPLICA_ID); unset → generated. */
  readonly replicaId: string | undefined;
  /** Life of an unrenewed lease, the bound of a holder's failover (LEASE_TTL_MS; default 3,000). */
  readonly leaseTtlMs: number;
  /** The live feed (FEED and its provider's variables); `none` by default. */
  readonly feed: FeedConfig;
  /** The rehearsal clock (CLOCK_START, CLOCK_SPEED); null = the real wall clock. */
  readonly clock: RehearsalClockSettings | null;
}

/** Symbols a feed loads at start when the store has no configuration yet. */
export interface FeedSymbolsConfig {
  /** FEED_SYMBOLS, e.g. `SPY,AAPL` (upper-cased; empty = none). */
  readonly symbols: readonly string[];
  /** FEED_BASE: `1m` (default) or `1s`. */
  readonly base: '1m' | '1s';
  /** FEED_SOURCE: `BARS` (default) or `TRADES`. */
  readonly source: 'BARS' | 'TRADES';
}

/** FEED and the variables of its provider (the providers' own names). */
export type FeedConfig =
  | { readonly kind: 'none' }
  | (FeedSymbolsConfig & {
      readonly kind: 'alpaca';
      /** APCA_API_KEY_ID. */
      readonly keyId: string;
      /** APCA_API_SECRET_KEY. */
      readonly secretKey: string;
      /** APCA_API_DATA_URL (REST base); default https://data.alpaca.markets. */
      readonly dataUrl: string;
      /** APCA_API_STREAM_URL (stream base); default wss://stream.data.alpaca.markets. */
      readonly streamUrl: string;
      /** ALPACA_FEED: `iex` (default, free) or `sip`. */
      readonly alpacaFeed: 'iex' | 'sip';
    })
  | (FeedSymbolsConfig & {
      readonly kind: 'polygon';
      /** POLYGON_API_KEY. */
      readonly apiKey: string;
      /** POLYGON_WS_URL; default wss://socket.massive.com/stocks. */
      readonly wsUrl: string;
      /** POLYGON_REST_URL; default https://api.massive.com. */
      readonly restUrl: string;
    });

/** When an ingest mutation answers: after its items are committed, or at once (written within the delay). */
export type WriteMode = 'durable' | 'write-behind';

/** The write modes. */
export const WRITE_MODES: readonly WriteMode[] = ['durable', 'write-behind'];

/**
 * Reads the configuration from environment variables and command-line flags (flags win).
 * @throws Error with a clear message for a malformed value
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): AppConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'no-demo': { type: 'boolean' },
    },
    strict: true,
  });
  const databaseUrl = env['DATABASE_URL'] || undefined;
  const bus = env['BUS_URL'] || undefined;
  const feed = loadFeedConfig(env);
  return {
    port: integer('PORT', values.port ?? env['PORT'] ?? '4000', 0, 65_535),
    host: values.host ?? env['HOST'] ?? '127.0.0.1',
    databaseUrl,
    dataDir: values['data-dir'] ?? env['DATA_DIR'] ?? './data',
    adminToken: env['ADMIN_TOKEN'] || undefined,
    demo:
      !values['no-demo'] &&
      databaseUrl === undefined &&
      bus === undefined &&
      env['DEMO'] !== '0' &&
      feed.kind === 'none',
    logLevel: env['LOG_LEVEL'] ?? 'info',
    logFormat: oneOf('LOG_FORMAT', env['LOG_FORMAT'] || undefined, ['pretty', 'json'] as const),
    writeDelayMs: integer('WRITE_DELAY_MS', env['WRITE_DELAY_MS'] ?? '100', 1, 60_000),
    writeBacklog: integer('WRITE_BACKLOG', env['WRITE_BACKLOG'] ?? '1000000', 1_000, 100_000_000),
    writeMode: oneOf('WRITE_MODE', env['WRITE_MODE'] || undefined, WRITE_MODES),
    writeAckTimeoutMs: integer('WRITE_ACK_TIMEOUT_MS', env['WRITE_ACK_TIMEOUT_MS'] ?? '10000', 1, 600_000),
    busUrl: busUrl(env['BUS_URL'] || undefined),
    replicaId: replicaId(env['REPLICA_ID'] || undefined),
    leaseTtlMs: integer('LEASE_TTL_MS', env['LEASE_TTL_MS'] ?? '3000', 500, 60_000),
    feed,
    clock: parseRehearsalClock(env['CLOCK_START'], env['CLOCK_SPEED']),
  };
}

function busUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  for (const part of raw.split(',')) {
    if (!/^(nats|tls):\/\/[^\s/]+(:\d+)?$/.test(part.trim())) {
      throw new Error(`BUS_URL must be nats://host:port (comma-separated for several), got "${raw}"`);
    }
  }
  return raw;
}

function replicaId(raw: string | undefined): string | undefined {
  if (raw !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(raw)) {
    throw new Error(`REPLICA_ID must be 1 to 64 letters, digits, _ or -, got "${raw}"`);
  }
  return raw;
}

function loadFeedConfig(env: NodeJS.ProcessEnv): FeedConfig {
  const kind = oneOf('FEED', env['FEED'] || undefined, ['alpaca', 'polygon', 'none'] as const) ?? 'none';
  if (kind === 'none') return { kind };
  const symbols = (env['FEED_SYMBOLS'] ?? '')
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s.length > 0);
  const bad = symbols.find((s) => !/^[A-Z][A-Z0-9.-]{0,11}$/.test(s));
  if (bad !== undefined)
    throw new Error(`FEED_SYMBOLS holds "${bad}", which is not a symbol (e.g. FEED_SYMBOLS=SPY,AAPL)`);
  const loads: FeedSymbolsConfig = {
    symbols: [...new Set(symbols)],
    base: oneOf('FEED_BASE', env['FEED_BASE'] || undefined, ['1m', '1s'] as const) ?? '1m',
    source: oneOf('FEED_SOURCE', env['FEED_SOURCE'] || undefined, ['BARS', 'TRADES'] as const) ?? 'BARS',
  };
  if (kind === 'alpaca') {
    return {
      kind,
      ...loads,
      keyId: required(env, 'APCA_API_KEY_ID', 'FEED=alpaca'),
      secretKey: required(env, 'APCA_API_SECRET_KEY', 'FEED=alpaca'),
      dataUrl: url('APCA_API_DATA_URL', env['APCA_API_DATA_URL'] || 'https://data.alpaca.markets', [
        'http:',
        'https:',
      ]),
      streamUrl: url(
        'APCA_API_STREAM_URL',
        env['APCA_API_STREAM_URL'] || 'wss://stream.data.alpaca.markets',
        ['ws:', 'wss:'],
      ),
      alpacaFeed: oneOf('ALPACA_FEED', env['ALPACA_FEED'] || undefined, ['iex', 'sip'] as const) ?? 'iex',
    };
  }
  return {
    kind,
    ...loads,
    apiKey: required(env, 'POLYGON_API_KEY', 'FEED=polygon'),
    wsUrl: url('POLYGON_WS_URL', env['POLYGON_WS_URL'] || 'wss://socket.massive.com/stocks', ['ws:', 'wss:']),
    restUrl: url('POLYGON_REST_URL', env['POLYGON_REST_URL'] || 'https://api.massive.com', [
      'http:',
      'https:',
    ]),
  };
}

function required(env: NodeJS.ProcessEnv, name: string, because: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`${because} needs ${name}`);
  return value;
}

function url(name: string, raw: string, protocols: readonly string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new Error(`${name} must be a URL (${protocols.join(' or ')}), got "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new Error(`${name} must be a ${protocols.join(' or ')} URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

function oneOf<T extends string>(name: string, raw: string | undefined, values: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!(values as readonly string[]).includes(raw)) {
    throw new Error(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function integer(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
