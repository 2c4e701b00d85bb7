/**
 * Serialised fragments of bars, kept per series and invalidated per bar: the part of an answer a
 * live feed leaves alone is written once, not on every request.
 *
 * A bar of the session tree is a pure function of its series, its slot, the change sequence of its
 * last change (`BarSeries.seqOf`: every write of a bar takes a new number of the tree's one
 * monotonic sequence) and whether its window is complete (the clock). So the JSON a selection makes
 * of it is keyed by exactly that: a correction of SPY's forming 1m bar re-serialises that one bar
 * and nothing of the other symbols, nor SPY's other bars. A whole page (`bars(last: 100)`) is also
 * kept, valid while its series' latest change, its positions and the clock's closed-window count
 * are the same.
 *
 * The caches hang off the compiled document (one per selection) and off the series (a removed or
 * reloaded symbol takes its caches with it). All of them together stay below a byte budget; past it
 * every cache is dropped and refilled on demand.
 */
import type { BarSeries } from '../session/bar-series.ts';

/** The bytes all fragment caches may hold together (their strings' lengths, roughly). */
const DEFAULT_BUDGET = 128 * 1024 * 1024;

let budget = DEFAULT_BUDGET;
let held = 0;
/** Bumped when the budget is exceeded: every cache of an older generation is empty. */
let generation = 0;

/** Sets the budget (tests use a small one). */
export function setFragmentBudget(bytes: number): void {
  budget = bytes;
}

function charge(bytes: number): void {
  held += bytes;
  if (held > budget) {
    held = 0;
    generation++;
  }
}

/** A kept page: the positions it covers and what it was valid for. */
interface KeptPage {
  readonly start: number;
  readonly end: number;
  readonly latestSeq: number;
  readonly closed: number;
  /** The page's JSON, UTF-8. */
  readonly bytes: Uint8Array<ArrayBuffer>;
}

/** The fragments of one selection over one series, by slot. */
export class SlotFragments {
  private generation = generation;
  private texts: (string | undefined)[];
  private seqs: Float64Array;
  /** 1 complete, 2 not complete, 0 nothing kept. */
  private completes: Uint8Array;
  private page: KeptPage | null = null;

  constructor(private readonly slots: number) {
    this.texts = new Array<string | undefined>(slots);
    this.seqs = new Float64Array(slots);
    this.completes = new Uint8Array(slots);
  }

  private fresh(): void {
    if (this.generation === generation) return;
    this.generation = generation;
    this.texts = new Array<string | undefined>(this.slots);
    this.seqs = new Float64Array(this.slots);
    this.completes = new Uint8Array(this.slots);
    this.page = null;
  }

  /** The kept text of a slot at change `seq` and completeness, or undefined. */
  get(slot: number, seq: number, complete: boolean): string | undefined {
    this.fresh();
    return this.seqs[slot] === seq && this.completes[slot] === (complete ? 1 : 2)
      ? this.texts[slot]
      : undefined;
  }

  set(slot: number, seq: number, complete: boolean, text: string): void {
    this.fresh();
    const before = this.texts[slot]?.length ?? 0;
    this.texts[slot] = text;
    this.seqs[slot] = seq;
    this.completes[slot] = complete ? 1 : 2;
    charge(text.length - before);
  }

  /** The kept page for positions [start, end), or undefined. */
  getPage(
    start: number,
    end: number,
    latestSeq: number,
    closed: number,
  ): Uint8Array<ArrayBuffer> | undefined {
    this.fresh();
    const page = this.page;
    return page !== null &&
      page.start === start &&
      page.end === end &&
      page.latestSeq === latestSeq &&
      page.closed === closed
      ? page.bytes
      : undefined;
  }

  setPage(
    start: number,
    end: number,
    latestSeq: number,
    closed: number,
    bytes: Uint8Array<ArrayBuffer>,
  ): void {
    this.fresh();
    charge(bytes.byteLength - (this.page?.bytes.byteLength ?? 0));
    this.page = { start, end, latestSeq, closed, bytes };
  }
}

/** The fragments of one selection, per series. */
export class SeriesFragments {
  private readonly bySeries = new WeakMap<BarSeries, SlotFragments>();

  of(series: BarSeries): SlotFragments {
    let fragments = this.bySeries.get(series);
    if (fragments === undefined) {
      fragments = new SlotFragments(series.slotCount);
      this.bySeries.set(series, fragments);
    }
    return fragments;
  }
}
