/**
 * The replicated command model: every change of the session as a plain, serialisable record, and
 * its shape check. A record says WHAT to do, never what came of it: every replica applies the same
 * record to its own tree through the same code (`CommandApplier`), and the tree is deterministic.
 *
 * Shape, not meaning: `validateCommand` checks that every field has the right type (a bar's numbers
 * are numbers, NaN included, a date is `YYYY-MM-DD`); whether a value is acceptable (a finite
 * price, a trading date) is decided by the tree when it applies the record, identically everywhere.
 *
 * Records of three origins:
 * - **requests** from the API (start/end session, clock, replay control, load/remove, ingest, feed
 *   status), published by the replica that received them;
 * - **lease-holder records** (`clockTick`, `replayBars`, `storeData`, `leaseTaken`), published only by
 *   the holder of the lease; they carry its lease token, and a token older than one already seen in
 *   the log is ignored (a holder that lost the lease cannot move the clock twice);
 * - **store data** (`storeData`): what the holder read from PostgreSQL for a start or a load, so that
 *   no replica reads today's data at a time of its own.
 */
import type { FeedStatus } from '../../domain/feed-health.ts';
import type { SymbolSettings, SymbolSettingsInput } from '../../domain/symbol-settings.ts';
import type {
  BarInput,
  ClockMode,
  Instant,
  IsoDate,
  PersistedSessionState,
  Quote,
  QuoteInput,
  StoredBar,
  StoredMarketData,
  Tick,
  TickInput,
} from '../../domain/types.ts';

/** A trade print as the API and the feeds hand it in (see src/feed/live/types.ts, FeedTrade). */
export interface TradeInput {
  readonly symbol: string;
  readonly ts: Instant;
  readonly price: number;
  readonly size: number;
  readonly id: string | null;
  readonly exchange: string | null;
  readonly conditions: readonly string[];
  readonly tape: string | null;
}

/** A stored bar of the replay, with its symbol and stored revision. */
export type ReplayBarInput = BarInput & { readonly revision: number };

/** Today's stored data of one symbol, as the lease holder read it for a load. */
export interface SymbolStoreData {
  readonly settings: SymbolSettings;
  readonly today: readonly StoredBar[];
  readonly quotes: StoredMarketData<Quote>;
  readonly ticks: StoredMarketData<Tick>;
  /** A symbol built from trades: every stored trade message of the date, in arrival order. */
  readonly tradeLog?: readonly Tick[];
}

/** Every record of the log, by `kind`. */
export type Command =
  /** Starts a session: every replica starts it and drops its symbols; the holder then reads the store. */
  | {
      readonly kind: 'startSession';
      readonly date: IsoDate;
      readonly mode: ClockMode;
      readonly replaySpeed: number | null;
    }
  /** Rebuilds the persisted session (a cluster whose stream holds no session): the holder reads the store. */
  | { readonly kind: 'restoreSession' }
  | { readonly kind: 'endSession' }
  | { readonly kind: 'advanceClock'; readonly to: Instant }
  /** The LIVE clock's tick (lease holder): the session's wall clock is `at`. */
  | { readonly kind: 'clockTick'; readonly at: Instant }
  | { readonly kind: 'replayControl'; readonly action: 'pause' | 'resume' }
  /** One step of the replay driver (lease holder): stored bars of one timestamp, and how many remain. */
  | { readonly kind: 'replayBars'; readonly bars: readonly ReplayBarInput[]; readonly remaining: number }
  /** The replay played its last bar (lease holder): the session ends. */
  | { readonly kind: 'replayFinished' }
  | { readonly kind: 'loadSymbol'; readonly settings: SymbolSettingsInput }
  | { readonly kind: 'removeSymbol'; readonly symbol: string }
  | { readonly kind: 'ingestBars'; readonly bars: readonly BarInput[] }
  | { readonly kind: 'ingestQuotes'; readonly quotes: readonly QuoteInput[] }
  | { readonly kind: 'ingestTicks'; readonly ticks: readonly TickInput[] }
  | { readonly kind: 'ingestTrades'; readonly trades: readonly TradeInput[] }
  | {
      readonly kind: 'reportFeedStatus';
      readonly feed: string;
      readonly status: FeedStatus;
      readonly at: Instant;
      readonly reason: string | null;
    }
  /**
   * What the holder read from the store for request `request` (the id of a start, restore or load
   * record): the session state to restore (restore only) and each symbol's settings and today's data.
   */
  | {
      readonly kind: 'storeData';
      readonly request: string;
      readonly state: PersistedSessionState | null;
      readonly symbols: readonly SymbolStoreData[];
    }
  /** A replica took the lease: everything before this record was published under older tokens. */
  | { readonly kind: 'leaseTaken'; readonly replica: string };

/** The kinds of record. */
export type CommandKind = Command['kind'];

/** One record of the log with its envelope. */
export interface LogRecord {
  /** Unique id (the JetStream `Nats-Msg-Id`: a record published twice is stored once). */
  readonly id: string;
  /** The publishing replica. */
  readonly replica: string;
  /** The publisher's wall clock when it published (ms): a LIVE session's `now` while it is applied. */
  readonly at: Instant;
  /** Lease token of a lease-holder record; null for requests. */
  readonly lease: number | null;
  readonly command: Command;
}

/** Records only the lease holder publishes (ignored when their token is stale). */
export const HOLDER_KINDS: ReadonlySet<CommandKind> = new Set([
  'clockTick',
  'replayBars',
  'replayFinished',
  'storeData',
  'leaseTaken',
]);

/** Records that begin a session: a joining replica starts reading the log at the latest one. */
export const SESSION_KINDS: ReadonlySet<CommandKind> = new Set(['startSession', 'restoreSession']);

/**
 * A shape check: null when `value` fits, else the problem as `<path below value> must be …`
 * (the path is built only on failure, so checking a large batch costs no strings).
 */
type Check = (value: unknown) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const num: Check = (v) => (typeof v === 'number' ? null : ' must be a number');
const int: Check = (v) => (Number.isSafeInteger(v) ? null : ' must be an integer');
const str: Check = (v) => (typeof v === 'string' ? null : ' must be a string');
const bool: Check = (v) => (typeof v === 'boolean' ? null : ' must be a boolean');
const nullable =
  (check: Check): Check =>
  (v) =>
    v === null ? null : check(v);
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined ? null : check(v);
const oneOf =
  (...values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? null : ` must be one of ${values.join(', ')}`;
const date: Check = (v) =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? null : ' must be a YYYY-MM-DD date';
const list =
  (item: Check): Check =>
  (v) => {
    if (!Array.isArray(v)) return ' must be a list';
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i]);
      if (problem !== null) return `[${i}]${problem}`;
    }
    return null;
  };
const record = (fields: Readonly<Record<string, Check>>): Check => {
  const names = Object.keys(fields);
  const checks = names.map((name) => fields[name]!);
  return (v) => {
    if (!isObject(v)) return ' must be an object';
    for (let i = 0; i < names.length; i++) {
      const problem = checks[i]!(v[names[i]!]);
      if (problem !== null) return `.${names[i]}${problem}`;
    }
    return null;
  };
};

const barValues = {
  open: num,
  high: num,
  low: num,
  close: num,
  volume: num,
  vwap: nullable(num),
  tradeCount: nullable(num),
};
const bar = record({ symbol: str, ts: num, ...barValues });
const storedBar = record({ ts: num, ...barValues, revision: int });
const quoteFields = { ts: num, bid: num, bidSize: num, ask: num, askSize: num };
const tickFields = { ts: num, price: num, size: num };
/** A tick's venue fields (a symbol built from trades), each absent or null when not given. */
const tradeTickFields = {
  ...tickFields,
  id: optional(nullable(str)),
  exchange: optional(nullable(str)),
  conditions: optional(nullable(list(str))),
  tape: optional(nullable(str)),
  replaces: optional(nullable(str)),
  cancels: optional(nullable(str)),
};
const stored = (item: Check): Check => record({ items: list(item), count: int, next: int });
const settingsInput = record({
  symbol: str,
  baseInterval: optional(str),
  derivedIntervals: optional(list(str)),
  historicalDays: optional(num),
  extendedHours: optional(bool),
  indicators: optional(list(str)),
});
const settings = record({
  symbol: str,
  baseInterval: str,
  derivedIntervals: list(str),
  historicalDays: int,
  extendedHours: bool,
  indicators: list(str),
});
const clockMode = oneOf('LIVE', 'REPLAY', 'MANUAL');

const SHAPES: Readonly<Record<CommandKind, Readonly<Record<string, Check>>>> = {
  startSession: { date, mode: clockMode, replaySpeed: nullable(num) },
  restoreSession: {},
  endSession: {},
  advanceClock: { to: num },
  clockTick: { at: num },
  replayControl: { action: oneOf('pause', 'resume') },
  replayBars: { bars: list(record({ symbol: str, ts: num, ...barValues, revision: int })), remaining: int },
  replayFinished: {},
  loadSymbol: { settings: settingsInput },
  removeSymbol: { symbol: str },
  ingestBars: { bars: list(bar) },
  ingestQuotes: { quotes: list(record({ symbol: str, ...quoteFields })) },
  ingestTicks: { ticks: list(record({ symbol: str, ...tradeTickFields })) },
  ingestTrades: {
    trades: list(
      record({
        symbol: str,
        ...tickFields,
        id: nullable(str),
        exchange: nullable(str),
        conditions: list(str),
        tape: nullable(str),
      }),
    ),
  },
  reportFeedStatus: { feed: str, status: oneOf('UP', 'DOWN'), at: num, reason: nullable(str) },
  storeData: {
    request: str,
    state: nullable(
      record({ date, clockMode, active: bool, clock: nullable(num), replaySpeed: nullable(num) }),
    ),
    symbols: list(
      record({
        settings,
        today: list(storedBar),
        quotes: stored(record(quoteFields)),
        ticks: stored(record(tradeTickFields)),
        tradeLog: optional(list(record(tradeTickFields))),
      }),
    ),
  },
  leaseTaken: { replica: str },
};

const SHAPE_CHECKS = Object.fromEntries(
  Object.entries(SHAPES).map(([kind, fields]) => [kind, record(fields)]),
) as Record<CommandKind, Check>;

/** Why a value is not a command, or null when it is one (a shape check: see the module comment). */
export function commandProblem(value: unknown): string | null {
  if (!isObject(value)) return 'a command must be an object';
  const kind = value['kind'];
  if (typeof kind !== 'string' || !Object.hasOwn(SHAPES, kind)) return `unknown command kind ${String(kind)}`;
  const problem = SHAPE_CHECKS[kind as CommandKind](value);
  return problem === null ? null : `${kind}${problem}`;
}

const ENVELOPE = record({ id: str, replica: str, at: num, lease: nullable(int) });

/** Why a value is not a log record, or null when it is one. */
export function recordProblem(value: unknown): string | null {
  if (!isObject(value)) return 'a record must be an object';
  const envelope = ENVELOPE(value);
  return envelope === null ? commandProblem(value['command']) : `record${envelope}`;
}

/** Asserts the shape of a command (the receiving replica's check before it publishes). */
export function isCommand(value: unknown): value is Command {
  return commandProblem(value) === null;
}
