/**
 * Applies the log to a replica's tree, one record at a time in stream order, through the same code
 * as a single process (the tree's methods, the session service's ingest, clock and remove paths).
 * Every decision here depends only on the log and on the tree it built, so replicas that applied the
 * same records hold identical trees:
 *
 * - a LIVE session's wall clock is the applied record's `at` (stamped by its publisher), never this
 *   machine's clock;
 * - a session start (or restore) restarts the change sequence under an epoch named after its stream
 *   position (`restartSequence`), so export cursors agree across replicas, joiners included;
 * - today's stored data reaches the tree only through `storeData` records (read once by the lease
 *   holder, right after the request, with its writes flushed); history (earlier dates, which the log
 *   never changes) is read by each replica from PostgreSQL while it applies;
 * - records of the lease holder carry its token; one with a token older than the latest
 *   `leaseTaken` is ignored (a holder that lost the lease moves nothing).
 */
import { tradingDatesBefore, tradingDay } from '../../domain/calendar.ts';
import { ServiceError } from '../../domain/errors.ts';
import type { SymbolSettings } from '../../domain/symbol-settings.ts';
import type { Instant, IsoDate, StoredBar } from '../../domain/types.ts';
import { MAX_REPLAY_SPEED } from '../../feed/replay.ts';
import type { SessionData } from '../../session/session-data.ts';
import type { SymbolSessionData } from '../../session/symbol-session-data.ts';
import type { SessionService, SessionStore } from '../session-service.ts';
import { type Command, HOLDER_KINDS, type LogRecord, type SymbolStoreData } from './commands.ts';
import type { HolderStore } from './holder-store.ts';
import type { ReplicaSink } from './replica-sink.ts';

/** What a request came to, for the replica that published it. */
export type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** A request waiting for the holder's `storeData`. */
export type PendingRequest =
  | { readonly id: string; readonly kind: 'start'; readonly date: IsoDate }
  | { readonly id: string; readonly kind: 'restore' }
  | {
      readonly id: string;
      readonly kind: 'load';
      readonly entry: SymbolSessionData;
      readonly settings: SymbolSettings;
      readonly waiters: string[];
    };

/** The replay of a REPLAY session, as every replica knows it from the log. */
export interface ReplicatedReplay {
  readonly date: IsoDate;
  readonly speed: number;
  paused: boolean;
  finished: boolean;
  remaining: number;
}

/** What the applier asks of the replica around it. */
export interface ApplierHooks {
  /** Whether this replica holds the lease now. */
  holder(): boolean;
  /** The holder reads the store for a pending request and publishes its `storeData`. */
  readForRequest(request: PendingRequest): void;
  /** A session's data is installed (the holder starts the replay driver of a REPLAY session). */
  sessionReady(): void;
  /** The holder stops its replay driver. */
  stopDriver(): void;
  /** The holder pauses or resumes its replay driver. */
  controlDriver(action: 'pause' | 'resume'): void;
  /** A `leaseTaken` record with this token was applied. */
  leaseApplied(token: number): void;
  /** The outcome of request `id` (the replica that published it answers its caller with it). */
  settle(id: string, outcome: Outcome): void;
  /** A record failed in a way no rule foresaw (logged; every replica fails alike). */
  problem(seq: number, error: unknown): void;
}

/** The epoch of the change sequence a session start at stream position `seq` begins. */
export function epochAt(seq: number): string {
  return `s${seq.toString(36)}`;
}

/**
 * Checks a session start that the tree would refuse regardless of its state (a replica checks it
 * before publishing, so the log holds only starts that succeed).
 * @throws ServiceError NOT_TRADING_DAY, BAD_USER_INPUT
 */
export function checkStart(date: IsoDate, replaySpeed: number | null): void {
  if (replaySpeed !== null && !(replaySpeed > 0 && replaySpeed <= MAX_REPLAY_SPEED)) {
    throw new ServiceError('BAD_USER_INPUT', `replaySpeed must be > 0 and ≤ ${MAX_REPLAY_SPEED}`);
  }
  const day = tradingDay(date);
  if (!day.isTradingDay || day.extendedOpen === null) {
    throw new ServiceError(
      'NOT_TRADING_DAY',
      `${date} is not a trading day${day.holiday ? ` (${day.holiday})` : ''}`,
    );
  }
}

const ok = (value: unknown): Outcome => ({ ok: true, value });

/** The applier (see the module comment). */
export class CommandApplier {
  /** The wall clock of the record being applied (the tree's `now`). */
  now: Instant = 0;
  /** The latest lease token seen in the log. */
  leaseToken = 0;
  /** Stream position of the latest applied record. */
  position = 0;
  /** Requests waiting for their `storeData`, oldest first. */
  readonly pending = new Map<string, PendingRequest>();
  /** The replay of a REPLAY session; null otherwise. */
  replay: ReplicatedReplay | null = null;

  constructor(
    private readonly session: SessionData,
    private readonly service: SessionService,
    private readonly store: HolderStore,
    private readonly history: Pick<SessionStore, 'readSessionBars'>,
    private readonly sink: ReplicaSink,
    private readonly hooks: ApplierHooks,
  ) {}

  /** Whether a session start or restore still waits for its data (the tree is not whole yet). */
  sessionPending(): boolean {
    for (const p of this.pending.values()) if (p.kind !== 'load') return true;
    return false;
  }

  /** Applies one record (awaited: the next record waits for it). */
  async apply(record: LogRecord, seq: number): Promise<void> {
    this.sink.position = seq;
    this.now = record.at;
    const command = record.command;
    const stale = HOLDER_KINDS.has(command.kind) && (record.lease === null || record.lease < this.leaseToken);
    if (!stale) {
      try {
        const outcome = await this.run(command, record, seq);
        if (outcome !== null) this.hooks.settle(record.id, outcome);
      } catch (error) {
        if (!(error instanceof ServiceError)) this.hooks.problem(seq, error);
        this.hooks.settle(record.id, { ok: false, error });
      }
    }
    this.position = seq;
    this.sink.applied(seq);
  }

  /** Applies one command; null when its outcome comes later (with its `storeData`). */
  private async run(command: Command, record: LogRecord, seq: number): Promise<Outcome | null> {
    const session = this.session;
    switch (command.kind) {
      case 'startSession': {
        checkStart(command.date, command.replaySpeed);
        this.beginSession(seq, command.date, command.mode);
        if (command.mode === 'REPLAY') {
          const speed = command.replaySpeed ?? 60;
          this.replay = { date: command.date, speed, paused: false, finished: false, remaining: 0 };
        }
        this.persistState();
        return this.request({ id: record.id, kind: 'start', date: command.date });
      }
      case 'restoreSession':
        this.dropPending();
        return this.request({ id: record.id, kind: 'restore' });
      case 'storeData':
        return this.storeData(command, seq);
      case 'loadSymbol': {
        const { data, changed } = session.beginLoad(command.settings);
        if (!changed && data.loaded) return ok(data);
        for (const p of this.pending.values()) {
          if (p.kind === 'load' && p.entry === data) {
            p.waiters.push(record.id);
            return null;
          }
        }
        void this.store.saveSymbolConfig(data.settings);
        return this.request({
          id: record.id,
          kind: 'load',
          entry: data,
          settings: data.settings,
          waiters: [],
        });
      }
      case 'removeSymbol':
        return ok(await this.service.removeSymbol(command.symbol));
      case 'endSession':
        this.hooks.stopDriver();
        session.end();
        this.replay = null;
        this.persistState();
        return ok(true);
      case 'advanceClock':
        session.advanceClock(command.to);
        this.persistState();
        return ok(true);
      case 'clockTick':
        session.syncWallClock();
        return null;
      case 'replayControl': {
        const replay = this.replay;
        if (!replay || replay.finished || !session.active) return ok(false);
        replay.paused = command.action === 'pause';
        this.hooks.controlDriver(command.action);
        return ok(true);
      }
      case 'replayBars':
        this.service.replayStoredBars(command.bars);
        if (this.replay) this.replay.remaining = command.remaining;
        return null;
      case 'replayFinished':
        if (this.replay) this.replay.finished = true;
        if (session.active) session.end();
        this.replay = null;
        this.persistState();
        return null;
      case 'ingestBars':
        return ok(this.service.ingestBars(command.bars));
      case 'ingestQuotes':
        return ok(this.service.ingestQuotes(command.quotes));
      case 'ingestTicks':
        return ok(this.service.ingestTicks(command.ticks));
      case 'ingestTrades':
      case 'reportFeedStatus':
        return ok(this.optional(command));
      case 'leaseTaken':
        if (record.lease !== null && record.lease > this.leaseToken) this.leaseToken = record.lease;
        this.hooks.leaseApplied(this.leaseToken);
        return null;
    }
  }

  /**
   * Trades and feed status go to the service's own methods when this version has them; otherwise
   * every replica refuses them alike.
   */
  private optional(command: Extract<Command, { kind: 'ingestTrades' | 'reportFeedStatus' }>): unknown {
    const service = this.service as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>;
    if (command.kind === 'ingestTrades' && typeof service['ingestTrades'] === 'function') {
      return service['ingestTrades'](command.trades);
    }
    if (command.kind === 'reportFeedStatus' && typeof service['reportFeedStatus'] === 'function') {
      return service['reportFeedStatus'](command.feed, command.status, command.at, command.reason);
    }
    throw new ServiceError(
      'BAD_USER_INPUT',
      `${command.kind} is not supported by this version of the service`,
    );
  }

  private request(request: PendingRequest): null {
    this.pending.set(request.id, request);
    if (this.hooks.holder()) this.hooks.readForRequest(request);
    return null;
  }

  /** A new session replaces the one pending requests were for: they are answered now. */
  private dropPending(): void {
    for (const p of this.pending.values()) {
      const value = p.kind === 'load' ? p.entry : null;
      this.hooks.settle(p.id, ok(value));
      if (p.kind === 'load') for (const w of p.waiters) this.hooks.settle(w, ok(value));
    }
    this.pending.clear();
  }

  private beginSession(seq: number, date: IsoDate, mode: 'LIVE' | 'REPLAY' | 'MANUAL'): void {
    this.hooks.stopDriver();
    this.dropPending();
    this.replay = null;
    if (this.session.active) this.session.end();
    this.session.restartSequence(epochAt(seq));
    this.session.start(date, mode);
  }

  private async storeData(
    command: Extract<Command, { kind: 'storeData' }>,
    seq: number,
  ): Promise<Outcome | null> {
    const p = this.pending.get(command.request);
    if (!p) return null;
    this.pending.delete(command.request);
    const session = this.session;
    if (p.kind === 'start') {
      await this.install(command.symbols, null);
      this.hooks.settle(p.id, ok(true));
      this.hooks.sessionReady();
      return null;
    }
    if (p.kind === 'load') {
      const current = session.symbol(p.entry.symbol);
      if (current === p.entry && !current.loaded) await this.install(command.symbols, null);
      const value = session.symbol(p.entry.symbol) ?? p.entry;
      for (const id of [p.id, ...p.waiters]) this.hooks.settle(id, ok(value));
      return null;
    }
    const state = command.state;
    if (state === null) {
      this.hooks.settle(p.id, ok(false));
      return null;
    }
    this.beginSession(seq, state.date, state.clockMode);
    const resumeAt = state.clockMode === 'REPLAY' ? state.clock : null;
    if (state.clockMode === 'REPLAY') {
      this.replay = {
        date: state.date,
        speed: state.replaySpeed ?? 60,
        paused: false,
        finished: false,
        remaining: 0,
      };
    }
    await this.install(command.symbols, resumeAt);
    if (resumeAt !== null) session.setReplayClock(resumeAt);
    if (state.clockMode === 'MANUAL' && state.clock !== null && state.clock > (session.time ?? 0)) {
      session.advanceClock(state.clock);
    }
    if (!state.active) {
      session.end();
      this.replay = null;
    }
    this.hooks.settle(p.id, ok(true));
    this.hooks.sessionReady();
    return null;
  }

  /**
   * Loads symbols from the holder's data: each entry is begun, the history of all of them read in
   * one statement, then each completed with its history and today's data (REPLAY: the bars up to the
   * clock, or up to `resumeAt` for a restored replay).
   */
  private async install(symbols: readonly SymbolStoreData[], resumeAt: Instant | null): Promise<void> {
    const session = this.session;
    const entries: [SymbolSessionData, SymbolStoreData, IsoDate[]][] = [];
    for (const s of symbols) {
      try {
        const { data } = session.beginLoad(s.settings);
        entries.push([data, s, tradingDatesBefore(data.date, data.settings.historicalDays)]);
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
      }
    }
    const keys = entries.flatMap(([data, , dates]) =>
      dates.map((date) => ({ symbol: data.symbol, interval: data.baseInterval, date })),
    );
    const rows = keys.length === 0 ? [] : await this.history.readSessionBars(keys);
    let k = 0;
    for (const [data, s, dates] of entries) {
      const history = new Map<IsoDate, StoredBar[]>();
      for (const date of dates) history.set(date, rows[k++] ?? []);
      let today = s.today;
      if (session.clockMode === 'REPLAY') {
        const clock = resumeAt ?? session.time ?? Number.NEGATIVE_INFINITY;
        const baseMs = data.day.base.spec.ms;
        today = today.filter((bar) => bar.ts + baseMs <= clock);
      }
      if (session.symbol(data.symbol) === data) {
        session.completeLoad(
          data.symbol,
          history,
          today,
          { quotes: s.quotes, ticks: s.ticks },
          s.tradeLog ?? [],
        );
      }
    }
  }

  /** The holder saves the session state (date, mode, active, clock, replay speed). */
  persistState(): void {
    const date = this.session.date;
    if (date === null) return;
    void this.store.saveSessionState({
      date,
      clockMode: this.session.clockMode,
      active: this.session.active,
      clock: this.session.time,
      replaySpeed: this.replay?.speed ?? null,
    });
  }
}
