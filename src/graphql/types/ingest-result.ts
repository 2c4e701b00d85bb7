/**
 * Ingest mutations and their result.
 *
 * Per-item validation (docs/semantics.md, "Validation"): every item is checked on its own and a refused item gets a
 * Rejection with its position, a stable code and a message, while the good items of the batch are
 * kept. That includes `ts`: a malformed instant in one item is refused as INVALID_TIMESTAMP for
 * that item alone (the DateTime scalar keeps it as an invalid value instead of failing the whole
 * request). What GraphQL itself must refuse still fails the request: a missing required field, or
 * a value of the wrong type (e.g. a string for `open`). A list longer than 10,000 items fails the
 * whole request with BATCH_TOO_LARGE. Send big batches as variables (inline lists count against
 * the token limit).
 */
import type { IngestResult, Instant } from '../../domain/types.ts';
import { requireAdmin } from '../auth.ts';
import { builder, type DateTimeInput, isInvalidDateTime } from '../builder.ts';
import type { Context } from '../context.ts';
import { userError } from '../errors.ts';

/** One refused item (GraphQL parent of Rejection). */
interface RejectionItem {
  readonly index: number;
  readonly code: string;
  readonly message: string;
}

/** Outcome of one ingest mutation. */
interface IngestOutcome {
  readonly accepted: number;
  readonly rejected: readonly RejectionItem[];
}

const RejectionRef = builder.objectRef<RejectionItem>('Rejection');

RejectionRef.implement({
  description: 'Why one item of an ingest batch was refused.',
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Position of the rejected item in the input list.' }),
    code: t.exposeString('code', {
      description:
        'Stable code: NO_SESSION, NOT_LOADED, INVALID_SYMBOL, OUTSIDE_SESSION, MISALIGNED, INVALID_OHLC, INVALID_NUMBER, INVALID_TIMESTAMP; for symbols built from trades also TRADES_SOURCE (bars sent for one), INVALID_TRADE, UNKNOWN_TRADE, TRADE_CANCELLED, TRADE_NOT_KEPT, BAR_WOULD_VANISH.',
    }),
    message: t.exposeString('message', { description: 'What is wrong, for a human.' }),
  }),
});

const IngestResultRef = builder.objectRef<IngestOutcome>('IngestResult');

IngestResultRef.implement({
  description: 'Outcome of an ingest batch: the good items are kept, each refused one is listed.',
  fields: (t) => ({
    accepted: t.exposeInt('accepted', {
      description: 'Items accepted (an identical re-sent bar counts, though it changes nothing).',
    }),
    rejected: t.field({
      type: [RejectionRef],
      description: 'One entry per refused item, by ascending index.',
      resolve: (r) => [...r.rejected],
    }),
  }),
});

const BarInputRef = builder.inputType('BarInput', {
  description: 'A base bar to ingest. ts must be aligned to the base interval and inside the session window.',
  fields: (t) => ({
    symbol: t.string({ required: true, description: 'The ticker (case-insensitive); must be loaded.' }),
    ts: t.field({
      type: 'DateTime',
      required: true,
      description: 'Bar start. A malformed instant refuses this item only (INVALID_TIMESTAMP).',
    }),
    open: t.float({ required: true, description: 'Open price.' }),
    high: t.float({ required: true, description: 'High price (≥ open, close).' }),
    low: t.float({ required: true, description: 'Low price (> 0, ≤ open, close).' }),
    close: t.float({ required: true, description: 'Close price.' }),
    volume: t.float({ required: true, description: 'Volume (≥ 0).' }),
    vwap: t.float({ description: 'Volume-weighted average price (> 0) when known.' }),
    tradeCount: t.int({ description: 'Number of trades (≥ 0) when known.' }),
  }),
});

const QuoteInputRef = builder.inputType('QuoteInput', {
  description: 'A quote to ingest (kept in a bounded per-symbol buffer).',
  fields: (t) => ({
    symbol: t.string({ required: true, description: 'The ticker; must be loaded.' }),
    ts: t.field({
      type: 'DateTime',
      required: true,
      description: 'When it was observed. A malformed instant refuses this item only (INVALID_TIMESTAMP).',
    }),
    bid: t.float({ required: true, description: 'Best bid (> 0).' }),
    bidSize: t.float({ required: true, description: 'Bid size (≥ 0).' }),
    ask: t.float({ required: true, description: 'Best ask (> 0).' }),
    askSize: t.float({ required: true, description: 'Ask size (≥ 0).' }),
  }),
});

const TickInputRef = builder.inputType('TickInput', {
  description:
    'A trade print to ingest (kept in a bounded per-symbol buffer). A symbol loaded with source TRADES builds its bars from them: see src/session/README.md "Bars from trades".',
  fields: (t) => ({
    symbol: t.string({ required: true, description: 'The ticker; must be loaded.' }),
    ts: t.field({
      type: 'DateTime',
      required: true,
      description: 'When it happened. A malformed instant refuses this item only (INVALID_TIMESTAMP).',
    }),
    price: t.float({ required: true, description: 'Trade price (> 0).' }),
    size: t.float({ required: true, description: 'Trade size (≥ 0; > 0 for a TRADES symbol).' }),
    id: t.string({
      description:
        "The venue's trade id, unique per symbol and day: a re-sent id changes nothing (counted as accepted).",
    }),
    exchange: t.string({ description: 'The exchange code (at most 8 characters).' }),
    conditions: t.stringList({
      description:
        "Sale conditions: CTA/UTP letters (as Alpaca sends them) or Polygon's numeric ids (at most 16).",
    }),
    tape: t.string({
      description: "The tape: A, B, C; or Polygon's 1, 2, 3 (decides how one-character codes read).",
    }),
    replaces: t.string({ description: 'A correction: the id of the earlier trade this print replaces.' }),
    cancels: t.string({
      description:
        'A cancel of the earlier trade with this id (the other fields repeat that trade; only this one is used).',
    }),
  }),
});

/**
 * Runs one ingest: checks access and batch size, refuses items with a malformed ts, hands the rest
 * to the service and merges the rejections back at their original positions ({@link merge}).
 */
function ingest<I extends { ts: DateTimeInput }, O>(
  ctx: Context,
  kind: 'bars' | 'quotes' | 'ticks',
  items: readonly I[],
  convert: (item: I, ts: Instant) => O,
  run: (items: O[]) => IngestResult | Promise<IngestResult>,
): IngestOutcome | Promise<IngestOutcome> {
  requireAdmin(ctx);
  if (items.length > ctx.limits.maxBatch) {
    throw userError(
      'BATCH_TOO_LARGE',
      `an ingest batch may hold at most ${ctx.limits.maxBatch} items, got ${items.length}; split it`,
    );
  }
  const good: O[] = [];
  const positions: number[] = [];
  const rejected: RejectionItem[] = [];
  items.forEach((item, index) => {
    if (isInvalidDateTime(item.ts)) {
      rejected.push({ index, code: 'INVALID_TIMESTAMP', message: `ts: ${item.ts.message}` });
    } else {
      good.push(convert(item, item.ts));
      positions.push(index);
    }
  });
  const result = run(good);
  // A replica answers once the batch is in the log and applied (a promise); one process at once.
  if (result instanceof Promise) return result.then((r) => merge(ctx, kind, r, positions, rejected));
  return merge(ctx, kind, result, positions, rejected);
}

/**
 * Merges the service's rejections back at the items' original positions, counts the outcome, and
 * answers once the service acknowledges the accepted items (durable mode: once committed).
 */
function merge(
  ctx: Context,
  kind: 'bars' | 'quotes' | 'ticks',
  result: IngestResult,
  positions: readonly number[],
  rejected: RejectionItem[],
): IngestOutcome | Promise<IngestOutcome> {
  for (const r of result.rejected)
    rejected.push({ index: positions[r.index]!, code: r.code, message: r.message });
  if (rejected.length > result.rejected.length) rejected.sort((a, b) => a.index - b.index);
  const outcome = { accepted: result.accepted, rejected };
  ctx.metrics?.ingested(
    kind,
    result.accepted,
    rejected.map((r) => r.code),
  );
  if (result.accepted === 0 || ctx.service.acknowledged === undefined) return outcome;
  return ctx.service.acknowledged().then(() => outcome);
}

builder.mutationField('ingestBars', (t) =>
  t.field({
    type: IngestResultRef,
    description:
      'Ingests base bars. Each item is validated on its own; good items are kept, refused ones listed with a code. At most 10,000 items (BATCH_TOO_LARGE).',
    args: { bars: t.arg({ type: [BarInputRef], required: true, description: 'The bars, any order.' }) },
    resolve: (_root, args, ctx) =>
      ingest(
        ctx,
        'bars',
        args.bars,
        (b, ts) => ({
          symbol: b.symbol,
          ts,
          open: b.open,
          high: b.high,
          low: b.low,
          close: b.close,
          volume: b.volume,
          vwap: b.vwap ?? null,
          tradeCount: b.tradeCount ?? null,
        }),
        (bars) => ctx.service.ingestBars(bars),
      ),
  }),
);

builder.mutationField('ingestBarRows', (t) =>
  t.field({
    type: IngestResultRef,
    description:
      'Ingests base bars given as rows (BarRows): the same as ingestBars, item for item (validation, rejection codes and indexes, the answer), in a compact form read several times faster. At most 10,000 rows (BATCH_TOO_LARGE).',
    args: {
      rows: t.arg({
        type: 'BarRows',
        required: true,
        description:
          'The bars as rows [symbol, ts, open, high, low, close, volume, vwap?, tradeCount?], any order.',
      }),
    },
    resolve: (_root, args, ctx) =>
      ingest(
        ctx,
        'bars',
        args.rows,
        (b, ts) => ({
          symbol: b.symbol,
          ts,
          open: b.open,
          high: b.high,
          low: b.low,
          close: b.close,
          volume: b.volume,
          vwap: b.vwap,
          tradeCount: b.tradeCount,
        }),
        (bars) => ctx.service.ingestBars(bars),
      ),
  }),
);

builder.mutationField('ingestQuotes', (t) =>
  t.field({
    type: IngestResultRef,
    description: 'Ingests quotes (same validation model as ingestBars).',
    args: { quotes: t.arg({ type: [QuoteInputRef], required: true, description: 'The quotes.' }) },
    resolve: (_root, args, ctx) =>
      ingest(
        ctx,
        'quotes',
        args.quotes,
        (q, ts) => ({ symbol: q.symbol, ts, bid: q.bid, bidSize: q.bidSize, ask: q.ask, askSize: q.askSize }),
        (quotes) => ctx.service.ingestQuotes(quotes),
      ),
  }),
);

builder.mutationField('ingestTicks', (t) =>
  t.field({
    type: IngestResultRef,
    description: 'Ingests ticks (same validation model as ingestBars).',
    args: { ticks: t.arg({ type: [TickInputRef], required: true, description: 'The ticks.' }) },
    resolve: (_root, args, ctx) =>
      ingest(
        ctx,
        'ticks',
        args.ticks,
        (k, ts) => ({
          symbol: k.symbol,
          ts,
          price: k.price,
          size: k.size,
          ...(k.id != null ? { id: k.id } : {}),
          ...(k.exchange != null ? { exchange: k.exchange } : {}),
          ...(k.conditions != null ? { conditions: k.conditions } : {}),
          ...(k.tape != null ? { tape: k.tape } : {}),
          ...(k.replaces != null ? { replaces: k.replaces } : {}),
          ...(k.cancels != null ? { cancels: k.cancels } : {}),
        }),
        (ticks) => ctx.service.ingestTicks(ticks),
      ),
  }),
);
