import type { SessionInterval } from '../../session/session-interval.ts';
import { instantArg } from '../args.ts';
import { builder } from '../builder.ts';
import { pageBars } from '../paging.ts';
import { BarRef } from './bar.ts';
import { BARS_DESCRIPTION, BarConnectionRef, barsArgs } from './bar-connection.ts';
import { GapRef } from './gap.ts';

/** One interval of a symbol's current session. */
export const IntervalRef = builder.objectRef<SessionInterval>('Interval');

IntervalRef.implement({
  description:
    "One interval of a symbol's current session: the streamed base interval or a derived one, with its bars, quality and gaps measured up to the session clock.",
  fields: (t) => ({
    name: t.string({ description: 'Canonical interval name (1m, 5m, 1h, 1d, …).', resolve: (i) => i.name }),
    derived: t.boolean({
      description: 'Whether the interval is computed from the base interval.',
      resolve: (i) => i.derived,
    }),
    base: t.string({
      nullable: true,
      description: 'The interval it is computed from; null for the streamed base interval.',
      resolve: (i) => i.baseName,
    }),
    quality: t.float({
      nullable: true,
      description:
        '0-100, null while nothing is expected yet: 100 × base bars present / base slots expected inside the closed windows.',
      resolve: (i) => i.quality(),
    }),
    gaps: t.field({
      type: [GapRef],
      description: 'Maximal runs of closed windows without any base bar, ascending.',
      resolve: (i) => i.gapsWithCause(),
    }),
    gapCount: t.int({ description: 'Number of gaps.', resolve: (i) => i.tracker.gapCount }),
    missingBars: t.int({
      description: 'Windows of this interval missing in all gaps together.',
      resolve: (i) => i.tracker.missingWindows,
    }),
    barCount: t.int({ description: 'Number of bars held.', resolve: (i) => i.size }),
    latestBar: t.field({
      type: BarRef,
      nullable: true,
      description: 'The latest bar (O(1)); null before the first.',
      resolve: (i) => i.latestBar(),
    }),
    bars: t.field({
      type: BarConnectionRef,
      description: BARS_DESCRIPTION,
      args: barsArgs,
      resolve: (interval, args, ctx) =>
        pageBars(
          interval,
          {
            from: instantArg('from', args.from),
            to: instantArg('to', args.to),
            first: args.first,
            after: args.after,
            last: args.last,
            before: args.before,
          },
          ctx.limits,
        ),
    }),
  }),
});
