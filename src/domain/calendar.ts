/**
 * NYSE exchange calendar (America/New_York, DST-correct).
 *
 * Rules (docs/semantics.md, "The exchange calendar"), correct at least for 2000–2035:
 * - regular session 09:30–16:00 ET, extended session 04:00–20:00 ET;
 * - full-day holidays: New Year's Day, Martin Luther King Jr. Day (from 1998), Presidents Day, Good Friday,
 *   Memorial Day, Juneteenth (from 2022), Independence Day, Labor Day, Thanksgiving Day, Christmas Day.
 *   A Saturday holiday is observed on the preceding Friday, a Sunday holiday on the following Monday,
 *   except that New Year's Day on a Saturday is not observed at all;
 * - 13:00 ET early closes (extended session then ends at 17:00 ET): the day before Independence Day, the
 *   day after Thanksgiving and Christmas Eve, when those are trading days. Two historical exceptions are
 *   applied: before 2013, when July 4 was a Thursday, the early close was Friday July 5 and July 3 was a
 *   full day (2002); 2003-12-26 was an ad-hoc early close;
 * - the unscheduled closures listed in {@link UNSCHEDULED_CLOSURES}.
 *
 * Every result is memoised per date; `nyDate` caches the New York midnight inside each UTC day.
 */
import { DateTime } from 'luxon';
import type { Instant, IsoDate } from './types.ts';

/** The exchange calendar for one date. Instants are null on a non-trading day. */
export interface TradingDayInfo {
  readonly date: IsoDate;
  readonly isTradingDay: boolean;
  readonly isEarlyClose: boolean;
  /** Holiday or closure name when the exchange is closed on a weekday. */
  readonly holiday: string | null;
  readonly regularOpen: Instant | null;
  readonly regularClose: Instant | null;
  readonly extendedOpen: Instant | null;
  readonly extendedClose: Instant | null;
}

/** A half-open time range [start, end). */
export interface TimeWindow {
  readonly start: Instant;
  readonly end: Instant;
}

/** Market phase of an instant relative to one date's sessions. */
export type MarketPhase = 'CLOSED' | 'PRE_MARKET' | 'REGULAR' | 'POST_MARKET';

/** The exchange's time zone. */
export const EXCHANGE_TIME_ZONE = 'America/New_York';

/** Unscheduled full-day closures since 2000, by New York date. */
export const UNSCHEDULED_CLOSURES: ReadonlyMap<IsoDate, string> = new Map([
  ['2001-09-11', 'September 11 attacks'],
  ['2001-09-12', 'September 11 attacks'],
  ['2001-09-13', 'September 11 attacks'],
  ['2001-09-14', 'September 11 attacks'],
  ['2004-06-11', 'National Day of Mourning for Ronald Reagan'],
  ['2007-01-02', 'National Day of Mourning for Gerald R. Ford'],
  ['2012-10-29', 'Hurricane Sandy'],
  ['2012-10-30', 'Hurricane Sandy'],
  ['2018-12-05', 'National Day of Mourning for George H. W. Bush'],
  ['2025-01-09', 'National Day of Mourning for Jimmy Carter'],
]);

const AD_HOC_EARLY_CLOSES: ReadonlySet<IsoDate> = new Set(['2003-12-26']);

const MS_PER_DAY = 86_400_000;
const ISO_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

interface HourMinute {
  readonly hour: number;
  readonly minute: number;
}

const REGULAR_OPEN: HourMinute = { hour: 9, minute: 30 };
const REGULAR_CLOSE: HourMinute = { hour: 16, minute: 0 };
const EARLY_REGULAR_CLOSE: HourMinute = { hour: 13, minute: 0 };
const EXTENDED_OPEN: HourMinute = { hour: 4, minute: 0 };
const EXTENDED_CLOSE: HourMinute = { hour: 20, minute: 0 };
const EARLY_EXTENDED_CLOSE: HourMinute = { hour: 17, minute: 0 };

interface DayEntry {
  readonly info: TradingDayInfo;
  readonly regular: TimeWindow | null;
  readonly extended: TimeWindow | null;
}

/** The New York midnight inside one UTC day and the NY dates on either side of it. */
interface UtcDayBucket {
  readonly day: number;
  readonly boundary: Instant;
  readonly before: IsoDate;
  readonly after: IsoDate;
}

const dayCache = new Map<IsoDate, DayEntry>();
const holidayCache = new Map<number, ReadonlyMap<IsoDate, string>>();
const previousCache = new Map<IsoDate, IsoDate>();
const nextCache = new Map<IsoDate, IsoDate>();
const bucketCache = new Map<number, UtcDayBucket>();
let lastBucket: UtcDayBucket | undefined;

interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function toEpochDay(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Inverse of {@link toEpochDay} (H. Hinnant's civil_from_days). */
function fromEpochDay(epochDay: number): CivilDate {
  const z = epochDay + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: era * 400 + yoe + (month <= 2 ? 1 : 0), month, day };
}

/** 0 = Sunday … 6 = Saturday. */
function weekdayOf(epochDay: number): number {
  return (((epochDay + 4) % 7) + 7) % 7;
}

function formatIsoDate(year: number, month: number, day: number): IsoDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function epochDayToIso(epochDay: number): IsoDate {
  const { year, month, day } = fromEpochDay(epochDay);
  return formatIsoDate(year, month, day);
}

function parseIsoDate(value: string): CivilDate | null {
  const match = ISO_DATE_PATTERN.exec(value);
  if (match === null) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return { year, month, day };
}

function requireIsoDate(value: IsoDate): CivilDate {
  const parsed = parseIsoDate(value);
  if (parsed === null) throw new RangeError(`Invalid date '${value}': expected a real YYYY-MM-DD date`);
  return parsed;
}

/** Epoch day of the n-th (1-based) given weekday of a month. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  const first = toEpochDay(year, month, 1);
  return first + ((weekday - weekdayOf(first) + 7) % 7) + (n - 1) * 7;
}

/** Epoch day of the last given weekday of a month. */
function lastWeekday(year: number, month: number, weekday: number): number {
  const last = toEpochDay(year, month, daysInMonth(year, month));
  return last - ((weekdayOf(last) - weekday + 7) % 7);
}

/** Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher). */
function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return toEpochDay(year, month, day);
}

/** Saturday → preceding Friday, Sunday → following Monday. */
function observed(epochDay: number): number {
  const weekday = weekdayOf(epochDay);
  if (weekday === 6) return epochDay - 1;
  if (weekday === 0) return epochDay + 1;
  return epochDay;
}

/** Observed full-day holidays of a year (all fall inside that year), keyed by date. */
function holidaysOf(year: number): ReadonlyMap<IsoDate, string> {
  const cached = holidayCache.get(year);
  if (cached !== undefined) return cached;
  const days: [number, string][] = [];
  const newYear = toEpochDay(year, 1, 1);
  if (weekdayOf(newYear) !== 6) days.push([observed(newYear), "New Year's Day"]);
  if (year >= 1998) days.push([nthWeekday(year, 1, 1, 3), 'Martin Luther King Jr. Day']);
  days.push([nthWeekday(year, 2, 1, 3), 'Presidents Day']);
  days.push([easterSunday(year) - 2, 'Good Friday']);
  days.push([lastWeekday(year, 5, 1), 'Memorial Day']);
  if (year >= 2022) days.push([observed(toEpochDay(year, 6, 19)), 'Juneteenth']);
  days.push([observed(toEpochDay(year, 7, 4)), 'Independence Day']);
  days.push([nthWeekday(year, 9, 1, 1), 'Labor Day']);
  days.push([nthWeekday(year, 11, 4, 4), 'Thanksgiving Day']);
  days.push([observed(toEpochDay(year, 12, 25)), 'Christmas Day']);
  const holidays = new Map(days.map(([epochDay, name]) => [epochDayToIso(epochDay), name] as const));
  holidayCache.set(year, holidays);
  return holidays;
}

function isScheduledEarlyClose(date: CivilDate, weekday: number): boolean {
  const { year, month, day } = date;
  if (month === 7) {
    const julyFourthIsThursday = weekdayOf(toEpochDay(year, 7, 4)) === 4;
    if (year < 2013 && julyFourthIsThursday) return day === 5;
    return day === 3;
  }
  if (month === 11) return weekday === 5 && day >= 23 && day <= 29;
  return month === 12 && day === 24;
}

function instantAt(date: CivilDate, time: HourMinute): Instant {
  return DateTime.fromObject({ ...date, ...time }, { zone: EXCHANGE_TIME_ZONE }).toMillis();
}

function computeDay(date: IsoDate): DayEntry {
  const civil = requireIsoDate(date);
  const weekday = weekdayOf(toEpochDay(civil.year, civil.month, civil.day));
  const weekend = weekday === 0 || weekday === 6;
  const holiday = weekend
    ? null
    : (UNSCHEDULED_CLOSURES.get(date) ?? holidaysOf(civil.year).get(date) ?? null);
  if (weekend || holiday !== null) {
    const info: TradingDayInfo = Object.freeze({
      date,
      isTradingDay: false,
      isEarlyClose: false,
      holiday,
      regularOpen: null,
      regularClose: null,
      extendedOpen: null,
      extendedClose: null,
    });
    return { info, regular: null, extended: null };
  }
  const isEarlyClose = isScheduledEarlyClose(civil, weekday) || AD_HOC_EARLY_CLOSES.has(date);
  const regular: TimeWindow = Object.freeze({
    start: instantAt(civil, REGULAR_OPEN),
    end: instantAt(civil, isEarlyClose ? EARLY_REGULAR_CLOSE : REGULAR_CLOSE),
  });
  const extended: TimeWindow = Object.freeze({
    start: instantAt(civil, EXTENDED_OPEN),
    end: instantAt(civil, isEarlyClose ? EARLY_EXTENDED_CLOSE : EXTENDED_CLOSE),
  });
  const info: TradingDayInfo = Object.freeze({
    date,
    isTradingDay: true,
    isEarlyClose,
    holiday: null,
    regularOpen: regular.start,
    regularClose: regular.end,
    extendedOpen: extended.start,
    extendedClose: extended.end,
  });
  return { info, regular, extended };
}

function dayEntry(date: IsoDate): DayEntry {
  let entry = dayCache.get(date);
  if (entry === undefined) {
    entry = computeDay(date);
    dayCache.set(date, entry);
  }
  return entry;
}

function findTradingDate(date: IsoDate, step: 1 | -1, cache: Map<IsoDate, IsoDate>): IsoDate {
  const cached = cache.get(date);
  if (cached !== undefined) return cached;
  const { year, month, day } = requireIsoDate(date);
  let epochDay = toEpochDay(year, month, day);
  let candidate: IsoDate;
  do {
    epochDay += step;
    candidate = epochDayToIso(epochDay);
  } while (!dayEntry(candidate).info.isTradingDay);
  cache.set(date, candidate);
  return candidate;
}

function bucketOf(utcDay: number): UtcDayBucket {
  let bucket = bucketCache.get(utcDay);
  if (bucket === undefined) {
    const startOfUtcDay = DateTime.fromMillis(utcDay * MS_PER_DAY, { zone: EXCHANGE_TIME_ZONE });
    const nextMidnight = startOfUtcDay.startOf('day').plus({ days: 1 });
    bucket = {
      day: utcDay,
      boundary: nextMidnight.toMillis(),
      before: startOfUtcDay.toISODate() ?? '',
      after: nextMidnight.toISODate() ?? '',
    };
    bucketCache.set(utcDay, bucket);
  }
  return bucket;
}

/**
 * The exchange calendar for a New York date: whether it trades, its holiday or closure name, and its
 * session instants. Memoised; the returned object is frozen.
 * @throws RangeError when `date` is not a real `YYYY-MM-DD` date.
 */
export function tradingDay(date: IsoDate): TradingDayInfo {
  return dayEntry(date).info;
}

/**
 * Whether the exchange trades on a New York date.
 * @throws RangeError when `date` is not a real `YYYY-MM-DD` date.
 */
export function isTradingDay(date: IsoDate): boolean {
  return dayEntry(date).info.isTradingDay;
}

/**
 * The last trading date strictly before `date` (which need not be a trading date itself).
 * @throws RangeError when `date` is not a real `YYYY-MM-DD` date.
 */
export function previousTradingDate(date: IsoDate): IsoDate {
  return findTradingDate(date, -1, previousCache);
}

/**
 * The first trading date strictly after `date` (which need not be a trading date itself).
 * @throws RangeError when `date` is not a real `YYYY-MM-DD` date.
 */
export function nextTradingDate(date: IsoDate): IsoDate {
  return findTradingDate(date, 1, nextCache);
}

/**
 * The `count` trading dates strictly before `date`, ascending (for a Monday and 2: Thursday, Friday).
 * @throws RangeError when `count` is not a non-negative integer or `date` is invalid.
 */
export function tradingDatesBefore(date: IsoDate, count: number): IsoDate[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`Invalid count ${count}: expected a non-negative integer`);
  }
  requireIsoDate(date);
  const dates: IsoDate[] = new Array<IsoDate>(count);
  let current = date;
  for (let i = count - 1; i >= 0; i--) {
    current = previousTradingDate(current);
    dates[i] = current;
  }
  return dates;
}

/**
 * The New York calendar date of an instant. Cheap on hot paths: the New York midnight inside each UTC
 * day is computed once and later calls only compare against it.
 * @throws RangeError when `instant` is not a finite number.
 */
export function nyDate(instant: Instant): IsoDate {
  if (!Number.isFinite(instant)) throw new RangeError(`Invalid instant ${instant}`);
  const utcDay = Math.floor(instant / MS_PER_DAY);
  let bucket = lastBucket;
  if (bucket === undefined || bucket.day !== utcDay) {
    bucket = bucketOf(utcDay);
    lastBucket = bucket;
  }
  return instant < bucket.boundary ? bucket.before : bucket.after;
}

/**
 * The session window of a date: [regularOpen, regularClose), or [extendedOpen, extendedClose) when
 * `extendedHours`; null on a non-trading day.
 * @throws RangeError when `date` is not a real `YYYY-MM-DD` date.
 */
export function sessionWindow(date: IsoDate, extendedHours: boolean): TimeWindow | null {
  const entry = dayEntry(date);
  return extendedHours ? entry.extended : entry.regular;
}

/**
 * The dates the calendar is known to be right for (the rules above were checked against the
 * exchange's published calendars for 2000–2035). Sessions start only on dates inside it.
 */
export const CALENDAR_RANGE: { readonly first: IsoDate; readonly last: IsoDate } = {
  first: '2000-01-01',
  last: '2035-12-31',
};

/** Whether a `YYYY-MM-DD` date lies inside {@link CALENDAR_RANGE}. */
export function inCalendarRange(date: IsoDate): boolean {
  return date >= CALENDAR_RANGE.first && date <= CALENDAR_RANGE.last;
}

/** The message of a date outside {@link CALENDAR_RANGE}. */
export function outOfCalendarRange(date: IsoDate): string {
  return `${date} is outside the supported calendar range ${CALENDAR_RANGE.first} to ${CALENDAR_RANGE.last}`;
}

/** Whether `value` is a strict `YYYY-MM-DD` string naming a real calendar date. */
export function isIsoDate(value: string): boolean {
  return parseIsoDate(value) !== null;
}

/**
 * The market phase of `instant` on `date`: PRE_MARKET from the extended open to the regular open, REGULAR
 * until the regular close, POST_MARKET until the extended close, CLOSED otherwise (and on non-trading days).
 * @throws RangeError when `date` is not a real `YYYY-MM-DD` date.
 */
export function phaseAt(date: IsoDate, instant: Instant): MarketPhase {
  const { regular, extended } = dayEntry(date);
  if (regular === null || extended === null) return 'CLOSED';
  if (instant < extended.start || instant >= extended.end) return 'CLOSED';
  if (instant < regular.start) return 'PRE_MARKET';
  if (instant < regular.end) return 'REGULAR';
  return 'POST_MARKET';
}
