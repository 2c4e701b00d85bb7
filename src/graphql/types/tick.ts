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
    id: t.string({
      nullable: true,
      description: "The venue's trade id (unique per symbol and day).",
      resolve: (k) => k.id ?? null,
    }),
    exchange: t.string({
      nullable: true,
      description: 'The exchange code, as the source writes it.',
      resolve: (k) => k.exchange ?? null,
    }),
    conditions: t.stringList({
      nullable: true,
      description: "Sale conditions: CTA/UTP letters or Polygon's numeric ids.",
      resolve: (k) => (k.conditions == null ? null : [...k.conditions]),
    }),
    tape: t.string({
      nullable: true,
      description: 'The tape (A, B, C; or Polygon’s 1, 2, 3).',
      resolve: (k) => k.tape ?? null,
    }),
    replaces: t.string({
      nullable: true,
      description: 'A correction: the id of the trade this print replaces.',
      resolve: (k) => k.replaces ?? null,
    }),
    cancels: t.string({
      nullable: true,
      description: 'A cancel: the id of the trade it cancels (the message is not a trade itself).',
      resolve: (k) => k.cancels ?? null,
    }),
  }),
});
