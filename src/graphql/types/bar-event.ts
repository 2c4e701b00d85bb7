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

/**
 * What a `barUpdates` subscriber takes of a bar change, and as which kind; undefined skips it.
 * Without completeOnly: every change except a base window closing (which changes no bar). With
 * completeOnly: only complete bars — a base bar when the change finds it complete or when its
 * window closes (then as ADDED: its first complete version), a derived bar first as ADDED when
 * its window closes or it is created closed, then UPDATED for later corrections.
 */
export function barEventOf(change: BarChange, completeOnly: boolean): BarEventPayload | undefined {
  let kind = change.kind;
  if (!completeOnly) {
    if (change.base && change.closed) return undefined;
  } else {
    if (!change.bar.complete) return undefined;
    if (change.closed) kind = 'ADDED';
  }
  return { symbol: change.symbol, interval: change.interval, kind, bar: change.bar };
}

builder.subscriptionField('barUpdates', (t) =>
  t.field({
    type: BarEventRef,
    description: [
      'Bar changes as they happen. symbols/intervals null = all. completeOnly: only bars whose window has closed.',
      '',
      'Events reach a subscriber in the order they happened. Base bars: ADDED when first seen, UPDATED on correction; derived bars: ADDED when the window gets its first base bar, UPDATED on every later change including the window closing.',
      'With completeOnly, every bar is delivered once as ADDED when it is first complete — when its window closes, or when it arrives (or is created) with its window already closed — then as UPDATED for later corrections. A base bar ingested before its end (LIVE) comes when the clock passes its end; in MANUAL/REPLAY mode right after the ingest batch that moves the clock past it.',
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
      return ctx.pubsub.subscribe(
        'bar',
        (change) => {
          if (symbols !== null && !symbols.has(change.symbol)) return undefined;
          if (intervals !== null && !intervals.has(change.interval)) return undefined;
          return barEventOf(change, completeOnly);
        },
        { signal: ctx.signal, symbols },
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
