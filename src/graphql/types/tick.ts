import type { Tick } from '../../domain/types.ts';
import { builder } from '../builder.ts';

/** A trade print. */
export const TickRef = builder.objectRef<Tick>('Tick');

TickRef.implement({
  description: 'A trade print.',
  fields: (t) => ({
    ts: t.expose('ts', { type: 'DateTime', description: 'When the trade happened.' }),
    price: t.exposeFloat('price', { description: 'Trade price.' }),
    size: t.exposeFloat('size', { description: 'Trade size.' }),
  }),
});
