import { instantArg } from '../args.ts';
import { builder } from '../builder.ts';
import { type HistoricalIntervalParent, historicalPage, selectedBarFields, selects } from '../history.ts';
import { BarConnectionRef, barsArgs } from './bar-connection.ts';
import { GapRef } from './gap.ts';

/** One interval over a symbol's historical dates. */
export const HistoricalIntervalRef = builder.objectRef<HistoricalIntervalParent>('HistoricalInterval');

HistoricalIntervalRef.implement({
  description:
    "One interval over the symbol's historical trading dates (each date a full, closed session window).",
  fields: (t) => ({
    name: t.string({ description: 'Canonical interval name.', resolve: (p) => p.interval.name }),
    quality: t.float({
      nullable: true,
      description: '0-100 over every held date: base bars present / expected; null without dates.',
      resolve: (p) => p.interval.quality(),
    }),
    gaps: t.field({
      type: [GapRef],
      description: 'Gaps of every held date, ascending.',
      resolve: (p) => p.interval.gaps(),
    }),
    gapCount: t.int({
      description: 'Number of gaps over the held dates.',
      resolve: (p) => p.interval.gaps().length,
    }),
    missingBars: t.int({
      description: 'Windows of this interval missing in all gaps together.',
      resolve: (p) => p.interval.gaps().reduce((sum, g) => sum + g.missingBars, 0),
    }),
    barCount: t.int({ description: 'Number of bars held in memory.', resolve: (p) => p.interval.size }),
    bars: t.field({
      type: BarConnectionRef,
      description:
        'Bars of any stored date; dates outside the in-memory window are read from PostgreSQL. Without from and to: the in-memory window. With a bound: every trading date of [from, to) except the session date (an open bound stops at the in-memory window), at most 260 dates outside memory (RANGE_TOO_LARGE). Paging as Interval.bars.',
      args: barsArgs,
      resolve: (parent, args, ctx, info) =>
        historicalPage(
          ctx,
          parent,
          {
            from: instantArg('from', args.from),
            to: instantArg('to', args.to),
            first: args.first,
            after: args.after,
            last: args.last,
            before: args.before,
          },
          selects(info, 'totalCount'),
          selectedBarFields(info),
        ),
    }),
  }),
});
