/**
 * A replica of the session (BUS_URL set): the same service as a single process, with every change
 * going through the command log (src/service/replication/README.md has the whole design).
 *
 * - A mutation is shape-checked (and checked for what needs no state: trading day, settings, room in
 *   the write backlog), published, and answered once the log holds it AND this replica applied it
 *   (read-your-writes here); its answer is what applying it gave.
 * - Every record is applied by {@link CommandApplier}, in stream order, on every replica.
 * - The lease holder also: writes the store (its {@link ReplicaSink} hands writes to the writer, the
 *   others retain them until it reports them durable), reads today's data for starts and loads, ticks
 *   the LIVE clock once a second and runs the replay driver, each published as a record.
 * - Start: read the log from the latest session start (or ask for a restore from the store when the
 *   log holds none); ready once applied up to where the log stood at start and no session data is
 *   pending.
 */
import { randomBytes } from 'node:crypto';
import { type KV, Kvm } from '@nats-io/kv';
import type { Logger } from 'pino';
import { sessionWindow } from '../../domain/calendar.ts';
import { ServiceError } from '../../domain/errors.ts';
import type { FeedState, FeedStatus } from '../../domain/feed-health.ts';
import {
  resolveSettings,
  type SymbolSettings,
  type SymbolSettingsInput,
} from '../../domain/symbol-settings.ts';
import type {
  BarInput,
  ClockMode,
  IngestResult,
  Instant,
  IsoDate,
  QuoteInput,
  TickInput,
} from '../../domain/types.ts';
import { ReplayDriver, type ReplayStatus } from '../../feed/replay.ts';
import type { SessionData } from '../../session/session-data.ts';
import type { SymbolSessionData } from '../../session/symbol-session-data.ts';
import type { StoreWriter } from '../../store/writer.ts';
import { SessionService, type SessionStore } from '../session-service.ts';
import {
  type ApplierHooks,
  CommandApplier,
  checkStart,
  type Outcome,
  type PendingRequest,
} from './applier.ts';
import type { Command, LogRecord, SymbolStoreData } from './commands.ts';
import { HolderStore } from './holder-store.ts';
import { Lease } from './lease.ts';
import { busUnavailable, CommandLog, type Follower } from './log.ts';
import { ReplicaSink } from './replica-sink.ts';

/** Options of {@link Replica.start}. */
export interface ReplicaOptions {
  /** `nats://host:port` (BUS_URL). */
  readonly busUrl: string;
  /** This replica's id (REPLICA_ID); generated when omitted. */
  readonly replicaId?: string;
  /** The tree; it must read its LIVE wall clock from `replica.now` (see `createSessionData`). */
  readonly session: SessionData;
  readonly store: SessionStore;
  readonly writer: StoreWriter;
  readonly logger: Logger;
  /** Lease TTL (LEASE_TTL_MS, default 3,000 ms). */
  readonly leaseTtlMs?: number;
  /** Most writes retained while waiting for the holder (default the writer's backlog, 1,000,000). */
  readonly maxRetained?: number;
  /** Stream and subject prefix (tests: several clusters on one server). */
  readonly stream?: string;
  readonly prefix?: string;
  /** The tree's quote and tick buffer bound (the store reads of a load take that many). */
  readonly bufferCapacity?: number;
  /** Longest wait for a published command to be applied here (default 30 s). */
  readonly applyTimeoutMs?: number;
  /** The wall clock that stamps published records: a LIVE session's clock (default Date.now). */
  readonly wallClock?: () => Instant;
}

/** Where a replica stands (`/ready`, `/metrics`). */
export interface ReplicationStatus {
  readonly replica: string;
  readonly holder: boolean;
  /** Stream position of the latest applied record. */
  readonly applied: number;
  /** Records in the stream after it (as of the latest delivery). */
  readonly lag: number;
  /** Wall time from the latest applied record's publication to its application (ms). */
  readonly lagMs: number;
  readonly caughtUp: boolean;
  readonly connected: boolean;
  /** Writes retained for the holder (0 on the holder). */
  readonly retained: number;
  /** The latest position the holder reported durable in PostgreSQL. */
  readonly persisted: number;
}

const PERSISTED_KEY = 'persisted';
/** Records that carry session data (their lag is the replication lag users see on bars). */
const DATA_KINDS: ReadonlySet<Command['kind']> = new Set([
  'ingestBars',
  'ingestQuotes',
  'ingestTicks',
  'ingestTrades',
  'replayBars',
]);

/** A replica (see the module comment). */
export class Replica {
  readonly id: string;
  readonly service: SessionService;
  readonly applier: CommandApplier;
  readonly sink: ReplicaSink;
  readonly store: HolderStore;
  /**
   * Observer of each applied record: (publication → application) in ms, and whether it carried
   * session data (ingest, replay bars): the lag metrics.
   */
  onApplied: ((lagMs: number, data: boolean) => void) | null = null;
  #follower: Follower | null = null;
  #lease: Lease | null = null;
  #state: KV | null = null;
  #waiters = new Map<string, (outcome: Outcome) => void>();
  #counter = 0;
  readonly #nonce = randomBytes(4).toString('hex');
  #caughtUpAt = Number.POSITIVE_INFINITY;
  #caughtUp = false;
  #lagMs = 0;
  #persisted = 0;
  #driver: ReplayDriver | null = null;
  #ticker: NodeJS.Timeout | null = null;
  #timers: NodeJS.Timeout[] = [];
  #holderChain: Promise<unknown> = Promise.resolve();
  #leaseWaiters: { token: number; resolve: () => void }[] = [];
  #driverRestart: NodeJS.Timeout | null = null;
  #stopped = false;
  readonly #log: Logger;
  readonly #applyTimeoutMs: number;
  readonly #bufferCapacity: number;

  private constructor(
    private readonly options: ReplicaOptions,
    private readonly bus: CommandLog,
  ) {
    this.id = options.replicaId ?? `r-${randomBytes(4).toString('hex')}`;
    this.#log = options.logger;
    this.#applyTimeoutMs = options.applyTimeoutMs ?? 30_000;
    this.#bufferCapacity = options.bufferCapacity ?? 10_000;
    this.sink = new ReplicaSink(options.writer, options.maxRetained ?? 1_000_000);
    this.store = new HolderStore(
      options.store,
      () => this.sink.holder,
      (error) => this.#log.warn({ err: error }, 'store write of the lease holder failed'),
    );
    this.service = new SessionService(options.session, this.store, this.sink, { liveTicker: false });
    this.applier = new CommandApplier(
      options.session,
      this.service,
      this.store,
      options.store,
      this.sink,
      this.hooks(),
    );
  }

  /**
   * Connects to the bus, starts reading the log and campaigning for the lease. Resolves once the
   * replica follows the log; `ready()` turns true when it has caught up.
   * @throws ServiceError BUS_UNAVAILABLE when no NATS server answers
   */
  static async start(options: ReplicaOptions): Promise<Replica> {
    const name = options.replicaId ?? undefined;
    const bus = await CommandLog.open({
      url: options.busUrl,
      ...(name ? { name } : {}),
      ...(options.stream ? { stream: options.stream } : {}),
      ...(options.prefix ? { prefix: options.prefix } : {}),
    });
    const replica = new Replica(options, bus);
    try {
      await replica.begin();
    } catch (error) {
      await replica.dispose();
      throw busUnavailable(error);
    }
    return replica;
  }

  /** The wall clock of a LIVE session on this replica: the applied record's publication time. */
  now(): Instant {
    return this.applier.now;
  }

  private async begin(): Promise<void> {
    const prefix = this.options.prefix ?? 'session';
    const kvm = new Kvm(this.bus.connection);
    this.#state = await kvm.create(`${prefix}-state`, { history: 1 });
    this.#lease = await Lease.open({
      connection: this.bus.connection,
      replica: this.id,
      bucket: `${prefix}-lease`,
      ...(this.options.leaseTtlMs ? { ttlMs: this.options.leaseTtlMs } : {}),
      onAcquired: (token) => void this.takeOver(token),
      onLost: (reason) => this.resign(reason),
    });
    const last = await this.bus.lastSeq();
    const start = await this.bus.latestSessionStart();
    this.#caughtUpAt = last;
    this.#follower = await this.bus.follow(
      start ?? last + 1,
      (record, seq) => this.applyRecord(record, seq),
      {
        onMalformed: (seq, error) => this.#log.warn({ seq, err: error }, 'malformed record skipped'),
        onApplyError: (seq, error) =>
          this.#log.error({ seq, err: error }, 'applying a record failed: following stopped'),
      },
    );
    if (last === 0 || start === null) this.#caughtUp = true;
    if (start === null) {
      // No session in the log: the persisted one (if any) is restored, once, whoever asks first.
      await this.bus.publish(this.record({ kind: 'restoreSession' }, `restore-${last}`));
    }
    this.#timers.push(setInterval(() => void this.syncPersisted(), 250));
    for (const t of this.#timers) t.unref();
    this.#lease.start();
  }

  private async applyRecord(record: LogRecord, seq: number): Promise<void> {
    await this.applier.apply(record, seq);
    this.#lagMs = Math.max(0, Date.now() - record.at);
    this.onApplied?.(this.#lagMs, DATA_KINDS.has(record.command.kind));
    if (!this.#caughtUp && seq >= this.#caughtUpAt) this.#caughtUp = true;
  }

  private hooks(): ApplierHooks {
    return {
      holder: () => this.sink.holder,
      readForRequest: (request) => this.readForRequest(request),
      sessionReady: () => this.startDriver(),
      stopDriver: () => this.stopDriver(),
      controlDriver: (action) => {
        if (action === 'pause') this.#driver?.pause();
        else this.#driver?.resume();
      },
      leaseApplied: (token) => {
        this.#leaseWaiters = this.#leaseWaiters.filter((w) => {
          if (w.token > token) return true;
          w.resolve();
          return false;
        });
      },
      settle: (id, outcome) => {
        const waiter = this.#waiters.get(id);
        if (waiter) {
          this.#waiters.delete(id);
          waiter(outcome);
        }
      },
      problem: (seq, error) => this.#log.error({ seq, err: error }, 'a record failed to apply'),
    };
  }

  /** Whether the replica has caught up with the log and holds a whole session. */
  ready(): boolean {
    return this.#caughtUp && !this.applier.sessionPending() && !this.#stopped;
  }

  /** Where the replica stands. */
  status(): ReplicationStatus {
    return {
      replica: this.id,
      holder: this.sink.holder,
      applied: this.applier.position,
      lag: this.#follower?.pending ?? 0,
      lagMs: this.#lagMs,
      caughtUp: this.#caughtUp,
      connected: this.bus.connected,
      retained: this.sink.retained,
      persisted: this.#persisted,
    };
  }

  // ── publishing ────────────────────────────────────────────────────────────────────────────────

  private record(command: Command, id?: string, lease: number | null = null): LogRecord {
    return {
      id: id ?? `${this.id}.${this.#nonce}.${++this.#counter}`,
      replica: this.id,
      at: (this.options.wallClock ?? Date.now)(),
      lease,
      command,
    };
  }

  /** Publishes a request and waits until this replica applied it: its outcome. */
  private async submit(command: Command): Promise<unknown> {
    if (!this.bus.connected) throw busUnavailable('not connected');
    const record = this.record(command);
    const outcome = new Promise<Outcome>((resolve) => this.#waiters.set(record.id, resolve));
    try {
      await this.bus.publish(record);
    } catch (error) {
      this.#waiters.delete(record.id);
      throw error;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Outcome>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            ok: false,
            error: new ServiceError(
              'BUS_UNAVAILABLE',
              'the change is in the log but was not applied here in time (the bus is slow or unreachable); it will be applied',
            ),
          }),
        this.#applyTimeoutMs,
      );
    });
    const result = await Promise.race([outcome, timeout]);
    clearTimeout(timer);
    this.#waiters.delete(record.id);
    if (!result.ok) throw result.error;
    return result.value;
  }

  /** Publishes a record of the lease holder, in order after the previous ones; false when not held. */
  private publishHolder(command: Command): Promise<boolean> {
    const run = this.#holderChain.then(async () => {
      const token = this.#lease?.token ?? null;
      if (token === null || this.#stopped) return false;
      await this.bus.publish(this.record(command, undefined, token));
      return true;
    });
    this.#holderChain = run.catch(() => undefined);
    return run;
  }

  // ── the API (GraphqlService) ──────────────────────────────────────────────────────────────────

  get session(): SessionData {
    return this.options.session;
  }

  /** @throws ServiceError NOT_TRADING_DAY, BAD_USER_INPUT, BUS_UNAVAILABLE */
  async startSession(date: IsoDate, mode: ClockMode, replaySpeed?: number): Promise<void> {
    checkStart(date, replaySpeed ?? null);
    await this.submit({ kind: 'startSession', date, mode, replaySpeed: replaySpeed ?? null });
  }

  async endSession(): Promise<void> {
    await this.submit({ kind: 'endSession' });
  }

  async advanceClock(to: Instant): Promise<void> {
    await this.submit({ kind: 'advanceClock', to });
  }

  async loadSymbol(input: SymbolSettingsInput): Promise<SymbolSessionData> {
    resolveSettings(input);
    const settings = JSON.parse(JSON.stringify(input)) as SymbolSettingsInput;
    return (await this.submit({ kind: 'loadSymbol', settings })) as SymbolSessionData;
  }

  async removeSymbol(symbol: string): Promise<boolean> {
    return (await this.submit({ kind: 'removeSymbol', symbol })) as boolean;
  }

  ingestBars(bars: readonly BarInput[]): Promise<IngestResult> {
    return this.ingest(bars.length, { kind: 'ingestBars', bars });
  }

  ingestQuotes(quotes: readonly QuoteInput[]): Promise<IngestResult> {
    return this.ingest(quotes.length, { kind: 'ingestQuotes', quotes });
  }

  ingestTicks(ticks: readonly TickInput[]): Promise<IngestResult> {
    return this.ingest(ticks.length, { kind: 'ingestTicks', ticks });
  }

  /** Records a feed's status through the log (every replica records it; the holder persists it). */
  async reportFeedStatus(
    feed: string,
    status: FeedStatus,
    at: Instant,
    reason: string | null,
  ): Promise<FeedState> {
    return (await this.submit({ kind: 'reportFeedStatus', feed, status, at, reason })) as FeedState;
  }

  private async ingest(count: number, command: Command): Promise<IngestResult> {
    if (count === 0) return { accepted: 0, rejected: [] };
    if (!this.sink.hasRoom(count)) {
      const message = 'the store is unreachable and its write backlog is full: retry later';
      return {
        accepted: 0,
        rejected: Array.from({ length: count }, (_, index) => ({
          index,
          code: 'STORE_UNAVAILABLE' as const,
          message,
        })),
      };
    }
    return (await this.submit(command)) as IngestResult;
  }

  async pauseReplay(): Promise<boolean> {
    return (await this.submit({ kind: 'replayControl', action: 'pause' })) as boolean;
  }

  async resumeReplay(): Promise<boolean> {
    return (await this.submit({ kind: 'replayControl', action: 'resume' })) as boolean;
  }

  /** The replay as the log says (the holder's driver knows nothing the others do not). */
  replayStatus(): ReplayStatus | null {
    const replay = this.applier.replay;
    if (!replay) return null;
    return {
      date: replay.date,
      speed: replay.speed,
      paused: replay.paused,
      finished: replay.finished,
      remaining: replay.remaining,
    };
  }

  // ── the lease holder's work ───────────────────────────────────────────────────────────────────

  private async takeOver(token: number): Promise<void> {
    this.#log.info({ replica: this.id, token }, 'lease taken');
    const applied = new Promise<void>((resolve) => this.#leaseWaiters.push({ token, resolve }));
    const published = await this.publishHolder({ kind: 'leaseTaken', replica: this.id }).catch(() => false);
    if (!published) return;
    await applied;
    if (this.#lease?.token !== token) return;
    const persisted = await this.readPersisted();
    this.sink.becomeHolder(persisted);
    // The previous holder may have died before writing the latest state: write it whole again.
    this.applier.persistState();
    const configs = new Map(this.session.symbols().map((s) => [s.symbol, s.settings]));
    void this.store.queue(async () => {
      for (const settings of configs.values()) await this.options.store.saveSymbolConfig(settings);
      for (const stored of await this.options.store.listSymbolConfigs()) {
        if (!configs.has(stored.symbol) && this.session.date !== null) {
          await this.options.store.deleteSymbolConfig(stored.symbol);
        }
      }
    });
    for (const request of this.applier.pending.values()) this.readForRequest(request);
    this.startTicker();
    if (!this.applier.sessionPending()) this.startDriver();
  }

  private resign(reason: string): void {
    this.#log.warn({ replica: this.id, reason }, 'lease lost');
    this.sink.resign();
    this.stopDriver();
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
  }

  private startTicker(): void {
    if (this.#ticker) return;
    this.#ticker = setInterval(() => {
      if (this.session.active && this.session.clockMode === 'LIVE') {
        void this.publishHolder({ kind: 'clockTick', at: (this.options.wallClock ?? Date.now)() }).catch(
          () => undefined,
        );
      }
    }, 1000);
    this.#ticker.unref();
  }

  private startDriver(): void {
    if (!this.sink.holder || this.#driver) return;
    const replay = this.applier.replay;
    if (!replay || replay.finished || !this.session.active || this.session.clockMode !== 'REPLAY') return;
    const target = {
      session: this.session,
      replayStoredBars: (bars: readonly (BarInput & { readonly revision: number })[]): IngestResult => {
        const remaining = this.#driver?.status().remaining ?? 0;
        this.publishHolder({ kind: 'replayBars', bars, remaining }).catch((error: unknown) => {
          this.#log.warn({ err: error }, 'replay step not published: the driver restarts from the clock');
          this.restartDriverSoon();
        });
        return { accepted: bars.length, rejected: [] };
      },
      endSession: async () => {
        await this.publishHolder({ kind: 'replayFinished' });
      },
      persistState: async () => this.applier.persistState(),
    };
    const driver = new ReplayDriver(target, this.options.store, { speed: replay.speed });
    this.#driver = driver;
    if (replay.paused) driver.pause();
    driver.start().catch((error: unknown) => {
      this.#log.warn({ err: error }, 'replay driver could not start');
      this.restartDriverSoon();
    });
  }

  private restartDriverSoon(): void {
    this.stopDriver();
    if (this.#driverRestart) return;
    this.#driverRestart = setTimeout(() => {
      this.#driverRestart = null;
      this.startDriver();
    }, 1000);
    this.#driverRestart.unref();
  }

  private stopDriver(): void {
    this.#driver?.stop();
    this.#driver = null;
  }

  /** The holder reads today's data of a request's symbols (after its writes) and publishes it. */
  private readForRequest(request: PendingRequest): void {
    void this.store
      .queue(async () => {
        await this.sink.flush();
        const store = this.options.store;
        let state = null;
        let configs: SymbolSettings[];
        let date: IsoDate;
        let until: Instant | null = null;
        if (request.kind === 'load') {
          configs = [request.settings];
          date = request.entry.date;
          if (this.session.clockMode === 'REPLAY') until = this.session.time ?? 0;
        } else if (request.kind === 'start') {
          configs = await store.listSymbolConfigs();
          date = request.date;
          if (this.session.clockMode === 'REPLAY') until = this.session.time ?? 0;
        } else {
          state = await store.loadSessionState();
          configs = state ? await store.listSymbolConfigs() : [];
          date = state?.date ?? '';
          if (state?.clockMode === 'REPLAY') until = state.clock ?? 0;
        }
        const symbols = await this.readToday(configs, date, until);
        await this.publishHolder({ kind: 'storeData', request: request.id, state, symbols });
      })
      .catch((error: unknown) =>
        this.#log.warn({ err: error, request: request.id }, 'store read for a request failed'),
      );
  }

  private async readToday(
    configs: readonly SymbolSettings[],
    date: IsoDate,
    until: Instant | null,
  ): Promise<SymbolStoreData[]> {
    if (configs.length === 0) return [];
    const store = this.options.store;
    const today = await store.readSessionBars(
      configs.map((c) => ({ symbol: c.symbol, interval: c.baseInterval, date })),
    );
    const out: SymbolStoreData[] = [];
    for (let i = 0; i < configs.length; i++) {
      const settings = configs[i]!;
      const window = sessionWindow(date, settings.extendedHours);
      if (!window) continue;
      const to = until ?? window.end;
      if (settings.source === 'TRADES') {
        const [quotes, log] = await Promise.all([
          store.readStoredQuotes(settings.symbol, date, window.start, to, this.#bufferCapacity),
          store.readTradeLog(settings.symbol, date),
        ]);
        const tradeLog = log.filter((t) => t.ts >= window.start && t.ts < to);
        const ticks = {
          items: tradeLog.slice(-this.#bufferCapacity),
          count: tradeLog.length,
          next: log.length,
        };
        out.push({ settings, today: today[i] ?? [], quotes, ticks, tradeLog });
        continue;
      }
      const [quotes, ticks] = await Promise.all([
        store.readStoredQuotes(settings.symbol, date, window.start, to, this.#bufferCapacity),
        store.readStoredTicks(settings.symbol, date, window.start, to, this.#bufferCapacity),
      ]);
      out.push({ settings, today: today[i] ?? [], quotes, ticks });
    }
    return out;
  }

  private async readPersisted(): Promise<number> {
    const entry = await this.#state?.get(PERSISTED_KEY).catch(() => null);
    const value = entry && entry.operation === 'PUT' ? Number(entry.string()) : 0;
    return Number.isFinite(value) ? value : 0;
  }

  /** The holder publishes its durable position; the others drop what it covers. */
  private async syncPersisted(): Promise<void> {
    try {
      if (this.sink.holder) {
        const durable = this.sink.durablePosition();
        if (durable > this.#persisted) {
          await this.#state?.put(PERSISTED_KEY, String(durable));
          this.#persisted = durable;
        }
      } else {
        const persisted = await this.readPersisted();
        if (persisted > this.#persisted) this.#persisted = persisted;
        this.sink.release(this.#persisted);
      }
    } catch {
      // NATS unreachable: next time.
    }
  }

  /** Stops following, gives the lease up (it passes at once), closes the connection. */
  async dispose(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    if (this.#driverRestart) clearTimeout(this.#driverRestart);
    if (this.#ticker) clearInterval(this.#ticker);
    this.stopDriver();
    await this.store.drain();
    if (this.sink.holder) {
      await this.sink.flush().catch(() => undefined);
      await this.syncPersistedFinal();
    }
    await this.#lease?.release().catch(() => undefined);
    await this.#follower?.stop();
    this.service.dispose();
    await this.bus.close();
  }

  private async syncPersistedFinal(): Promise<void> {
    const durable = this.sink.durablePosition();
    if (durable > this.#persisted)
      await this.#state?.put(PERSISTED_KEY, String(durable)).catch(() => undefined);
  }

  /** Simulates a crash in tests: stops everything without releasing the lease or flushing. */
  async crash(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    if (this.#ticker) clearInterval(this.#ticker);
    this.stopDriver();
    this.#lease?.abandon();
    await this.#follower?.stop();
    this.service.dispose();
    await this.bus.close();
  }
}
