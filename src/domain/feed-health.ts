import type { Gap, Instant } from './types.ts';

/*
 * Feed health: the recorded state of each data feed and why a gap has no data.
 *
 * Rules:
 * - A feed is a name (`"api"` for data pushed through the API; an adapter's own name, e.g. `"alpaca"`).
 *   A feed never reported is UP, `since` null.
 * - `DOWN at t` while UP opens an outage `[t, …)` with its reason; `UP at t` while DOWN closes it at t.
 *   The same status again changes nothing (the open outage keeps its first reason). A report earlier
 *   than the feed's last change (`since`) is refused: status history is written forwards only.
 * - A gap's cause is `FEED_OUTAGE` when any outage of the symbol's feed overlaps it for a positive
 *   time — any part of the gap, however small — and `NO_DATA` otherwise (the market was quiet, or
 *   nothing was sent). An outage still open overlaps everything after its start; an outage that ends
 *   exactly where a gap starts (or starts where it ends) does not overlap it. Rationale: the cause
 *   tells a user whether the missing bars may exist upstream (worth a backfill); a gap the feed was
 *   down for even in part may, so it says so. Quality is unchanged either way.
 * - Each feed keeps its latest {@link MAX_OUTAGES} outages in memory (older ones stay in the store).
 */

/** Whether a feed delivers. */
export type FeedStatus = 'UP' | 'DOWN';

/** Why a gap has no data. */
export type GapCause = 'FEED_OUTAGE' | 'NO_DATA';

/** Outages kept per feed in memory. */
export const MAX_OUTAGES = 1_000;

/** One period a feed was down: [start, end), end null while it lasts. */
export interface Outage {
  readonly start: Instant;
  readonly end: Instant | null;
  readonly reason: string | null;
}

/** A feed's recorded state. */
export interface FeedState {
  readonly feed: string;
  readonly status: FeedStatus;
  /** When the status last changed; null for a feed never reported. */
  readonly since: Instant | null;
  /** Ascending by start, non-overlapping; only the last may be open. */
  readonly outages: readonly Outage[];
}

/** A feed nobody reported on: UP. */
export function initialFeedState(feed: string): FeedState {
  return { feed, status: 'UP', since: null, outages: [] };
}

/** The outcome of a status report: the new state (unchanged when nothing changed), or why it is refused. */
export type FeedReportOutcome =
  | { readonly ok: true; readonly state: FeedState; readonly changed: boolean }
  | { readonly ok: false; readonly message: string };

/** Applies one status report to a feed's state (pure). */
export function reportFeedStatus(
  state: FeedState,
  status: FeedStatus,
  at: Instant,
  reason: string | null,
): FeedReportOutcome {
  if (!Number.isFinite(at)) return { ok: false, message: 'at must be a valid instant' };
  if (state.since !== null && at < state.since) {
    return {
      ok: false,
      message: `feed ${state.feed} changed to ${state.status} at ${new Date(state.since).toISOString()}; a report at ${new Date(at).toISOString()} is earlier`,
    };
  }
  if (status === state.status) return { ok: true, state, changed: false };
  let outages: Outage[];
  if (status === 'DOWN') {
    outages = [...state.outages, { start: at, end: null, reason }];
    if (outages.length > MAX_OUTAGES) outages = outages.slice(outages.length - MAX_OUTAGES);
  } else {
    outages = state.outages.slice();
    const open = outages.at(-1);
    if (open !== undefined && open.end === null) outages[outages.length - 1] = { ...open, end: at };
  }
  return { ok: true, state: { feed: state.feed, status, since: at, outages }, changed: true };
}

/** Whether an outage overlaps [start, end) for a positive time. */
export function overlaps(outage: Outage, start: Instant, end: Instant): boolean {
  return (
    outage.start < end && (outage.end ?? Number.POSITIVE_INFINITY) > start && outage.start !== outage.end
  );
}

/**
 * The cause of a gap given its feed's outages (ascending, non-overlapping): FEED_OUTAGE when one
 * overlaps it, NO_DATA otherwise. O(log n).
 */
export function gapCause(gap: Pick<Gap, 'start' | 'end'>, outages: readonly Outage[]): GapCause {
  // The last outage starting before the gap's end is the only one that can reach into it.
  let lo = 0;
  let hi = outages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (outages[mid]!.start < gap.end) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo - 1; k >= 0; k--) {
    const outage = outages[k]!;
    if (overlaps(outage, gap.start, gap.end)) return 'FEED_OUTAGE';
    if (outage.start !== outage.end) break;
  }
  return 'NO_DATA';
}
