import type { SessionEventKind } from '../../session/events.ts';
import { subscriptionArgs, symbolSetArg } from '../args.ts';
import { builder } from '../builder.ts';
import { userError } from '../errors.ts';
import { OVERFLOW } from '../pubsub.ts';
import { SessionRef } from './session.ts';

/** What a subscriber receives about one lifecycle event. */
interface SessionEventPayload {
  readonly kind: SessionEventKind;
  readonly symbol: string | null;
}

/** Lifecycle events of the session. */
export const SessionEventKindEnum = builder.enumType('SessionEventKind', {
  description: 'Lifecycle events of the session tree.',
  values: {
    SESSION_STARTED: {
      description: 'A session started (its symbols are reloaded next, each with SYMBOL_LOADED).',
    },
    SESSION_ENDED: { description: 'The session ended: every window closed.' },
    SYMBOL_LOADED: { description: 'A symbol finished loading and receives session data.' },
    SYMBOL_REMOVED: {
      description:
        'A symbol was removed (removeSymbol): it and everything under it left memory. A reload with new settings or a new session announces SYMBOL_LOADED / SESSION_STARTED instead.',
    },
  } as const,
});

/** One lifecycle event. */
export const SessionEventRef = builder.objectRef<SessionEventPayload>('SessionEvent');

SessionEventRef.implement({
  description: 'One lifecycle event of the session tree.',
  fields: (t) => ({
    kind: t.field({ type: SessionEventKindEnum, description: 'What happened.', resolve: (e) => e.kind }),
    symbol: t.string({
      nullable: true,
      description: 'The symbol of SYMBOL_LOADED / SYMBOL_REMOVED; null for session events.',
      resolve: (e) => e.symbol,
    }),
    session: t.field({
      type: SessionRef,
      description: 'The session as it is when the event is delivered.',
      resolve: (_e, _args, ctx) => ctx.session,
    }),
  }),
});

builder.subscriptionField('sessionEvents', (t) =>
  t.field({
    type: SessionEventRef,
    description:
      'Session lifecycle events, in order. symbols: only those symbols’ SYMBOL_LOADED / SYMBOL_REMOVED (session events always come). Same bounded queue and SLOW_CONSUMER policy as barUpdates.',
    args: {
      symbols: t.arg.stringList({
        description: 'Only these symbols’ events (case-insensitive); null = all.',
      }),
    },
    subscribe: (_root, _args, ctx, info) => {
      const args = subscriptionArgs<{ symbols?: string[] | null }>(info);
      const symbols = symbolSetArg('symbols', args.symbols);
      return ctx.pubsub.subscribe(
        'session',
        (change): SessionEventPayload | undefined =>
          symbols === null || change.symbol === null || symbols.has(change.symbol)
            ? { kind: change.kind, symbol: change.symbol }
            : undefined,
        { signal: ctx.signal },
      );
    },
    resolve: (payload, _args, ctx) => {
      if (payload === OVERFLOW) {
        throw userError(
          'SLOW_CONSUMER',
          `this subscriber was still ${ctx.limits.subscriberQueue} or more events behind when new ones came and was dropped; subscribe again`,
        );
      }
      return payload;
    },
  }),
);
