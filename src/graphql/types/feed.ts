import type { FeedState, Outage } from '../../domain/feed-health.ts';
import { instantArg } from '../args.ts';
import { requireAdmin } from '../auth.ts';
import { builder } from '../builder.ts';
import { userError } from '../errors.ts';

/** Whether a feed delivers. */
export const FeedStatusEnum = builder.enumType('FeedStatus', {
  description: 'Whether a data feed delivers.',
  values: {
    UP: { description: 'The feed delivers (or nobody reported otherwise).' },
    DOWN: { description: 'The feed is down: what it would deliver is missing.' },
  } as const,
});

/** Why a gap has no data. */
export const GapCauseEnum = builder.enumType('GapCause', {
  description: 'Why a gap has no data (src/session/README.md "Feed health").',
  values: {
    FEED_OUTAGE: {
      description:
        "An outage of the symbol's feed overlaps the gap (for any positive time): the data may exist upstream.",
    },
    NO_DATA: { description: 'The feed was up: the market was quiet, or nothing was sent.' },
  } as const,
});

const OutageRef = builder.objectRef<Outage>('Outage');

OutageRef.implement({
  description: 'A period a feed was down: [start, end).',
  fields: (t) => ({
    start: t.expose('start', { type: 'DateTime', description: 'When the feed went down.' }),
    end: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it came back (exclusive); null while it lasts.',
      resolve: (o) => o.end,
    }),
    reason: t.string({ nullable: true, description: 'Why, as reported.', resolve: (o) => o.reason }),
  }),
});

/** A feed's recorded state. */
export const FeedRef = builder.objectRef<FeedState>('Feed');

FeedRef.implement({
  description: 'The recorded state of one data feed (`api`: data pushed through the API).',
  fields: (t) => ({
    feed: t.exposeString('feed', { description: 'The feed name.' }),
    status: t.field({ type: FeedStatusEnum, description: 'Its status now.', resolve: (f) => f.status }),
    since: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the status last changed; null for a feed never reported on.',
      resolve: (f) => f.since,
    }),
    outages: t.field({
      type: [OutageRef],
      description: 'Its outages, oldest first (the latest 1,000).',
      resolve: (f) => [...f.outages],
    }),
  }),
});

builder.mutationField('reportFeedStatus', (t) =>
  t.field({
    type: FeedRef,
    description:
      'Records a feed’s status (admin): DOWN opens an outage, UP closes it; the same status again changes nothing. Reports are written forwards: one earlier than the last change is BAD_USER_INPUT. Gaps overlapping an outage of their symbol’s feed get cause FEED_OUTAGE.',
    args: {
      feed: t.arg.string({
        required: true,
        description: 'The feed name (letters, digits, ".", "_", "-"; up to 32).',
      }),
      status: t.arg({ type: FeedStatusEnum, required: true, description: 'UP or DOWN.' }),
      at: t.arg({ type: 'DateTime', description: 'When it happened (default: now).' }),
      reason: t.arg.string({ description: 'Why, for a human (up to 500 characters).' }),
    },
    resolve: async (_root, args, ctx) => {
      requireAdmin(ctx);
      const at = instantArg('at', args.at) ?? Date.now();
      if (args.reason != null && args.reason.length > 500) {
        throw userError('BAD_USER_INPUT', 'reason is at most 500 characters');
      }
      return ctx.service.reportFeedStatus(args.feed, args.status, at, args.reason ?? null);
    },
  }),
);
