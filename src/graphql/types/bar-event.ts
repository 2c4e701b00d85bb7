import type { Bar } from '../../domain/types.ts';
import type { BarChange, BarEventKind } from '../../session/events.ts';
import { intervalSetArg, subscriptionArgs, symbolSetArg } from '../args.ts';
import { builder } from '../builder.ts';
import { userError } from '../errors.ts';
import { OVERFLOW } from '../pubsub.ts';
import { BarRef } from './bar.ts';

/** What a subscriber receives about one bar change. */
export interface BarEventPayload {
  readonly symbol: string;
  readonly interval: string;
  readonly kind: BarEventKind;
  readonly bar: Bar;
}

/** What happened to a bar. */
export const BarEventKindEnum = builder.enumType('BarEventKind', {
  description: 'What happened to a bar.',
  values: {
    ADDED: {
      description:
        'Base bar: first seen. Derived bar: its window got its first base bar (with completeOnly: the bar’s first complete version).',
    },
    UPDATED: {
      description: 'Any later change: a correction, another base bar in the window, or the window closing.',
    },
  } as const,
});

/** One bar change. */
export const BarEventRef = builder.objectRef<BarEventPayload>('BarEvent');

BarEventRef.implement({
  description: 'One bar change of one symbol and interval.',
  fields: (t) => ({
    symbol: t.exposeString('symbol', { description: 'The symbol.' }),
    interval: t.exposeString('interval', { description: 'Canonical interval name.' }),
    kind: t.field({ type: BarEventKindEnum, description: 'What happened.', resolve: (e) => e.kind }),
    bar: t.expose('bar', { type: BarRef, description: 'The bar after the change.' }),
  }),
});

interface Queued {
  readonly change: BarChange;
  readonly kind: BarEventKind;
  /** A base bar not yet complete when it happened: checked again against the clock on delivery. */
  readonly recheck: boolean;
}

builder.subscriptionField('barUpdates', (t) =>
  t.field({
    type: BarEventRef,
    description: [
      'Bar changes as they happen. symbols/intervals null = all. completeOnly: only bars whose window has closed.',
      '',
      'Events reach a subscriber in the order they happened. Base bars: ADDED when first seen, UPDATED on correction; derived bars: ADDED when the window gets its first base bar, UPDATED on every later change including the window closing.',
      'With completeOnly, a derived bar is delivered once as ADDED when its window closes (or when it is created already closed), then as UPDATED for later corrections; a base bar is delivered once the session clock has passed its end (in MANUAL/REPLAY mode: right after the ingest batch that moves the clock past it).',
      'A removed symbol: its SYMBOL_REMOVED arrives on sessionEvents; this stream stays open and carries the symbol’s events again if it is loaded again.',
      'Overflow: a subscriber still holding 1,000 undelivered events when a new batch of events comes is dropped — its stream ends with one error result, code SLOW_CONSUMER (no event is ever skipped silently).',
    ].join('\n'),
    args: {
      symbols: t.arg.stringList({ description: 'Only these symbols (case-insensitive); null = all.' }),
      intervals: t.arg.stringList({
        description: 'Only these intervals (any spelling: 60m = 1h); null = all.',
      }),
      completeOnly: t.arg.boolean({ defaultValue: false, description: 'Only bars whose window has closed.' }),
    },
    subscribe: (_root, _args, ctx, info) => {
      const args = subscriptionArgs<{
        symbols?: string[] | null;
        intervals?: string[] | null;
        completeOnly?: boolean | null;
      }>(info);
      const symbols = symbolSetArg('symbols', args.symbols);
      const intervals = intervalSetArg('intervals', args.intervals);
      const completeOnly = args.completeOnly === true;
      const session = ctx.session;
      return ctx.pubsub.subscribe(
        'bar',
        (change): Queued | undefined => {
          if (symbols !== null && !symbols.has(change.symbol)) return undefined;
          if (intervals !== null && !intervals.has(change.interval)) return undefined;
          if (!completeOnly) return { change, kind: change.kind, recheck: false };
          if (change.bar.complete) {
            if (change.base) return { change, kind: change.kind, recheck: false };
            const first = change.closed || change.kind === 'ADDED';
            return { change, kind: first ? 'ADDED' : 'UPDATED', recheck: false };
          }
          return change.base ? { change, kind: change.kind, recheck: true } : undefined;
        },
        {
          deliver: (item): BarEventPayload | undefined => {
            const { change } = item;
            let bar = change.bar;
            if (item.recheck) {
              const clock = session.time;
              if (!(session.ended || (clock !== null && bar.endTs <= clock))) return undefined;
              bar = { ...bar, complete: true };
            }
            return { symbol: change.symbol, interval: change.interval, kind: item.kind, bar };
          },
          signal: ctx.signal,
          symbols,
        },
      );
    },
    resolve: (payload, _args, ctx) => {
      if (payload === OVERFLOW) {
        throw userError(
          'SLOW_CONSUMER',
          `this subscriber was still ${ctx.limits.subscriberQueue} or more events behind when new ones came and was dropped; re-read the state with a query and subscribe again`,
        );
      }
      return payload;
    },
  }),
);
