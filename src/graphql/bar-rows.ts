/**
 * The `BarRows` scalar: a batch of base bars as rows of values, the compact form of `[BarInput!]!`
 * for high-rate ingest (`ingestBarRows`). A row is
 * `[symbol, ts, open, high, low, close, volume]`, optionally followed by `vwap` and `tradeCount`
 * (each may be null). The scalar is read in one pass, without GraphQL's per-field coercion of an
 * input object (several microseconds a bar), with the same rules as `BarInput`: a row of the wrong
 * shape or a value of the wrong type fails the whole request (BAD_USER_INPUT, as a bad variable
 * does); a malformed `ts` refuses that item alone (INVALID_TIMESTAMP, as the DateTime scalar reads it).
 */
import { GraphQLError } from 'graphql/index.js';

/** One bar of a `BarRows` batch, as the ingest mutation takes it. */
export interface BarRowInput<T> {
  readonly symbol: string;
  /** What the DateTime scalar made of the row's ts. */
  readonly ts: T;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly vwap: number | null;
  readonly tradeCount: number | null;
}

const MAX_INT = 2 ** 31 - 1;

function refuse(message: string): never {
  throw new GraphQLError(`BarRows: ${message}`, { extensions: { code: 'BAD_USER_INPUT' } });
}

const isFloat = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Reads a `BarRows` value (see the module comment); `parseTs` is the DateTime scalar's reading
 * of an input (it refuses nothing: a malformed instant becomes a value the ingest refuses alone).
 * @throws GraphQLError BAD_USER_INPUT when it is not a list of well-formed rows
 */
export function parseBarRows<T>(value: unknown, parseTs: (value: unknown) => T): BarRowInput<T>[] {
  if (!Array.isArray(value))
    refuse('a list of rows [symbol, ts, open, high, low, close, volume] was expected');
  const bars = new Array<BarRowInput<T>>(value.length);
  for (let i = 0; i < value.length; i++) {
    const row: unknown = value[i];
    if (!Array.isArray(row) || row.length < 7 || row.length > 9) {
      refuse(`row ${i} must be [symbol, ts, open, high, low, close, volume, vwap?, tradeCount?]`);
    }
    const [symbol, ts, open, high, low, close, volume, vwap = null, tradeCount = null] = row as unknown[];
    if (typeof symbol !== 'string') refuse(`row ${i}: symbol must be a string`);
    if (!isFloat(open) || !isFloat(high) || !isFloat(low) || !isFloat(close) || !isFloat(volume)) {
      refuse(`row ${i}: open, high, low, close and volume must be numbers`);
    }
    if (vwap !== null && !isFloat(vwap)) refuse(`row ${i}: vwap must be a number or null`);
    if (
      tradeCount !== null &&
      !(typeof tradeCount === 'number' && Number.isInteger(tradeCount) && Math.abs(tradeCount) <= MAX_INT)
    ) {
      refuse(`row ${i}: tradeCount must be a 32-bit integer or null`);
    }
    bars[i] = {
      symbol,
      ts: parseTs(ts),
      open,
      high,
      low,
      close,
      volume,
      vwap: vwap as number | null,
      tradeCount: tradeCount as number | null,
    };
  }
  return bars;
}
