import { IndicatorError, parseIndicatorName } from '../../domain/indicators.ts';
import type { SymbolSessionData } from '../../session/symbol-session-data.ts';
import { intervalArg } from '../args.ts';
import { builder } from '../builder.ts';
import { userError } from '../errors.ts';
import { HistoricalIntervalRef } from './historical-interval.ts';
import { IndicatorRef } from './indicator.ts';

/** The historical section of a symbol (its parent is the symbol's data). */
export const HistoricalRef = builder.objectRef<SymbolSessionData>('Historical');

HistoricalRef.implement({
  description:
    "A symbol's trailing window: the historicalDays trading days before the session date, their intervals (base, derived and 1d) and indicators.",
  fields: (t) => ({
    loaded: t.boolean({
      description: 'Whether the window has been read from the store.',
      resolve: (s) => s.historical.loaded,
    }),
    dates: t.field({
      type: ['Date'],
      description: 'Trading dates held in memory for this symbol, ascending.',
      resolve: (s) => [...s.historical.dates],
    }),
    intervals: t.field({
      type: [HistoricalIntervalRef],
      description: 'Every historical interval: the base first, then the derived ones and 1d.',
      resolve: (s) => s.historical.intervals().map((interval) => ({ owner: s, interval })),
    }),
    interval: t.field({
      type: HistoricalIntervalRef,
      nullable: true,
      description: 'One interval by name (any spelling of a held one, e.g. 60m = 1h); null when not held.',
      args: { name: t.arg.string({ required: true, description: 'Interval name.' }) },
      resolve: (s, args) => {
        const interval = s.historical.interval(intervalArg('name', args.name));
        return interval ? { owner: s, interval } : null;
      },
    }),
    indicators: t.field({
      type: [IndicatorRef],
      description: 'The configured indicators, in configuration order.',
      resolve: (s) => s.historical.indicators(),
    }),
    indicator: t.field({
      type: IndicatorRef,
      nullable: true,
      description:
        'One indicator by name: a configured one, or any valid name computed on the fly (INVALID_INDICATOR for a malformed name).',
      args: { name: t.arg.string({ required: true, description: 'Indicator name, e.g. atr_2d.' }) },
      resolve: (s, args) => {
        try {
          parseIndicatorName(args.name);
        } catch (error) {
          if (error instanceof IndicatorError) throw userError('INVALID_INDICATOR', error.message);
          throw error;
        }
        return s.historical.indicator(args.name) ?? null;
      },
    }),
  }),
});
