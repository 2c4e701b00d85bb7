import { builder } from '../builder.ts';
import type { BarPageView } from '../paging.ts';
import { BarRef } from './bar.ts';
import { BarEdgeRef } from './bar-edge.ts';
import { PageInfoRef } from './page-info.ts';

/** One page of bars (see src/graphql/paging.ts for the rules). */
export const BarConnectionRef = builder.objectRef<BarPageView>('BarConnection');

/** Arguments description shared by every `bars` field. */
export const BARS_DESCRIPTION =
  'Bars with from ≤ ts < to, ascending, paged the Relay way (first/after, last/before). Without first and last a page holds up to 1,000 bars (the last 1,000 when only before is given); first/last may ask for up to 10,000 (more: PAGE_TOO_LARGE). Cursors are opaque and stable.';

/** The arguments of every `bars` field: a time range and Relay paging. */
export const barsArgs = builder.args((t) => ({
  from: t.field({ type: 'DateTime', description: 'Only bars with ts ≥ from.' }),
  to: t.field({ type: 'DateTime', description: 'Only bars with ts < to.' }),
  first: t.int({ description: 'The first n bars after `after` (≤ 10,000).' }),
  after: t.string({ description: 'Cursor: only bars after this one.' }),
  last: t.int({ description: 'The last n bars before `before` (≤ 10,000).' }),
  before: t.string({ description: 'Cursor: only bars before this one.' }),
}));

BarConnectionRef.implement({
  description: 'A page of bars.',
  fields: (t) => ({
    edges: t.field({
      type: [BarEdgeRef],
      description: 'The bars of the page with their cursors.',
      resolve: (page) => page.edges,
    }),
    nodes: t.field({
      type: [BarRef],
      description: 'The bars of the page.',
      resolve: (page) => page.nodes,
    }),
    pageInfo: t.field({
      type: PageInfoRef,
      description: 'Whether there are more bars before or after the page, and its cursors.',
      resolve: (page) => page,
    }),
    totalCount: t.int({
      description: 'Number of bars of the whole selection (from/to), not of the page.',
      resolve: (page) => page.totalCount,
    }),
  }),
});
