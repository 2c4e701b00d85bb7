/**
 * From-scratch reference of bars built from trades: what the session tree must equal, bit for bit.
 * Written apart from the tree (arrays, sort, filter): it shares only the condition table.
 */
import { aggregateWindows } from '../../src/domain/aggregate.ts';
import type { TimeWindow } from '../../src/domain/calendar.ts';
import type { IntervalSpec } from '../../src/domain/intervals.ts';
import {
  resolveConditions,
  UPDATES_HIGH_LOW,
  UPDATES_OPEN_CLOSE,
  UPDATES_VOLUME,
  updatesOf,
} from '../../src/domain/trade-conditions.ts';
import type { Instant, StoredBar } from '../../src/domain/types.ts';

/** One trade print. */
export interface RefTrade {
  readonly ts: Instant;
  readonly price: number;
  readonly size: number;
  readonly id?: string | null;
  readonly conditions?: readonly string[] | null;
  readonly tape?: string | null;
}

/** One message of a trade stream, in arrival order. */
export type TradeMessage =
  | { readonly kind: 'trade'; readonly trade: RefTrade }
  | { readonly kind: 'cancel'; readonly id: string }
  | { readonly kind: 'replace'; readonly id: string; readonly trade: RefTrade };

/** What the reference decided for a message (the tree must decide the same). */
export type RefOutcome =
  | 'applied'
  | 'duplicate'
  | 'unchanged'
  | 'UNKNOWN_TRADE'
  | 'TRADE_CANCELLED'
  | 'BAR_WOULD_VANISH';

interface Held {
  readonly trade: RefTrade;
  readonly arrival: number;
  cancelled: boolean;
}

/** The base bars (revision 0) of a set of surviving trades over a session window. */
export function referenceBaseBars(
  trades: readonly { trade: RefTrade; arrival: number }[],
  window: TimeWindow,
  regular: TimeWindow,
  baseMs: number,
): StoredBar[] {
  const sorted = [...trades].sort((a, b) => a.trade.ts - b.trade.ts || a.arrival - b.arrival);
  const bySlot = new Map<number, RefTrade[]>();
  for (const { trade } of sorted) {
    const slot = Math.floor((trade.ts - window.start) / baseMs);
    const list = bySlot.get(slot);
    if (list) list.push(trade);
    else bySlot.set(slot, [trade]);
  }
  const bars: StoredBar[] = [];
  let carry: number | null = null;
  for (const slot of [...bySlot.keys()].sort((a, b) => a - b)) {
    const withBits = bySlot.get(slot)!.map((trade) => {
      const extended = trade.ts < regular.start || trade.ts >= regular.end;
      return { trade, bits: updatesOf(resolveConditions(trade.conditions, trade.tape), extended) };
    });
    const priced = withBits.filter((t) => (t.bits & UPDATES_OPEN_CLOSE) !== 0).map((t) => t.trade.price);
    const counted = withBits.filter((t) => t.bits !== 0);
    let open: number;
    let close: number;
    if (priced.length > 0) {
      open = priced[0]!;
      close = priced.at(-1)!;
    } else if (counted.length > 0 && carry !== null) {
      open = carry;
      close = carry;
    } else {
      continue;
    }
    const hl = withBits.filter((t) => (t.bits & UPDATES_HIGH_LOW) !== 0).map((t) => t.trade.price);
    const volumeTrades = withBits.filter((t) => (t.bits & UPDATES_VOLUME) !== 0).map((t) => t.trade);
    let volume = 0;
    let pv = 0;
    for (const t of volumeTrades) {
      volume += t.size;
      pv += t.price * t.size;
    }
    bars.push({
      ts: window.start + slot * baseMs,
      open,
      high: Math.max(...hl, open, close),
      low: Math.min(...hl, open, close),
      close,
      volume,
      vwap: volume > 0 ? pv / volume : null,
      tradeCount: volumeTrades.length,
      revision: 0,
    });
    carry = close;
  }
  return bars;
}

/**
 * Plays a stream of messages by the rules: a trade whose id was seen changes nothing; a cancel or a
 * correction of an unknown id is refused; a correction of a cancelled trade is refused; a cancel or
 * correction after which a window that has a bar would have none is refused (bars never vanish).
 */
export class TradeReference {
  private readonly held: Held[] = [];
  private readonly byId = new Map<string, Held>();
  readonly outcomes: RefOutcome[] = [];

  constructor(
    readonly window: TimeWindow,
    readonly regular: TimeWindow,
    readonly baseMs: number,
  ) {}

  /** Applies one message and records (and returns) the outcome. */
  play(message: TradeMessage): RefOutcome {
    const outcome = this.decide(message);
    this.outcomes.push(outcome);
    return outcome;
  }

  private decide(message: TradeMessage): RefOutcome {
    if (message.kind === 'trade') {
      if (this.seen(message.trade.id)) return 'duplicate';
      this.hold(message.trade);
      return 'applied';
    }
    if (message.kind === 'replace' && this.seen(message.trade.id)) return 'duplicate';
    const old = this.byId.get(message.id);
    if (old === undefined) return 'UNKNOWN_TRADE';
    if (old.cancelled) return message.kind === 'cancel' ? 'unchanged' : 'TRADE_CANCELLED';
    const before = new Set(this.baseBars().map((b) => b.ts));
    old.cancelled = true;
    const added = message.kind === 'replace' ? this.hold(message.trade) : null;
    const after = new Set(this.baseBars().map((b) => b.ts));
    if ([...before].some((ts) => !after.has(ts))) {
      old.cancelled = false;
      if (added !== null) this.unhold(added);
      return 'BAR_WOULD_VANISH';
    }
    return 'applied';
  }

  private seen(id: string | null | undefined): boolean {
    return id != null && this.byId.has(id);
  }

  private hold(trade: RefTrade): Held {
    const held: Held = { trade, arrival: this.held.length, cancelled: false };
    this.held.push(held);
    if (trade.id != null) this.byId.set(trade.id, held);
    return held;
  }

  private unhold(held: Held): void {
    this.held.pop();
    if (held.trade.id != null) this.byId.delete(held.trade.id);
  }

  /** The surviving trades with their arrival numbers. */
  surviving(): { trade: RefTrade; arrival: number }[] {
    return this.held.filter((h) => !h.cancelled);
  }

  /** Base bars from scratch. */
  baseBars(): StoredBar[] {
    return referenceBaseBars(this.surviving(), this.window, this.regular, this.baseMs);
  }

  /** Derived bars of an interval from scratch. */
  derivedBars(spec: IntervalSpec): StoredBar[] {
    return aggregateWindows(this.baseBars(), this.window, spec, this.baseMs);
  }
}
