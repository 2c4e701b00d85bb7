import type { SymbolSessionData } from '../../session/symbol-session-data.ts';
import { countArg, intervalArg, symbolArg } from '../args.ts';
import { requireAdmin } from '../auth.ts';
import { builder } from '../builder.ts';
import { BarRef } from './bar.ts';
import { HistoricalRef } from './historical.ts';
import { IntervalRef } from './interval.ts';
import { QuoteRef } from './quote.ts';
import { SessionMetricsRef } from './session-metrics.ts';
import { TickRef } from './tick.ts';

/** One symbol of the session. */
export const SymbolRef = builder.objectRef<SymbolSessionData>('Symbol');

SymbolRef.implement({
  description:
    'Everything the session holds about one symbol: settings, session bars of every interval with quality and gaps, metrics, quotes, ticks and the historical window.',
  fields: (t) => ({
    symbol: t.string({ description: 'The ticker, upper-case.', resolve: (s) => s.symbol }),
    baseInterval: t.string({
      description: 'The streamed base interval (1s or 1m).',
      resolve: (s) => s.baseInterval,
    }),
    derivedIntervals: t.stringList({
      description: 'Derived interval names, ascending (1d last).',
      resolve: (s) => [...s.derivedIntervals],
    }),
    loaded: t.boolean({
      description: 'True once its historical window is in memory and it is receiving session data.',
      resolve: (s) => s.loaded,
    }),
    extendedHours: t.boolean({
      description: 'Whether its session window is the extended session (04:00–20:00 New York).',
      resolve: (s) => s.extendedHours,
    }),
    historicalDays: t.int({
      description: 'Trading days of history held in memory.',
      resolve: (s) => s.settings.historicalDays,
    }),
    source: t.field({
      type: BarSourceEnum,
      description: 'Where its base bars come from.',
      resolve: (s) => s.source,
    }),
    feed: t.string({ description: 'The feed its data comes from.', resolve: (s) => s.feed }),
    metrics: t.field({
      type: SessionMetricsRef,
      description: 'Figures over every base bar of the session.',
      resolve: (s) => s.metrics(),
    }),
    intervals: t.field({
      type: [IntervalRef],
      description: 'The base interval first, then the derived ones in ascending length.',
      resolve: (s) => s.intervals(),
    }),
    interval: t.field({
      type: IntervalRef,
      nullable: true,
      description:
        'One interval by name (any spelling of a held one: 60m is 1h); null when not held, INVALID_INTERVAL when malformed.',
      args: { name: t.arg.string({ required: true, description: 'Interval name.' }) },
      resolve: (s, args) => s.interval(intervalArg('name', args.name)) ?? null,
    }),
    latestBar: t.field({
      type: BarRef,
      nullable: true,
      description: 'The latest base bar (O(1)); null before the first.',
      resolve: (s) => s.latestBar(),
    }),
    latestQuote: t.field({
      type: QuoteRef,
      nullable: true,
      description: 'The latest quote; null before the first.',
      resolve: (s) => s.quotes.latest(),
    }),
    quotes: t.field({
      type: [QuoteRef],
      description: 'The latest quotes, oldest first (the buffer keeps the last 10,000).',
      args: { last: t.arg.int({ defaultValue: 100, description: 'How many (0–10,000).' }) },
      resolve: (s, args, ctx) => s.quotes.last(countArg('last', args.last ?? 100, ctx.limits.maxBufferRead)),
    }),
    ticks: t.field({
      type: [TickRef],
      description: 'The latest ticks, oldest first (the buffer keeps the last 10,000).',
      args: { last: t.arg.int({ defaultValue: 100, description: 'How many (0–10,000).' }) },
      resolve: (s, args, ctx) => s.ticks.last(countArg('last', args.last ?? 100, ctx.limits.maxBufferRead)),
    }),
    historical: t.field({
      type: HistoricalRef,
      description: 'The trailing historical window and its indicators.',
      resolve: (s) => s,
    }),
  }),
});

builder.queryField('symbol', (t) =>
  t.field({
    type: SymbolRef,
    nullable: true,
    description: 'Shortcut for session.symbol(symbol).',
    args: { symbol: t.arg.string({ required: true, description: 'The ticker (case-insensitive).' }) },
    resolve: (_root, args, ctx) => ctx.session.symbol(symbolArg('symbol', args.symbol)) ?? null,
  }),
);

/** Where a symbol's base bars come from. */
export const BarSourceEnum = builder.enumType('BarSource', {
  description: "Where a symbol's base bars come from.",
  values: {
    BARS: { description: 'Finished bars are streamed (ingestBars).' },
    TRADES: {
      description:
        'The service builds the base bars from trades (ingestTicks), with corrections and cancels; ingestBars is refused (TRADES_SOURCE).',
    },
  } as const,
});

const LoadSymbolInput = builder.inputType('LoadSymbolInput', {
  description: 'How to load a symbol.',
  fields: (t) => ({
    symbol: t.string({ required: true, description: 'The ticker (case-insensitive).' }),
    baseInterval: t.string({ defaultValue: '1m', description: 'The streamed base interval: 1s or 1m.' }),
    derivedIntervals: t.stringList({
      defaultValue: ['5m', '15m'],
      description: 'Intervals derived from the base (whole multiples of it, or 1d).',
    }),
    historicalDays: t.int({
      defaultValue: 2,
      description: 'Trading days of history to hold in memory (the days before the session date).',
    }),
    extendedHours: t.boolean({
      defaultValue: false,
      description: 'Use the extended session (04:00–20:00 New York) as the session window.',
    }),
    indicators: t.stringList({
      defaultValue: [],
      description: 'Names like avg_volume_2d, max_price_5d or prev_close (see Indicator).',
    }),
    source: t.field({
      type: BarSourceEnum,
      defaultValue: 'BARS',
      description: 'Where the base bars come from: streamed bars (BARS) or built from trades (TRADES).',
    }),
    feed: t.string({
      description:
        'The feed its data comes from (api: pushed through the API); its outages give the gaps their cause. Absent: api, or the name of the live feed the service runs (FEED), which then follows the symbol.',
    }),
  }),
});

builder.mutationField('loadSymbol', (t) =>
  t.field({
    type: SymbolRef,
    description:
      'Loads a symbol (mid-session allowed): reads its historical window and today’s stored bars, then marks it loaded. The same settings again change nothing; new settings rebuild it.',
    args: {
      input: t.arg({ type: LoadSymbolInput, required: true, description: 'The symbol and its settings.' }),
    },
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      return ctx.service.loadSymbol({
        symbol: input.symbol,
        ...(input.baseInterval != null ? { baseInterval: input.baseInterval } : {}),
        ...(input.derivedIntervals != null ? { derivedIntervals: input.derivedIntervals } : {}),
        ...(input.historicalDays != null ? { historicalDays: input.historicalDays } : {}),
        ...(input.extendedHours != null ? { extendedHours: input.extendedHours } : {}),
        ...(input.indicators != null ? { indicators: input.indicators } : {}),
        ...(input.source != null ? { source: input.source } : {}),
        ...(input.feed != null ? { feed: input.feed } : {}),
      });
    },
  }),
);

builder.mutationField('removeSymbol', (t) =>
  t.boolean({
    description:
      'Drops the symbol and everything under it from memory; stored bars stay in PostgreSQL. False when it was not there.',
    args: { symbol: t.arg.string({ required: true, description: 'The ticker (case-insensitive).' }) },
    resolve: async (_root, args, ctx) => {
      requireAdmin(ctx);
      return ctx.service.removeSymbol(symbolArg('symbol', args.symbol));
    },
  }),
);
