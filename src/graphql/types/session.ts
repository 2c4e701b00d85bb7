import { CALENDAR_RANGE } from '../../domain/calendar.ts';
import { exportSession } from '../../session/export.ts';
import type { SessionData } from '../../session/session-data.ts';
import { instantArg, symbolArg, symbolSetArg } from '../args.ts';
import { requireAdmin } from '../auth.ts';
import { builder } from '../builder.ts';
import { ExportRef } from './export.ts';
import { FeedRef } from './feed.ts';
import { SymbolRef } from './symbol.ts';
import { TradingDayRef } from './trading-day.ts';

/** Where the session clock stands relative to the exchange day. */
export const SessionPhaseEnum = builder.enumType('SessionPhase', {
  description: 'Where the session clock stands relative to the exchange day.',
  values: {
    CLOSED: { description: 'Outside the extended session, or no session is active.' },
    PRE_MARKET: { description: 'From the extended open (04:00) to the regular open (09:30).' },
    REGULAR: { description: 'The regular session (09:30 to 16:00, or 13:00 on an early close).' },
    POST_MARKET: { description: 'From the regular close to the extended close (20:00, or 17:00).' },
  } as const,
});

/** How the session clock moves. */
export const ClockModeEnum = builder.enumType('ClockMode', {
  description: 'How the session clock moves.',
  values: {
    LIVE: { description: 'The session clock follows the wall clock.' },
    REPLAY: { description: 'The session clock is driven by a replay of stored bars.' },
    MANUAL: {
      description: "The session clock moves only when told (advanceClock) or by ingested bars' end times.",
    },
  } as const,
});

/** The root of the tree. */
export const SessionRef = builder.objectRef<SessionData>('Session');

SessionRef.implement({
  description: 'The current trading session: the root of the whole tree.',
  fields: (t) => ({
    date: t.field({
      type: 'Date',
      nullable: true,
      description: 'The session date; null before the first start.',
      resolve: (s) => s.date,
    }),
    active: t.boolean({
      description: 'Whether a session is running (started and not ended).',
      resolve: (s) => s.active,
    }),
    phase: t.field({
      type: SessionPhaseEnum,
      description: 'Phase of the session clock; CLOSED when no session is active.',
      resolve: (s) => s.phase,
    }),
    clockMode: t.field({
      type: ClockModeEnum,
      description: 'How the clock moves.',
      resolve: (s) => s.clockMode,
    }),
    feeds: t.field({
      type: [FeedRef],
      description:
        "The feeds of the session's symbols and every feed reported on, by name, with status and outages.",
      resolve: (s) => s.feeds.list(s.symbols().map((d) => d.feed)),
    }),
    time: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'The session clock: quality, gaps and bar completeness are all measured up to this instant.',
      resolve: (s) => s.time,
    }),
    tradingDay: t.field({
      type: TradingDayRef,
      nullable: true,
      description: 'The exchange calendar of the session date.',
      resolve: (s) => s.tradingDay,
    }),
    symbols: t.field({
      type: [SymbolRef],
      description: 'Every symbol of the session, sorted by symbol.',
      args: {
        symbols: t.arg.stringList({ description: 'Only these symbols (case-insensitive); null = all.' }),
        loaded: t.arg.boolean({ description: 'Only loaded (true) or not yet loaded (false) symbols.' }),
      },
      resolve: (s, args) => {
        const wanted = symbolSetArg('symbols', args.symbols);
        return s
          .symbols()
          .filter(
            (d) =>
              (wanted === null || wanted.has(d.symbol)) &&
              (args.loaded === null || args.loaded === undefined || d.loaded === args.loaded),
          );
      },
    }),
    symbol: t.field({
      type: SymbolRef,
      nullable: true,
      description: "One symbol's data (case-insensitive); null when the session does not hold it.",
      args: { symbol: t.arg.string({ required: true, description: 'The ticker.' }) },
      resolve: (s, args) => s.symbol(symbolArg('symbol', args.symbol)) ?? null,
    }),
    export: t.field({
      type: ExportRef,
      description:
        'The JSON export of the whole tree. since = a cursor from an earlier export: only what changed after it.',
      args: {
        since: t.arg.string({ description: 'Cursor of an earlier export.' }),
        symbols: t.arg.stringList({ description: 'Only these symbols; null = all.' }),
      },
      resolve: (s, args) => {
        const symbols = symbolSetArg('symbols', args.symbols);
        return exportSession(s, args.since ?? null, symbols === null ? null : [...symbols]);
      },
    }),
  }),
});

builder.queryField('session', (t) =>
  t.field({
    type: SessionRef,
    description: 'The current trading session: the root of the whole tree.',
    resolve: (_root, _args, ctx) => ctx.session,
  }),
);

builder.mutationField('startSession', (t) =>
  t.field({
    type: SessionRef,
    description: `Starts a session on a trading date (ending the active one) and reloads every configured symbol. NOT_TRADING_DAY for a weekend, holiday or closure; DATE_OUT_OF_RANGE for a date outside the supported calendar range, ${CALENDAR_RANGE.first} to ${CALENDAR_RANGE.last}.`,
    args: {
      date: t.arg({ type: 'Date', required: true, description: 'The session date (New York).' }),
      clockMode: t.arg({ type: ClockModeEnum, defaultValue: 'LIVE', description: 'How the clock moves.' }),
      replaySpeed: t.arg.float({
        description:
          'REPLAY only: how many times faster than real time stored bars are streamed (default 60).',
      }),
    },
    resolve: async (_root, args, ctx) => {
      requireAdmin(ctx);
      const speed = args.replaySpeed;
      if (speed === null || speed === undefined)
        await ctx.service.startSession(args.date, args.clockMode ?? 'LIVE');
      else await ctx.service.startSession(args.date, args.clockMode ?? 'LIVE', speed);
      return ctx.session;
    },
  }),
);

builder.mutationField('endSession', (t) =>
  t.field({
    type: SessionRef,
    description:
      'Ends the session: the clock moves to the close and every window closes. Data stays readable.',
    resolve: async (_root, _args, ctx) => {
      requireAdmin(ctx);
      await ctx.service.endSession();
      return ctx.session;
    },
  }),
);

builder.mutationField('advanceClock', (t) =>
  t.field({
    type: SessionRef,
    description:
      'Moves the session clock forward (MANUAL mode), capped at the close. CLOCK_MODE in another mode, CLOCK_BACKWARDS for an earlier instant.',
    args: { to: t.arg({ type: 'DateTime', required: true, description: 'The new clock.' }) },
    resolve: async (_root, args, ctx) => {
      requireAdmin(ctx);
      await ctx.service.advanceClock(instantArg('to', args.to));
      return ctx.session;
    },
  }),
);
