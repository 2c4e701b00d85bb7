/**
 * Relay cursor paging with a time-range filter over any ascending {@link BarSequence}.
 *
 * Rules (docs/semantics.md, "Reading bars"):
 * - the selection is every bar with `from ≤ ts < to` (either bound optional), ascending;
 * - `after`/`before` are cursors of bars: the page holds bars strictly after / before them;
 * - `first` keeps the first n of what remains, `last` the last n (both given: first, then last);
 * - neither `first` nor `last`: a page of `defaultPage` (1,000) bars — from the end (like `last`)
 *   when only `before` is given, else from the start;
 * - `first`/`last` above `maxPage` (10,000) → PAGE_TOO_LARGE; negative → BAD_USER_INPUT;
 * - `hasNextPage` / `hasPreviousPage` say whether the selection holds bars after / before the page;
 * - `totalCount` counts the whole selection, not the page.
 *
 * A cursor is opaque: base64url of the bar's `ts` (ms). It names an instant, not a position, so it
 * stays valid and means the same thing when bars are inserted or corrected.
 * Everything is O(log n) plus the page: positions come from `lowerBound`, bars from `at`.
 */
import type { Bar, Instant } from '../domain/types.ts';
import type { BarSequence } from '../session/session-interval.ts';
import { userError } from './errors.ts';
import type { Limits } from './limits.ts';

/** Paging arguments of a `bars` field, with instants already parsed. */
export interface PageArgs {
  readonly from?: Instant | null | undefined;
  readonly to?: Instant | null | undefined;
  readonly first?: number | null | undefined;
  readonly after?: string | null | undefined;
  readonly last?: number | null | undefined;
  readonly before?: string | null | undefined;
}

/** What a `BarConnection` (and its `PageInfo`) reads of a page. */
export interface BarPageView {
  readonly nodes: readonly Bar[];
  readonly edges: readonly { cursor: string; node: Bar }[];
  /** The selection's size (a promise where it is counted only when asked). */
  readonly totalCount: number | Promise<number>;
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
  readonly startCursor: string | null;
  readonly endCursor: string | null;
}

/** One page of bars: positions [start, end) of a sequence whose selection is [lo, hi). */
export class BarPage implements BarPageView {
  private cachedNodes: Bar[] | null = null;

  constructor(
    readonly sequence: BarSequence,
    readonly lo: number,
    readonly hi: number,
    readonly start: number,
    readonly end: number,
  ) {}

  /** The page's bars, ascending (built once). */
  get nodes(): Bar[] {
    if (this.cachedNodes === null) {
      const out = new Array<Bar>(Math.max(0, this.end - this.start));
      for (let p = this.start; p < this.end; p++) out[p - this.start] = this.sequence.at(p);
      this.cachedNodes = out;
    }
    return this.cachedNodes;
  }

  /** The page's edges. */
  get edges(): { cursor: string; node: Bar }[] {
    return this.nodes.map((node) => ({ cursor: encodeCursor(node.ts), node }));
  }

  get totalCount(): number {
    return this.hi - this.lo;
  }

  get hasNextPage(): boolean {
    return this.end < this.hi;
  }

  get hasPreviousPage(): boolean {
    return this.start > this.lo;
  }

  get startCursor(): string | null {
    return this.end > this.start ? encodeCursor(this.sequence.at(this.start).ts) : null;
  }

  get endCursor(): string | null {
    return this.end > this.start ? encodeCursor(this.sequence.at(this.end - 1).ts) : null;
  }
}

/** The opaque cursor of a bar. */
export function encodeCursor(ts: Instant): string {
  return Buffer.from(String(ts), 'latin1').toString('base64url');
}

/**
 * The instant a cursor names.
 * @throws GraphQLError INVALID_CURSOR
 */
export function decodeCursor(cursor: string): Instant {
  const text = /^[A-Za-z0-9_-]{1,24}={0,2}$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('latin1')
    : '';
  if (!/^-?\d{1,16}$/.test(text)) throw userError('INVALID_CURSOR', `"${cursor}" is not a bar cursor`);
  return Number(text);
}

function checkCount(name: string, value: number | null | undefined, limits: Limits): number | null {
  if (value === null || value === undefined) return null;
  if (value < 0) throw userError('BAD_USER_INPUT', `${name} must be ≥ 0, got ${value}`);
  if (value > limits.maxPage) {
    throw userError(
      'PAGE_TOO_LARGE',
      `${name} may be at most ${limits.maxPage} bars, got ${value}; page with after/before`,
    );
  }
  return value;
}

/**
 * A page made of its bars (ascending) and what is known around them: the pages of stored history
 * (src/graphql/history.ts).
 */
export class ListedBarPage implements BarPageView {
  constructor(
    readonly nodes: readonly Bar[],
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
    private readonly count: () => number | Promise<number>,
  ) {}

  get edges(): { cursor: string; node: Bar }[] {
    return this.nodes.map((node) => ({ cursor: encodeCursor(node.ts), node }));
  }

  get totalCount(): number | Promise<number> {
    return this.count();
  }

  get startCursor(): string | null {
    const first = this.nodes[0];
    return first === undefined ? null : encodeCursor(first.ts);
  }

  get endCursor(): string | null {
    const last = this.nodes.at(-1);
    return last === undefined ? null : encodeCursor(last.ts);
  }
}

/**
 * The paging arguments as instants: the selection is `from ≤ ts < to` (open bounds as ±Infinity;
 * `to` never below `from`), the cursors narrow it to `a ≤ ts < b`, then the page is the first
 * `first` bars of [a, b) (`mode` first, then the last `last` of those when `last` is given) or the
 * last `last` (`mode` last). The same rules as {@link pageBars}, in terms of instants rather than
 * positions, for reads that never hold the whole selection.
 */
export interface PagePlan {
  readonly from: Instant;
  readonly to: Instant;
  readonly a: Instant;
  readonly b: Instant;
  readonly mode: 'first' | 'last';
  /** Bars taken from the start (mode first) or the end (mode last) of [a, b). */
  readonly count: number;
  /** Mode first only: the page is the last `trim` of those (null: all of them). */
  readonly trim: number | null;
}

/**
 * The plan of a page.
 * @throws GraphQLError BAD_USER_INPUT, PAGE_TOO_LARGE, INVALID_CURSOR
 */
export function pagePlan(args: PageArgs, limits: Limits): PagePlan {
  const first = checkCount('first', args.first, limits);
  const last = checkCount('last', args.last, limits);
  const after = args.after === null || args.after === undefined ? null : decodeCursor(args.after);
  const before = args.before === null || args.before === undefined ? null : decodeCursor(args.before);
  const from = args.from ?? Number.NEGATIVE_INFINITY;
  const to = Math.max(from, args.to ?? Number.POSITIVE_INFINITY);
  const a = after === null ? from : Math.max(from, Math.min(to, after + 1));
  const b = before === null ? to : Math.max(a, Math.min(to, before));
  if (first !== null) return { from, to, a, b, mode: 'first', count: first, trim: last };
  if (last !== null) return { from, to, a, b, mode: 'last', count: last, trim: null };
  const fromEnd = before !== null && after === null;
  return { from, to, a, b, mode: fromEnd ? 'last' : 'first', count: limits.defaultPage, trim: null };
}

/**
 * Pages a sequence.
 * @throws GraphQLError BAD_USER_INPUT, PAGE_TOO_LARGE, INVALID_CURSOR
 */
export function pageBars(sequence: BarSequence, args: PageArgs, limits: Limits): BarPage {
  let first = checkCount('first', args.first, limits);
  const last = checkCount('last', args.last, limits);
  const after = args.after === null || args.after === undefined ? null : decodeCursor(args.after);
  const before = args.before === null || args.before === undefined ? null : decodeCursor(args.before);
  const size = sequence.size;
  const lo = args.from === null || args.from === undefined ? 0 : sequence.lowerBound(args.from);
  const hiRaw = args.to === null || args.to === undefined ? size : sequence.lowerBound(args.to);
  const hi = Math.max(lo, hiRaw);
  let start = lo;
  let end = hi;
  if (after !== null) start = Math.max(start, Math.min(end, sequence.lowerBound(after + 1)));
  if (before !== null) end = Math.max(start, Math.min(end, sequence.lowerBound(before)));
  let lastCount = last;
  if (first === null && last === null) {
    if (before !== null && after === null) lastCount = limits.defaultPage;
    else first = limits.defaultPage;
  }
  if (first !== null) end = Math.min(end, start + first);
  if (lastCount !== null) start = Math.max(start, end - lastCount);
  return new BarPage(sequence, lo, hi, start, end);
}

/**
 * An ascending sequence made of consecutive parts that do not overlap in time (e.g. historical
 * days read from the store before the in-memory window, then the window itself).
 */
export class ConcatSequence implements BarSequence {
  private readonly offsets: number[] = [];
  readonly size: number;

  constructor(private readonly parts: readonly BarSequence[]) {
    let total = 0;
    for (const part of parts) {
      this.offsets.push(total);
      total += part.size;
    }
    this.size = total;
  }

  lowerBound(ts: Instant): number {
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i]!;
      const position = part.lowerBound(ts);
      if (position < part.size) return this.offsets[i]! + position;
    }
    return this.size;
  }

  at(position: number): Bar {
    let i = this.parts.length - 1;
    while (i > 0 && this.offsets[i]! > position) i--;
    return this.parts[i]!.at(position - this.offsets[i]!);
  }
}
