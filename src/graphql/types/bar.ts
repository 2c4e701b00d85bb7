import type { Bar } from '../../domain/types.ts';
import { builder } from '../builder.ts';

/** A bar of the session tree (base or derived, session or historical). */
export const BarRef = builder.objectRef<Bar>('Bar');

BarRef.implement({
  description: 'One OHLCV bar of an interval. A bar covers [ts, endTs).',
  fields: (t) => ({
    ts: t.expose('ts', {
      type: 'DateTime',
      description: "Start of the bar's interval; the bar covers [ts, endTs).",
    }),
    endTs: t.expose('endTs', {
      type: 'DateTime',
      description:
        "End of the bar's interval (exclusive); the session window's end for a truncated last bar.",
    }),
    open: t.exposeFloat('open', { description: 'First price of the interval.' }),
    high: t.exposeFloat('high', { description: 'Highest price of the interval.' }),
    low: t.exposeFloat('low', { description: 'Lowest price of the interval.' }),
    close: t.exposeFloat('close', { description: 'Last price of the interval.' }),
    volume: t.exposeFloat('volume', { description: 'Traded volume.' }),
    vwap: t.exposeFloat('vwap', {
      nullable: true,
      description: 'Volume-weighted average price; null when a base bar had none or the volume is 0.',
    }),
    tradeCount: t.exposeInt('tradeCount', {
      nullable: true,
      description: 'Number of trades; null when any base bar had none.',
    }),
    complete: t.exposeBoolean('complete', {
      description: "False while the bar's window is still open (a forming derived bar).",
    }),
    baseBars: t.exposeInt('baseBars', {
      description: 'How many base bars it was built from (1 for a base bar).',
    }),
    revision: t.exposeInt('revision', {
      description: '0 when first written; +1 for each correction.',
    }),
  }),
});
