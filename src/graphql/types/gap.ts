import type { Gap } from '../../domain/types.ts';
import { builder } from '../builder.ts';

/** A maximal run of closed windows holding no base bar. */
export const GapRef = builder.objectRef<Gap>('Gap');

GapRef.implement({
  description:
    'A maximal run of consecutive closed windows of an interval that hold no base bar. A window is closed once its end is at or before the session clock.',
  fields: (t) => ({
    start: t.expose('start', { type: 'DateTime', description: "First missing slot's start." }),
    end: t.expose('end', { type: 'DateTime', description: 'End of the last missing slot (exclusive).' }),
    missingBars: t.exposeInt('missingBars', { description: 'How many windows of the interval are missing.' }),
  }),
});
