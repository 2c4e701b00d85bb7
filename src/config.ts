import { parseArgs } from 'node:util';

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
   * NATS JetStream URL of the replicas' command log (BUS_URL, `nats://host:port`); unset → one
   * process, no replication (docs/scaling.md).
   */
  readonly busUrl: string | undefined;
  /** This replica's id (REPLICA_ID); unset → generated. */
  readonly replicaId: string | undefined;
  /** Life of an unrenewed lease, the bound of a holder's failover (LEASE_TTL_MS; default 3,000). */
  readonly leaseTtlMs: number;
}

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
  return {
    port: integer('PORT', values.port ?? env['PORT'] ?? '4000', 0, 65_535),
    host: values.host ?? env['HOST'] ?? '127.0.0.1',
    databaseUrl,
    dataDir: values['data-dir'] ?? env['DATA_DIR'] ?? './data',
    adminToken: env['ADMIN_TOKEN'] || undefined,
    demo: !values['no-demo'] && databaseUrl === undefined && bus === undefined && env['DEMO'] !== '0',
    logLevel: env['LOG_LEVEL'] ?? 'info',
    logFormat: oneOf('LOG_FORMAT', env['LOG_FORMAT'] || undefined, ['pretty', 'json'] as const),
    writeDelayMs: integer('WRITE_DELAY_MS', env['WRITE_DELAY_MS'] ?? '100', 1, 60_000),
    writeBacklog: integer('WRITE_BACKLOG', env['WRITE_BACKLOG'] ?? '1000000', 1_000, 100_000_000),
    busUrl: busUrl(env['BUS_URL'] || undefined),
    replicaId: replicaId(env['REPLICA_ID'] || undefined),
    leaseTtlMs: integer('LEASE_TTL_MS', env['LEASE_TTL_MS'] ?? '3000', 500, 60_000),
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
