import {
  nextTradingDate,
  previousTradingDate,
  type TradingDayInfo,
  tradingDay,
} from '../../domain/calendar.ts';
import { builder } from '../builder.ts';

/** The exchange calendar of one date. */
export const TradingDayRef = builder.objectRef<TradingDayInfo>('TradingDay');

TradingDayRef.implement({
  description:
    'The NYSE calendar for one New York date: whether it trades, early close, holiday and session instants.',
  fields: (t) => ({
    date: t.expose('date', { type: 'Date', description: 'The date.' }),
    isTradingDay: t.exposeBoolean('isTradingDay', { description: 'Whether the exchange trades that day.' }),
    isEarlyClose: t.exposeBoolean('isEarlyClose', {
      description: 'Whether the regular session closes at 13:00 (extended session at 17:00).',
    }),
    holiday: t.exposeString('holiday', {
      nullable: true,
      description: 'Holiday name when the exchange is closed for a holiday.',
    }),
    regularOpen: t.expose('regularOpen', {
      type: 'DateTime',
      nullable: true,
      description: 'Regular session open (09:30 New York); null on a non-trading day.',
    }),
    regularClose: t.expose('regularClose', {
      type: 'DateTime',
      nullable: true,
      description: 'Regular session close (16:00, or 13:00 on an early close).',
    }),
    extendedOpen: t.expose('extendedOpen', {
      type: 'DateTime',
      nullable: true,
      description: 'Extended session open (04:00 New York).',
    }),
    extendedClose: t.expose('extendedClose', {
      type: 'DateTime',
      nullable: true,
      description: 'Extended session close (20:00, or 17:00 on an early close).',
    }),
    previousTradingDate: t.field({
      type: 'Date',
      description: 'The last trading date before this one.',
      resolve: (day) => previousTradingDate(day.date),
    }),
    nextTradingDate: t.field({
      type: 'Date',
      description: 'The first trading date after this one.',
      resolve: (day) => nextTradingDate(day.date),
    }),
  }),
});

builder.queryField('tradingDay', (t) =>
  t.field({
    type: TradingDayRef,
    description:
      'The exchange calendar for one date of the supported calendar range (see Date), loaded or not.',
    args: { date: t.arg({ type: 'Date', required: true, description: 'A New York date, YYYY-MM-DD.' }) },
    resolve: (_root, { date }) => tradingDay(date),
  }),
);
