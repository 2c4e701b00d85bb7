// @ts-check
/**
 * The page header: session date, phase, the session clock (ticking between reads: with the wall
 * clock in a LIVE session, at the replay's speed in a running replay), clock mode, replay speed,
 * feed status when the session has feeds, and the connection state.
 */
import { element } from './dom.js';
import { formatEnum, formatFeeds, NONE, nyClock } from './format.js';

/** @typedef {import('./queries.js').SessionData} SessionData */

/** A replay's clock is run on from its last read for at most this long (a stalled replay stops). */
const REPLAY_RUN_ON_MS = 3_000;

export class SessionHeader {
  constructor() {
    this.ui = {
      date: element('s-date'),
      phase: element('s-phase'),
      clock: element('s-clock'),
      mode: element('s-mode'),
      replayItem: element('s-replay-item'),
      replay: element('s-replay'),
      feedItem: element('s-feed-item'),
      feed: element('s-feed'),
      connection: element('connection'),
    };
    /** @type {SessionData | null} */
    this.session = null;
    /** The session clock as last read (ms), when it was read (performance.now()), and as last shown. */
    this.clock = { time: Number.NaN, readAt: 0, shown: Number.NaN };
    setInterval(() => this.tick(), 250);
  }

  /**
   * Shows the session as just read.
   * @param {SessionData} session
   */
  show(session) {
    const { ui } = this;
    this.session = session;
    const time = session.time === null ? Number.NaN : Date.parse(session.time);
    this.clock = { time, readAt: performance.now(), shown: this.clock.shown };
    ui.date.textContent = session.date ?? NONE;
    ui.phase.textContent = session.active ? formatEnum(session.phase) : 'closed';
    ui.phase.dataset['phase'] = session.phase;
    ui.mode.textContent = formatEnum(session.clockMode);
    const replay = session.replay;
    ui.replayItem.hidden = session.clockMode !== 'REPLAY' || !replay;
    if (replay) {
      const state = replay.finished ? ', finished' : replay.paused ? ', paused' : '';
      ui.replay.textContent = `${replay.speed}×${state}`;
    }
    const feeds = formatFeeds(session.feeds);
    ui.feedItem.hidden = feeds === '';
    ui.feed.textContent = feeds;
    this.tick();
  }

  /** @param {import('./api.js').ConnectionState} state */
  showConnection(state) {
    const text = {
      connecting: 'Connecting…',
      connected: 'Live',
      disconnected: 'Disconnected: reconnecting…',
    }[state];
    this.ui.connection.textContent = text;
    this.ui.connection.dataset['state'] = state;
    document.body.classList.toggle('offline', state === 'disconnected');
  }

  /** Session-clock milliseconds per wall-clock millisecond between reads. */
  clockRate() {
    const session = this.session;
    if (!session?.active) return 0;
    if (session.clockMode === 'LIVE') return 1;
    const replay = session.replay;
    if (session.clockMode === 'REPLAY' && replay && !replay.paused && !replay.finished) return replay.speed;
    return 0;
  }

  /** Redraws the clock: never backwards by less than a minute (a read a little behind the run-on). */
  tick() {
    const { clock, session } = this;
    const element = this.ui.clock;
    if (Number.isNaN(clock.time)) {
      element.textContent = NONE;
      return;
    }
    const live = session?.clockMode === 'LIVE';
    const elapsed = Math.min(
      performance.now() - clock.readAt,
      live ? Number.POSITIVE_INFINITY : REPLAY_RUN_ON_MS,
    );
    let now = clock.time + elapsed * this.clockRate();
    const close = session?.tradingDay?.regularClose;
    if (close && !live) now = Math.min(now, Math.max(clock.time, Date.parse(close)));
    if (!Number.isNaN(clock.shown) && now < clock.shown && clock.shown - now < 60_000) now = clock.shown;
    clock.shown = now;
    const text = nyClock(now);
    if (element.textContent !== text) {
      element.textContent = text;
      element.setAttribute('datetime', new Date(now).toISOString());
    }
  }
}
