import type { Gap } from '../../domain/types.ts';
import { builder } from '../builder.ts';
import { GapCauseEnum } from './feed.ts';

/** A maximal run of closed windows holding no base bar. */
export const GapRef = builder.objectRef<Gap>('Gap');

GapRef.implement({
  description:
    'A maximal run of consecutive closed windows of an interval that hold no base bar. A window is closed once its end is at or before the session clock.',
  fields: (t) => ({
    start: t.expose('start', { type: 'DateTime', description: "First missing slot's start." }),
    end: t.expose('end', { type: 'DateTime', description: 'End of the last missing slot (exclusive).' }),
    missingBars: t.exposeInt('missingBars', { description: 'How many windows of the interval are missing.' }),
    cause: t.field({
      type: GapCauseEnum,
      description:
        "Why: FEED_OUTAGE when an outage of the symbol's feed overlaps the gap for any positive time, NO_DATA otherwise.",
      resolve: (g) => g.cause ?? 'NO_DATA',
    }),
  }),
});
