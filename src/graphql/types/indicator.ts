import type { Indicator } from '../../session/historical-data.ts';
import { builder } from '../builder.ts';

/** A historical indicator. */
export const IndicatorRef = builder.objectRef<Indicator>('Indicator');

IndicatorRef.implement({
  description:
    'A historical indicator computed from the daily bars of the trailing window: avg_volume_Nd, max_price_Nd, min_price_Nd, avg_range_Nd, atr_Nd, avg_close_Nd, prev_close.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Canonical name, e.g. avg_volume_2d.' }),
    value: t.exposeFloat('value', { nullable: true, description: 'The value; null when not valid.' }),
    valid: t.exposeBoolean('valid', {
      description: 'False when fewer trading days than needed are held.',
    }),
  }),
});
