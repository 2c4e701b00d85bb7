/**
 * The Pothos schema builder: its options (typed by the {@link Context} of `context.ts`) and the
 * custom scalars. Object types live one per file under `types/`; this file defines none.
 *
 * Every module here imports `graphql/index.js` rather than `graphql`: Pothos, yoga and the other
 * libraries load graphql's CommonJS entry, and a bare `graphql` import in our sources is resolved
 * to its `.mjs` entry by Vite (vitest), which would make two graphql realms in tests.
 */
import SchemaBuilder from '@pothos/core';
import { GraphQLError, Kind, type ValueNode } from 'graphql/index.js';
import { CALENDAR_RANGE, inCalendarRange, isIsoDate, outOfCalendarRange } from '../domain/calendar.ts';
import { parseInstant } from '../domain/instant.ts';
import type { Instant, IsoDate } from '../domain/types.ts';
import { type BarRowInput, parseBarRows } from './bar-rows.ts';
import type { Context } from './context.ts';

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
  if (!inCalendarRange(value)) {
    throw new GraphQLError(outOfCalendarRange(value), {
      extensions: { code: 'DATE_OUT_OF_RANGE', http: { status: 400 } },
    });
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
    BarRows: { Input: BarRowInput<DateTimeInput>[]; Output: never };
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
  description: `Exchange-local calendar date (America/New_York), YYYY-MM-DD. Input must lie in the supported calendar range, ${CALENDAR_RANGE.first} to ${CALENDAR_RANGE.last} (DATE_OUT_OF_RANGE otherwise).`,
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

builder.scalarType('BarRows', {
  description:
    'A batch of base bars as rows `[symbol, ts, open, high, low, close, volume, vwap?, tradeCount?]` (ts a DateTime string; vwap and tradeCount may be null or left out): the compact input of ingestBarRows, read without per-field coercion. A row of the wrong shape or type fails the request (BAD_USER_INPUT).',
  serialize: () => {
    throw new GraphQLError('BarRows is an input only');
  },
  parseValue: (value) => parseBarRows(value, parseDateTimeInput),
  parseLiteral: (node) => parseBarRows(literalValue(node), parseDateTimeInput),
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
