import { builder } from '../builder.ts';
import type { BarPageView } from '../paging.ts';

/** Relay page information of a bar page. */
export const PageInfoRef = builder.objectRef<BarPageView>('PageInfo');

PageInfoRef.implement({
  description: 'Relay page information.',
  fields: (t) => ({
    hasNextPage: t.boolean({
      description: 'Whether the selection holds bars after this page.',
      resolve: (page) => page.hasNextPage,
    }),
    hasPreviousPage: t.boolean({
      description: 'Whether the selection holds bars before this page.',
      resolve: (page) => page.hasPreviousPage,
    }),
    startCursor: t.string({
      nullable: true,
      description: "Cursor of the page's first bar; null for an empty page.",
      resolve: (page) => page.startCursor,
    }),
    endCursor: t.string({
      nullable: true,
      description: "Cursor of the page's last bar; null for an empty page.",
      resolve: (page) => page.endCursor,
    }),
  }),
});
