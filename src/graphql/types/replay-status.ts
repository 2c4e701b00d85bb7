import type { ReplayStatus } from '../../feed/replay.ts';
import { requireAdmin } from '../auth.ts';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { userError } from '../errors.ts';
import { UNCACHEABLE } from '../result-cache.ts';
import { SessionRef } from './session.ts';

/** Where a REPLAY session's driver stands. */
export const ReplayStatusRef = builder.objectRef<ReplayStatus>('ReplayStatus');

ReplayStatusRef.implement({
  description: "Where a REPLAY session's driver stands.",
  fields: (t) => ({
    date: t.field({
      type: 'Date',
      nullable: true,
      description: 'The replayed date.',
      resolve: (r) => r.date,
    }),
    speed: t.exposeFloat('speed', { description: 'Market time per wall time (60: one 1m bar per second).' }),
    paused: t.exposeBoolean('paused', { description: 'Whether the replay is paused.' }),
    finished: t.exposeBoolean('finished', { description: 'Whether every stored bar has been played.' }),
    remaining: t.exposeInt('remaining', { description: 'Bars still to play.' }),
  }),
});

builder.objectField(SessionRef, 'replay', (t) =>
  t.field({
    type: ReplayStatusRef,
    nullable: true,
    description: 'The replay driver of a REPLAY session; null in other modes.',
    resolve: (_s, _args, ctx) => {
      // The driver's state (paused) is not part of the tree's change sequence: never cache it.
      ctx.memo.set(UNCACHEABLE, true);
      return ctx.service.replayStatus?.() ?? null;
    },
  }),
);

async function control(ctx: Context, action: 'pauseReplay' | 'resumeReplay'): Promise<void> {
  requireAdmin(ctx);
  if ((await ctx.service[action]?.()) !== true) {
    throw userError('NO_REPLAY', 'no replay is running: start a REPLAY session');
  }
}

builder.mutationField('pauseReplay', (t) =>
  t.field({
    type: SessionRef,
    description: 'Pauses the replay of a REPLAY session (the clock stops). NO_REPLAY when none runs.',
    resolve: async (_root, _args, ctx) => {
      await control(ctx, 'pauseReplay');
      return ctx.session;
    },
  }),
);

builder.mutationField('resumeReplay', (t) =>
  t.field({
    type: SessionRef,
    description: 'Resumes a paused replay. NO_REPLAY when none runs.',
    resolve: async (_root, _args, ctx) => {
      await control(ctx, 'resumeReplay');
      return ctx.session;
    },
  }),
);
