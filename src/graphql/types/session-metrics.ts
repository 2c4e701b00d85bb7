import type { SessionMetrics } from '../../session/symbol-session-data.ts';
import { builder } from '../builder.ts';

/** Session metrics of one symbol. */
export const SessionMetricsRef = builder.objectRef<SessionMetrics>('SessionMetrics');

SessionMetricsRef.implement({
  description: "A symbol's figures over every base bar of the current session.",
  fields: (t) => ({
    volume: t.exposeFloat('volume', { description: 'Total volume (0 before the first bar).' }),
    high: t.exposeFloat('high', { nullable: true, description: 'Session high; null before the first bar.' }),
    low: t.exposeFloat('low', { nullable: true, description: 'Session low; null before the first bar.' }),
    open: t.exposeFloat('open', { nullable: true, description: "The first base bar's open." }),
    last: t.exposeFloat('last', { nullable: true, description: "The latest base bar's close." }),
    vwap: t.exposeFloat('vwap', {
      nullable: true,
      description: 'Session VWAP; null when a base bar had no vwap or the volume is 0.',
    }),
    barCount: t.exposeInt('barCount', { description: 'Number of base bars.' }),
    lastUpdate: t.expose('lastUpdate', {
      type: 'DateTime',
      nullable: true,
      description: "End of the latest base bar: the instant the symbol's data is current to.",
    }),
  }),
});
