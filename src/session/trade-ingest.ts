import { resolveConditions, unknownCount } from '../domain/trade-conditions.ts';
import type { Tick } from '../domain/types.ts';
import type { ChangeSequence, IntervalChangeSink } from './day-bars.ts';
import type { TradeBars, TradeFacts, TradeOutcome, TradeRefusal } from './trade-bars.ts';

/** Counters of the trade path, read by `/metrics`. */
export interface TradeCounters {
  /** Trade messages applied (prints, corrections and cancels that changed the book). */
  applied: number;
  /** Condition codes not in the rule table, over applied trades (src/domain/trade-conditions.ts). */
  unknownConditionCodes: number;
}

/** The facts of the message being applied (reused: the builder reads them and keeps none). */
const scratch: { -readonly [K in keyof TradeFacts]: TradeFacts[K] } = {
  ts: 0,
  price: 0,
  size: 0,
  id: null,
  resolved: 0,
};

/**
 * Applies one validated trade message of a TRADES symbol: a cancel (`cancels`), a correction
 * (`replaces`) or a print. Unknown condition codes of an applied print are counted.
 */
export function applyTradeMessage(
  trades: TradeBars,
  message: Tick,
  seqs: ChangeSequence,
  sink: IntervalChangeSink | null,
  counters: TradeCounters,
): TradeOutcome {
  if (message.cancels != null) {
    const outcome = trades.cancel(message.cancels, seqs, sink);
    if (outcome === 'applied') counters.applied++;
    return outcome;
  }
  const resolved = resolveConditions(message.conditions, message.tape);
  const facts = scratch;
  facts.ts = message.ts;
  facts.price = message.price;
  facts.size = message.size;
  facts.id = message.id ?? null;
  facts.resolved = resolved;
  const outcome =
    message.replaces != null
      ? trades.replace(message.replaces, facts, seqs, sink)
      : trades.add(facts, seqs, sink);
  if (outcome === 'applied') {
    counters.applied++;
    const unknown = unknownCount(resolved);
    if (unknown > 0) counters.unknownConditionCodes += unknown;
  }
  return outcome;
}

/** Whether an outcome counts as accepted (applied, or a re-sent message that changes nothing). */
export function isAccepted(outcome: TradeOutcome): outcome is 'applied' | 'duplicate' | 'unchanged' {
  return outcome === 'applied' || outcome === 'duplicate' || outcome === 'unchanged';
}

/** The message of a refused trade message. */
export function refusalMessage(outcome: TradeRefusal, message: Tick, symbol: string): string {
  const target = message.cancels ?? message.replaces ?? message.id ?? '';
  switch (outcome) {
    case 'UNKNOWN_TRADE':
      return `${symbol} has no trade ${JSON.stringify(target)} on this session date`;
    case 'TRADE_CANCELLED':
      return `${symbol}'s trade ${JSON.stringify(target)} was already cancelled or replaced`;
    case 'TRADE_NOT_KEPT':
      return `${symbol}'s trades of that window are no longer all kept (the trade book holds the latest trades of the day up to its bound): the bar cannot be recomputed`;
    case 'BAR_WOULD_VANISH':
      return `cancelling ${JSON.stringify(target)} would leave ${symbol}'s bar of its window without any price; bars are never removed (send a correction instead)`;
  }
}

/**
 * Rebuilds a TRADES symbol's trade book from its stored trade messages (arrival order): prints,
 * corrections and cancels, as they were applied. The bars come from the store as they were.
 */
export function restoreTradeLog(trades: TradeBars, log: readonly Tick[]): void {
  for (const message of log) {
    if (message.cancels != null) {
      trades.restoreCancel(message.cancels);
      continue;
    }
    if (message.replaces != null) trades.restoreCancel(message.replaces);
    const resolved = resolveConditions(message.conditions, message.tape);
    trades.restore(
      { ts: message.ts, price: message.price, size: message.size, id: message.id ?? null, resolved },
      false,
    );
  }
  trades.finishRestore();
}
