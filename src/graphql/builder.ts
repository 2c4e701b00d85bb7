/**
 * The Pothos schema builder: its typed context, the custom scalars and the builder options.
 * Object types live one per file under `types/`; this file defines none.
 *
 * Every module here imports `graphql/index.js` rather than `graphql`: Pothos, yoga and the other
 * libraries load graphql's CommonJS entry, and a bare `graphql` import in our sources is resolved
 * to its `.mjs` entry by Vite (vitest), which would make two graphql realms in tests.
 */
import SchemaBuilder from '@pothos/core';
import { GraphQLError, Kind, type ValueNode } from 'graphql/index.js';
import { isIsoDate } from '../domain/calendar.ts';
import type { SymbolSettingsInput } from '../domain/symbol-settings.ts';
import type {
  BarInput,
  ClockMode,
  IngestResult,
  Instant,
  IsoDate,
  QuoteInput,
  SessionBarsKey,
  StoredBar,
  TickInput,
} from '../domain/types.ts';
import type { ReplayStatus } from '../feed/replay.ts';
import type { SessionData } from '../session/session-data.ts';
import type { SymbolSessionData } from '../session/symbol-session-data.ts';
import type { Limits } from './limits.ts';
import type { SessionPubSub } from './pubsub.ts';

/**
 * What the GraphQL layer needs from the session service (`src/service/session-service.ts`).
 * Every mutation goes through it; reads go straight to `session`, the in-memory tree.
 */
export interface GraphqlService {
  readonly session: SessionData;
  /** `replaySpeed`: REPLAY only, market time per wall time (the service's default when omitted). */
  startSession(date: IsoDate, mode: ClockMode, replaySpeed?: number): Promise<void>;
  endSession(): Promise<void>;
  advanceClock(to: Instant): Promise<void>;
  loadSymbol(input: SymbolSettingsInput): Promise<SymbolSessionData>;
  removeSymbol(symbol: string): Promise<boolean>;
  ingestBars(bars: readonly BarInput[]): IngestResult;
  ingestQuotes(quotes: readonly QuoteInput[]): IngestResult;
  ingestTicks(ticks: readonly TickInput[]): IngestResult;
  /** Pauses the running replay; false when none runs. */
  pauseReplay?(): boolean;
  /** Resumes a paused replay; false when none runs. */
  resumeReplay?(): boolean;
  /** Where the replay stands; null when no replay runs. */
  replayStatus?(): ReplayStatus | null;
}

/**
 * The per-request loaders of stored data (fresh for every request, so nothing is cached across
 * requests). `storedBars` batches every key a request asks for into one SQL statement.
 */
export interface HistoryLoaders {
  readonly storedBars: { load(key: SessionBarsKey): Promise<readonly StoredBar[]> };
}

/** Outcome of the admin check of a request. */
export type AdminAccess = 'granted' | 'missing' | 'invalid';

/** Counters the resolvers feed (Prometheus, see src/http/metrics.ts). */
export interface GraphqlMetrics {
  /** One ingest mutation: how many items were accepted and the code of each refused one. */
  ingested(kind: 'bars' | 'quotes' | 'ticks', accepted: number, rejectedCodes: readonly string[]): void;
}

/** The context of every GraphQL operation (one per HTTP request or WebSocket/SSE operation). */
export interface Context {
  readonly service: GraphqlService;
  readonly session: SessionData;
  /** Whether the request carried the admin token. */
  readonly admin: AdminAccess;
  /** Per-request loaders of stored bars; null when the server runs without a store. */
  readonly loaders: HistoryLoaders | null;
  readonly limits: Limits;
  readonly pubsub: SessionPubSub;
  readonly metrics: GraphqlMetrics | null;
  /** Aborted when the HTTP client goes away (SSE); null over WebSocket. */
  readonly signal: AbortSignal | null;
  /** Per-request memo (e.g. historical days read from the store), keyed by the caller. */
  readonly memo: Map<string, unknown>;
}

/**
 * A DateTime input that did not parse, kept so an ingest mutation can refuse that item alone.
 * A plain branded object (not a class instance): graphql-jit copies literal arguments.
 */
export interface InvalidDateTime {
  readonly invalidDateTime: true;
  readonly input: unknown;
  readonly message: string;
}

/** Whether a DateTime input is one that did not parse. */
export function isInvalidDateTime(value: unknown): value is InvalidDateTime {
  return typeof value === 'object' && value !== null && (value as InvalidDateTime).invalidDateTime === true;
}

/**
 * What a DateTime input becomes. Parsing never fails the whole request by itself: a malformed
 * instant is an {@link InvalidDateTime}, which ingest mutations turn into a per-item rejection
 * (`INVALID_TIMESTAMP`) and every other argument turns into a `BAD_USER_INPUT` error
 * (see `instantArg`).
 */
export type DateTimeInput = Instant | InvalidDateTime;

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * Parses an ISO-8601 instant with an explicit offset (`Z`, `+hh:mm`, `+hhmm`): date, `T`, time
 * with optional seconds and fraction (up to 9 digits, whole milliseconds only). Local times
 * without an offset are refused: they would be ambiguous. Returns the instant or an error message.
 */
export function parseInstant(value: unknown): Instant | string {
  if (typeof value !== 'string') {
    return `DateTime must be an ISO-8601 string with an offset, e.g. 2013-10-07T13:30:00.000Z; got ${JSON.stringify(value) ?? String(value)}`;
  }
  const m = ISO_INSTANT.exec(value);
  if (!m) {
    return `"${value}" is not an ISO-8601 instant with an offset (expected e.g. 2013-10-07T13:30:00.000Z or 2013-10-07T09:30:00-04:00)`;
  }
  const [, y, mo, d, h, mi, s = '0', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const fraction = frac.padEnd(9, '0');
  if (fraction.slice(3) !== '000000')
    return `"${value}" has sub-millisecond precision; instants are whole milliseconds`;
  const ms = Number(fraction.slice(0, 3));
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) return `"${value}" has an invalid offset ${zone}`;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) {
    return `"${value}" is not a valid date and time`;
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) {
    return `"${value}" names a day that does not exist`;
  }
  const instant = local - offsetMinutes * 60_000;
  if (!Number.isFinite(instant) || Number.isNaN(new Date(instant).getTime()))
    return `"${value}" is out of range`;
  return instant;
}

function literalValue(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.BOOLEAN:
      return node.value;
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map(literalValue);
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literalValue(f.value)]));
    default:
      return undefined;
  }
}

function parseDateTimeInput(value: unknown): DateTimeInput {
  const parsed = parseInstant(value);
  return typeof parsed === 'number' ? parsed : { invalidDateTime: true, input: value, message: parsed };
}

function parseDate(value: unknown): IsoDate {
  if (typeof value !== 'string' || !isIsoDate(value)) {
    throw new GraphQLError(
      `Date must be a real calendar date written YYYY-MM-DD, got ${JSON.stringify(value) ?? String(value)}`,
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  return value;
}

/** The schema builder. Output fields are non-null unless marked `nullable`. */
export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: DateTimeInput; Output: Instant };
    Date: { Input: IsoDate; Output: IsoDate };
    JSON: { Input: unknown; Output: unknown };
  };
}>({ defaultFieldNullability: false });

builder.scalarType('DateTime', {
  description:
    'ISO-8601 instant, always written in UTC with milliseconds: 2013-10-07T13:30:00.000Z. Input accepts any ISO-8601 offset.',
  serialize: (value) => new Date(value).toISOString(),
  parseValue: parseDateTimeInput,
  parseLiteral: (node) => parseDateTimeInput(literalValue(node)),
});

builder.scalarType('Date', {
  description: 'Exchange-local calendar date (America/New_York), YYYY-MM-DD.',
  serialize: (value) => value,
  parseValue: parseDate,
  parseLiteral: (node) => parseDate(literalValue(node)),
});

builder.scalarType('JSON', {
  description: 'Arbitrary JSON value (used by the export only).',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (node) => literalValue(node),
});

builder.queryType({ description: 'Reads of the current trading session and the exchange calendar.' });
builder.mutationType({
  description:
    'Admin operations. Every mutation requires the header `Authorization: Bearer <ADMIN_TOKEN>` (errors UNAUTHENTICATED when missing, FORBIDDEN when wrong).',
});
builder.subscriptionType({
  description:
    'Live updates over graphql-ws (WebSocket) or SSE on /graphql. Each subscriber has a bounded queue; see barUpdates.',
});
