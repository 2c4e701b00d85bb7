/**
 * createApp(config) → { yoga, session, service, dispose }: opens the store (PGlite or PostgreSQL),
 * builds the tree, the session service, the write-behind writer and the GraphQL server, rebuilds a
 * persisted session (restart) or starts the demo on an empty embedded store. It does not listen:
 * src/server.ts does.
 */
import pino, { type Logger } from 'pino';
import type { AppConfig } from './config.ts';
import type { Instant } from './domain/types.ts';
import { loopDemo, startDemo } from './feed/demo.ts';
import { createYoga, type SessionYoga } from './graphql/yoga.ts';
import { createMetrics, type ServiceMetrics } from './http/metrics.ts';
import { SessionService } from './service/session-service.ts';
import { SessionData } from './session/session-data.ts';
import { type Database, openDatabase } from './store/database.ts';
import { createLoaders } from './store/loaders.ts';
import { Repository } from './store/repository.ts';
import { StoreWriter } from './store/writer.ts';

/** What createApp needs: the configuration with a decided admin token. */
export type AppOptions = Partial<AppConfig> & {
  readonly adminToken: string;
  /** Logger (default: pino at `logLevel`). */
  readonly logger?: Logger;
  /** Serve Prometheus default process metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** The wall clock of LIVE sessions (default Date.now). */
  readonly now?: () => Instant;
  /**
   * An open store to build on instead of opening one from `databaseUrl` / `dataDir`; its owner
   * closes it: dispose() leaves it open.
   */
  readonly database?: Database;
};

/** A built application. */
export interface App {
  readonly yoga: SessionYoga;
  readonly session: SessionData;
  readonly service: SessionService;
  readonly database: Database;
  readonly repository: Repository;
  readonly writer: StoreWriter;
  readonly metrics: ServiceMetrics;
  /** Whether the demo runs (the sample was imported and its replay started). */
  readonly demo: boolean;
  /** Readiness: started and the writer is not failing. */
  ready(): boolean;
  /**
   * Stops the replay, disposes yoga (ends subscriptions), flushes pending writes, closes the database
   * (unless it was handed in as `database`).
   */
  dispose(): Promise<void>;
}

/** Builds the application (see the module comment). */
export async function createApp(options: AppOptions): Promise<App> {
  const logger = options.logger ?? pino({ level: options.logLevel ?? 'info' });
  const ownsDatabase = options.database === undefined;
  const database =
    options.database ??
    (await openDatabase({
      url: options.databaseUrl,
      dataDir: options.dataDir ?? './data',
      log: logger.child({ component: 'store' }),
    }));
  const repository = new Repository(database);
  const writer = new StoreWriter(repository, {
    maxDelayMs: options.writeDelayMs ?? 100,
    maxBacklog: options.writeBacklog ?? 1_000_000,
    log: logger.child({ component: 'writer' }),
  });
  const session = new SessionData(options.now ? { now: options.now } : {});
  const service = new SessionService(session, repository, writer);
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const yoga = createYoga({
    service,
    createLoaders: () => createLoaders(repository),
    adminToken: options.adminToken,
    logger: logger.child({ component: 'graphql' }),
    metrics: metrics.graphql,
  });
  metrics.setSources({
    subscribers: () => yoga.pubsub.subscribers,
    writerBacklog: () => writer.backlog,
    trades: () => session.tradeCounters,
  });

  let stopLoop: (() => void) | null = null;
  try {
    const restored = await service.restore();
    if (restored) {
      logger.info(
        { date: session.date, symbols: session.activeSymbols() },
        'session restored from the store',
      );
    } else if (options.demo && database.driver === 'pglite') {
      const summaries = await startDemo(service, repository);
      for (const s of summaries) {
        logger.info(
          {
            file: s.file,
            rowsRead: s.rowsRead,
            stored: s.stored,
            unchanged: s.unchanged,
            rejected: s.rejected,
            sessionDates: s.sessionDates.length,
            ms: Math.round(s.durationMs),
          },
          'demo sample imported',
        );
      }
      stopLoop = loopDemo(service);
    }
  } catch (error) {
    service.dispose();
    await writer.close().catch(() => undefined);
    if (ownsDatabase) await database.close();
    throw error;
  }

  let disposed: Promise<void> | null = null;
  return {
    yoga,
    session,
    service,
    database,
    repository,
    writer,
    metrics,
    demo: stopLoop !== null,
    ready: () => writer.status().healthy,
    dispose() {
      disposed ??= (async () => {
        stopLoop?.();
        await service
          .flushState()
          .catch((error: unknown) => logger.warn({ err: error }, 'session state not saved'));
        service.dispose();
        await yoga.dispose();
        await writer.close();
        if (ownsDatabase) await database.close();
      })();
      return disposed;
    },
  };
}
