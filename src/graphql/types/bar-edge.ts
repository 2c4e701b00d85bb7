import type { Bar } from '../../domain/types.ts';
import { builder } from '../builder.ts';
import { BarRef } from './bar.ts';

/** A bar with its cursor. */
export const BarEdgeRef = builder.objectRef<{ cursor: string; node: Bar }>('BarEdge');

BarEdgeRef.implement({
  description: 'A bar and its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description: "Opaque cursor of the bar (it names the bar's ts, so it stays valid across inserts).",
    }),
    node: t.expose('node', { type: BarRef, description: 'The bar.' }),
  }),
});
