import type { Quote } from '../../domain/types.ts';
import { builder } from '../builder.ts';

/** A top-of-book quote. */
export const QuoteRef = builder.objectRef<Quote>('Quote');

QuoteRef.implement({
  description: 'A top-of-book quote.',
  fields: (t) => ({
    ts: t.expose('ts', { type: 'DateTime', description: 'When the quote was observed.' }),
    bid: t.exposeFloat('bid', { description: 'Best bid price.' }),
    bidSize: t.exposeFloat('bidSize', { description: 'Size at the best bid.' }),
    ask: t.exposeFloat('ask', { description: 'Best ask price.' }),
    askSize: t.exposeFloat('askSize', { description: 'Size at the best ask.' }),
  }),
});
