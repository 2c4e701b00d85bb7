/**
 * Historical bars for the API: the in-memory trailing window, extended with stored dates read
 * from PostgreSQL (through the request's DataLoaders) when a `from`/`to` range reaches outside it.
 *
 * Rules:
 * - without `from` and `to`, `HistoricalInterval.bars` reads the in-memory window only;
 * - with a bound, every trading date of the range other than the session date is included: dates
 *   of the in-memory window come from memory, the others from the store; an open bound stops at
 *   the in-memory window's edge;
 * - a range may reach at most `limits.maxHistoryDates` trading dates outside memory
 *   (RANGE_TOO_LARGE above);
 * - a read costs what its page costs: the store is asked for the page's bars only (keyset on `ts`,
 *   the first or last n + 1 of the cursors' range), whether bars lie before / after the page's
 *   range (two index probes) and, only when `totalCount` is selected, the count — computed by the
 *   server. Every field and symbol of a request goes to the store in one statement (DataLoader);
 * - stored days follow the tree's rules (every date a full, closed session window): derived
 *   intervals are aggregated in SQL over the same session-aligned windows, bit-identical to the tree
 *   (src/store/history-pages.ts), so a page reads the same whether its dates are in memory or not.
 */
import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql/index.js';
import {
  nextTradingDate,
  nyDate,
  sessionWindow,
  type TimeWindow,
  tradingDatesBefore,
} from '../domain/calendar.ts';
import {
  HISTORY_BAR_FIELDS,
  type HistoryBarField,
  type HistoryGrouping,
  type HistoryPageRequest,
  type HistoryRange,
} from '../domain/history-page.ts';
import type { Bar, Instant, IsoDate } from '../domain/types.ts';
import type { HistoricalInterval } from '../session/historical-data.ts';
import type { BarSequence } from '../session/session-interval.ts';
import type { SymbolSessionData } from '../session/symbol-session-data.ts';
import type { Context, HistoryLoaders } from './context.ts';
import { userError } from './errors.ts';
import { type BarPageView, ListedBarPage, type PageArgs, pageBars, pagePlan } from './paging.ts';
import { UNCACHEABLE } from './result-cache.ts';

/** A historical interval of a symbol, as the GraphQL parent of HistoricalInterval. */
export interface HistoricalIntervalParent {
  readonly owner: SymbolSessionData;
  readonly interval: HistoricalInterval;
}

/** The trading dates of [from, to) that are not in memory, ascending. */
function storedDates(
  owner: SymbolSessionData,
  from: Instant | null,
  to: Instant | null,
  maxDates: number,
): IsoDate[] {
  const memory = tradingDatesBefore(owner.date, owner.settings.historicalDays);
  const memoryFirst = memory[0] ?? owner.date;
  const firstDate = from === null ? memoryFirst : nyDate(from);
  const lastDate = to === null ? owner.date : nyDate(to - 1);
  const held = new Set(memory);
  const dates: IsoDate[] = [];
  if (firstDate > lastDate) return dates;
  let date = sessionWindow(firstDate, false) === null ? nextTradingDate(firstDate) : firstDate;
  while (date <= lastDate) {
    if (date !== owner.date && !held.has(date)) {
      dates.push(date);
      if (dates.length > maxDates) {
        throw userError(
          'RANGE_TOO_LARGE',
          `a historical read may reach at most ${maxDates} trading dates outside the in-memory window; narrow from/to`,
        );
      }
    }
    date = nextTradingDate(date);
  }
  return dates;
}

/** Whether a field's selection (fragments included) asks for `name`. */
export function selects(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): boolean =>
    set?.selections.some((selection) => {
      if (selection.kind === 'Field') return selection.name.value === name;
      if (selection.kind === 'InlineFragment') return visit(selection.selectionSet);
      if (seen.has(selection.name.value)) return false;
      seen.add(selection.name.value);
      return visit(info.fragments[selection.name.value]?.selectionSet);
    }) ?? false;
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}

const BAR_FIELDS = new Set<string>(HISTORY_BAR_FIELDS);

/**
 * The bar fields a `bars` field's selection reads (under `nodes` and `edges { node }`, fragments
 * included, whatever their directives: an over-approximation).
 */
export function selectedBarFields(info: GraphQLResolveInfo): HistoryBarField[] {
  const found = new Set<HistoryBarField>();
  const seen = new Set<string>();
  const fields = (
    set: SelectionSetNode | undefined,
    visit: (name: string, sub: SelectionSetNode | undefined) => void,
  ) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === 'Field') visit(selection.name.value, selection.selectionSet);
      else if (selection.kind === 'InlineFragment') fields(selection.selectionSet, visit);
      else {
        const key = `${selection.name.value}`;
        if (seen.has(key)) continue;
        seen.add(key);
        fields(info.fragments[selection.name.value]?.selectionSet, visit);
        seen.delete(key);
      }
    }
  };
  const bar = (set: SelectionSetNode | undefined) =>
    fields(set, (name) => {
      if (BAR_FIELDS.has(name)) found.add(name as HistoryBarField);
    });
  for (const node of info.fieldNodes) {
    fields(node.selectionSet, (name, sub) => {
      if (name === 'nodes') bar(sub);
      else if (name === 'edges') fields(sub, (inner, node) => inner === 'node' && bar(node));
    });
  }
  return HISTORY_BAR_FIELDS.filter((field) => found.has(field));
}

/** The bars of positions [start, end) of a sequence. */
function slice(sequence: BarSequence, start: number, end: number): Bar[] {
  const out: Bar[] = [];
  for (let p = start; p < end; p++) out.push(sequence.at(p));
  return out;
}

/** Position of the first bar with ts ≥ x (x may be ±Infinity). */
function position(sequence: BarSequence, x: Instant): number {
  if (x === Number.NEGATIVE_INFINITY) return 0;
  if (x === Number.POSITIVE_INFINITY) return sequence.size;
  return sequence.lowerBound(x);
}

/** The grouping of an interval's stored bars. */
function groupingOf(owner: SymbolSessionData, name: string): HistoryGrouping {
  const spec = owner.historicalSpecs.find((s) => s.name === name);
  if (spec === undefined || name === owner.baseInterval) return { kind: 'base' };
  return spec.isDay ? { kind: 'day' } : { kind: 'fixed', ms: spec.ms };
}

function requireLoaders(ctx: Context): HistoryLoaders {
  if (ctx.loaders === null) {
    throw userError(
      'STORE_UNAVAILABLE',
      'this server has no store to read historical dates outside memory from',
    );
  }
  return ctx.loaders;
}

const nonEmpty = (range: HistoryRange): boolean => range.lo < range.hi;

/**
 * One page of a historical interval's bars (see the rules above). `wantsCount`: the caller
 * selected `totalCount`, so the count goes into the same statement as the page; `fields`: the bar
 * fields it reads (null: all), the only ones the store sends.
 * @throws GraphQLError RANGE_TOO_LARGE, STORE_UNAVAILABLE, BAD_USER_INPUT, PAGE_TOO_LARGE, INVALID_CURSOR
 */
export async function historicalPage(
  ctx: Context,
  parent: HistoricalIntervalParent,
  args: PageArgs,
  wantsCount: boolean,
  fields: readonly HistoryBarField[] | null = null,
): Promise<BarPageView> {
  const { owner, interval } = parent;
  const from = args.from ?? null;
  const to = args.to ?? null;
  if (from === null && to === null) return pageBars(interval, args, ctx.limits);
  const plan = pagePlan(args, ctx.limits);
  const dates = storedDates(owner, from, to, ctx.limits.maxHistoryDates);
  if (dates.length === 0) return pageBars(interval, args, ctx.limits);
  const loaders = requireLoaders(ctx);
  ctx.memo.set(UNCACHEABLE, true);

  const days: TimeWindow[] = [];
  for (const date of dates) {
    const window = sessionWindow(date, owner.extendedHours);
    if (window !== null) days.push(window);
  }
  const before: HistoryRange = { lo: plan.from, hi: plan.a };
  const after: HistoryRange = { lo: plan.b, hi: plan.to };
  const selection: HistoryRange = { lo: plan.from, hi: plan.to };
  const request = (page: boolean, count: boolean): HistoryPageRequest => ({
    symbol: owner.symbol,
    interval: owner.baseInterval,
    baseMs: owner.day.base.spec.ms,
    grouping: groupingOf(owner, interval.name),
    days,
    page: page ? { lo: plan.a, hi: plan.b, limit: plan.count, descending: plan.mode === 'last' } : null,
    probes: page ? [before, after].filter(nonEmpty) : [],
    count: count ? selection : null,
    fields: page ? fields : [],
  });
  const stored = await loaders.historyPages.load(request(true, wantsCount));

  // The page's range in memory: its first (last) count + 1 bars, merged with the stored ones.
  const lo = position(interval, plan.a);
  const hi = Math.max(lo, position(interval, plan.b));
  const memory =
    plan.mode === 'first'
      ? slice(interval, lo, Math.min(hi, lo + plan.count + 1))
      : slice(interval, Math.max(lo, hi - plan.count - 1), hi);
  const merged = [...stored.bars, ...memory].sort((x, y) => x.ts - y.ts);
  const more = stored.more || merged.length > plan.count;
  const taken =
    plan.mode === 'first'
      ? merged.slice(0, plan.count)
      : merged.slice(Math.max(0, merged.length - plan.count));
  const page =
    plan.mode === 'first' && plan.trim !== null ? taken.slice(Math.max(0, taken.length - plan.trim)) : taken;

  let probe = 0;
  const storedExists = (range: HistoryRange): boolean => nonEmpty(range) && stored.exists[probe++] === true;
  const existsBefore = storedExists(before) || position(interval, plan.a) > position(interval, plan.from);
  const existsAfter = storedExists(after) || position(interval, plan.to) > position(interval, plan.b);
  const hasNextPage = (plan.mode === 'first' && more) || existsAfter;
  const hasPreviousPage =
    (plan.mode === 'last' && more) ||
    (plan.mode === 'first' && plan.trim !== null && taken.length > plan.trim) ||
    existsBefore;
  const inMemory = Math.max(0, position(interval, plan.to) - position(interval, plan.from));
  const count = () =>
    stored.count !== null
      ? stored.count + inMemory
      : loaders.historyPages.load(request(false, true)).then((r) => (r.count ?? 0) + inMemory);
  return new ListedBarPage(page, hasNextPage, hasPreviousPage, count);
}
