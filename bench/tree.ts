/**
 * What the in-memory benchmarks share: the bundled SPY sample's bars of one date, and the session
 * service reduced to the tree (no store).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nyDate, tradingDay } from '../src/domain/calendar.ts';
import type { FeedState, FeedStatus } from '../src/domain/feed-health.ts';
import type { SymbolSettingsInput } from '../src/domain/symbol-settings.ts';
import type {
  BarInput,
  IngestResult,
  Instant,
  IsoDate,
  QuoteInput,
  StoredBar,
  TickInput,
} from '../src/domain/types.ts';
import type { GraphqlService } from '../src/graphql/context.ts';
import type { SessionData } from '../src/session/session-data.ts';
import type { SymbolSessionData } from '../src/session/symbol-session-data.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The regular-session SPY bars of one date from the bundled sample. */
export function spyBars(date: IsoDate): StoredBar[] {
  const open = tradingDay(date).regularOpen!;
  const close = tradingDay(date).regularClose!;
  const out: StoredBar[] = [];
  for (const line of readFileSync(`${ROOT}fixtures/spy/nt-spy-minute-2011.csv`, 'utf8').split('\n')) {
    const m = /^(\d{4})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2});([^;]+);([^;]+);([^;]+);([^;]+);([^;]+)$/.exec(
      line.trim(),
    );
    if (!m) continue;
    const ts = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - 60_000;
    if (ts < open || ts >= close || nyDate(ts) !== date) continue;
    out.push({
      ts,
      open: +m[7]!,
      high: +m[8]!,
      low: +m[9]!,
      close: +m[10]!,
      volume: +m[11]!,
      vwap: null,
      tradeCount: null,
      revision: 0,
    });
  }
  return out;
}

/** The session service reduced to the tree (no store): what the benchmark needs. */
export class TreeService implements GraphqlService {
  constructor(readonly session: SessionData) {}
  async startSession(date: IsoDate, mode: 'LIVE' | 'REPLAY' | 'MANUAL'): Promise<void> {
    this.session.start(date, mode);
  }
  async endSession(): Promise<void> {
    this.session.end();
  }
  async advanceClock(to: number): Promise<void> {
    this.session.advanceClock(to);
  }
  async loadSymbol(input: SymbolSettingsInput): Promise<SymbolSessionData> {
    const { data } = this.session.beginLoad(input);
    return this.session.completeLoad(data.symbol, new Map(), []) ?? data;
  }
  async removeSymbol(symbol: string): Promise<boolean> {
    return this.session.removeSymbol(symbol);
  }
  ingestBars(bars: readonly BarInput[]): IngestResult {
    return this.session.ingestBars(bars);
  }
  ingestQuotes(quotes: readonly QuoteInput[]): IngestResult {
    return this.session.ingestQuotes(quotes);
  }
  ingestTicks(ticks: readonly TickInput[]): IngestResult {
    return this.session.ingestTicks(ticks);
  }
  async reportFeedStatus(
    feed: string,
    status: FeedStatus,
    at: Instant,
    reason: string | null,
  ): Promise<FeedState> {
    return this.session.reportFeedStatus(feed, status, at, reason);
  }
}
