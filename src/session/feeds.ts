import {
  type FeedReportOutcome,
  type FeedState,
  type FeedStatus,
  initialFeedState,
  type Outage,
  reportFeedStatus,
} from '../domain/feed-health.ts';
import type { Instant } from '../domain/types.ts';
import type { ChangeSequence } from './day-bars.ts';

/**
 * The recorded state of every feed (src/domain/feed-health.ts has the rules). It outlives sessions:
 * a feed's outages are facts about time, whichever session reads them.
 */
export class FeedRegistry {
  private readonly states = new Map<string, FeedState>();
  /** Change sequence of the last change (0: none). */
  seq = 0;

  /** A feed's state; a feed nobody reported on is UP since null. */
  state(feed: string): FeedState {
    return this.states.get(feed) ?? initialFeedState(feed);
  }

  /** A feed's outages, ascending. */
  outagesOf(feed: string): readonly Outage[] {
    return this.states.get(feed)?.outages ?? NO_OUTAGES;
  }

  /** Records a status report; a change takes a change sequence number. */
  report(
    feed: string,
    status: FeedStatus,
    at: Instant,
    reason: string | null,
    seqs: ChangeSequence,
  ): FeedReportOutcome {
    const outcome = reportFeedStatus(this.state(feed), status, at, reason);
    if (outcome.ok && outcome.changed) {
      this.states.set(feed, outcome.state);
      this.seq = seqs.next();
    }
    return outcome;
  }

  /** Installs states read from the store (a restart). */
  restore(states: readonly FeedState[], seqs: ChangeSequence): void {
    for (const state of states) this.states.set(state.feed, state);
    if (states.length > 0) this.seq = seqs.next();
  }

  /** The states of the given feeds and of every feed reported on, by name. */
  list(feeds: Iterable<string> = []): FeedState[] {
    const names = new Set([...feeds, ...this.states.keys()]);
    return [...names].sort().map((feed) => this.state(feed));
  }
}

const NO_OUTAGES: readonly Outage[] = Object.freeze([]);
