/**
 * createApp(config) → { yoga, session, service, dispose }: opens the store (PGlite or PostgreSQL),
 * builds the tree, the session service, the write-behind writer and the GraphQL server, rebuilds a
 * persisted session (restart) or starts the demo on an empty embedded store. It does not listen:
 * src/server.ts does.
 */
import pino, { type Logger } from 'pino';
import type { AppConfig } from './config.ts';
import { rehearsalClock } from './domain/rehearsal-clock.ts';
import type { Instant } from './domain/types.ts';
import { loopDemo, startDemo } from './feed/demo.ts';
import { createYoga, type SessionYoga } from './graphql/yoga.ts';
import { createMetrics, type ServiceMetrics } from './http/metrics.ts';
import { type LiveFeedHandle, startLiveFeed } from './service/live-feed.ts';
import { registerReplicationMetrics } from './service/replication/metrics.ts';
import { Replica } from './service/replication/replica.ts';
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
  /** The wall clock of LIVE sessions (default: the rehearsal clock of `clock`, else Date.now). */
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
  /** The replica (BUS_URL set): the command log, the lease, where it stands; null for one process. */
  readonly replica: Replica | null;
  /** Whether the demo runs (the sample was imported and its replay started). */
  readonly demo: boolean;
  /** The live feed (FEED=alpaca | polygon), or null. */
  readonly liveFeed: LiveFeedHandle | null;
  /** Readiness: started and the writer is not failing. */
  ready(): boolean;
  /** What `/ready` shows besides its status: the replica's applied position and lag (BUS_URL set). */
  readyDetails(): Record<string, unknown>;
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
  let replica: Replica | null = null;
  const wallClock = options.now ?? rehearsalClock(options.clock ?? null);
  // A replica's LIVE clock is the applied record's time (src/service/replication/applier.ts).
  const now = options.busUrl ? () => (replica ? replica.now() : wallClock()) : wallClock;
  const session = new SessionData({ now });
  if (options.busUrl) {
    try {
      if (options.feed && options.feed.kind !== 'none') {
        throw new Error(
          'FEED with BUS_URL is not supported yet: run the live feed in a single-process service',
        );
      }
      replica = await Replica.start({
        busUrl: options.busUrl,
        ...(options.replicaId ? { replicaId: options.replicaId } : {}),
        session,
        store: repository,
        writer,
        logger: logger.child({ component: 'replica' }),
        leaseTtlMs: options.leaseTtlMs ?? 3000,
        maxRetained: options.writeBacklog ?? 1_000_000,
        wallClock,
      });
    } catch (error) {
      await writer.close().catch(() => undefined);
      if (ownsDatabase) await database.close();
      throw error;
    }
  }
  const service = replica
    ? replica.service
    : new SessionService(session, repository, writer, {
        writeMode: options.writeMode ?? (database.driver === 'postgres' ? 'durable' : 'write-behind'),
        ackTimeoutMs: options.writeAckTimeoutMs ?? 10_000,
      });
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  if (replica) registerReplicationMetrics(metrics.registry, replica);
  const yoga = createYoga({
    service: replica ?? service,
    createLoaders: () => createLoaders(repository),
    adminToken: options.adminToken,
    logger: logger.child({ component: 'graphql' }),
    metrics: metrics.graphql,
  });
  metrics.setSources({
    subscribers: () => yoga.pubsub.subscribers,
    writerBacklog: () => writer.backlog,
    trades: () => session.tradeCounters,
    eventListeners: () => ({
      bar: session.events.count('bar'),
      baseBar: session.events.count('baseBar'),
      session: session.events.count('session'),
      marketData: session.events.count('marketData'),
    }),
  });

  let stopLoop: (() => void) | null = null;
  let liveFeed: LiveFeedHandle | null = null;
  try {
    // A replica rebuilds from the log (and the store), not here.
    const restored = replica ? false : await service.restore();
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
    if (options.feed && options.feed.kind !== 'none') {
      liveFeed = await startLiveFeed({
        config: options.feed,
        service,
        log: logger.child({ component: 'feed' }),
        now,
        hasSymbolConfigs: async () => (await repository.listSymbolConfigs()).length > 0,
      });
      const running = liveFeed;
      metrics.setSources({
        subscribers: () => yoga.pubsub.subscribers,
        writerBacklog: () => writer.backlog,
        feed: () => {
          const counts = running.ingest.counts();
          const status = running.controller.status();
          return { feed: status.feed, up: status.state === 'UP', outages: status.outages.length, ...counts };
        },
      });
    }
  } catch (error) {
    await liveFeed?.controller.dispose();
    service.dispose();
    await replica?.dispose();
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
    replica,
    demo: stopLoop !== null,
    liveFeed,
    ready: () => writer.status().healthy && (replica?.ready() ?? true),
    readyDetails: () => (replica ? { replication: replica.status() } : {}),
    dispose() {
      disposed ??= (async () => {
        stopLoop?.();
        await liveFeed?.controller.dispose();
        await service
          .flushState()
          .catch((error: unknown) => logger.warn({ err: error }, 'session state not saved'));
        await replica?.dispose();
        service.dispose();
        await yoga.dispose();
        await writer.close();
        if (ownsDatabase) await database.close();
      })();
      return disposed;
    },
  };
}
