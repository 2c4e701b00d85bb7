import type { ExportDocument } from '../../session/export.ts';
import { builder } from '../builder.ts';

/** One JSON export of the tree. */
export const ExportRef = builder.objectRef<ExportDocument>('Export');

ExportRef.implement({
  description: 'The JSON export of the tree, full or delta.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description: 'Pass it back as since to get only what changed after this export.',
    }),
    complete: t.exposeBoolean('complete', {
      description: 'True for a full export; false for a delta.',
    }),
    data: t.field({ type: 'JSON', description: 'The document.', resolve: (doc) => doc.data }),
  }),
});
