import { describe, expect, it } from 'vitest';
import {
  isIsoDate,
  isTradingDay,
  nextTradingDate,
  nyDate,
  phaseAt,
  previousTradingDate,
  sessionWindow,
  tradingDatesBefore,
  tradingDay,
} from '../../src/domain/calendar.ts';

const utc = (iso: string): number => Date.parse(iso);

function datesOfYear(year: number): string[] {
  const dates: string[] = [];
  for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
    dates.push(new Date(t).toISOString().slice(0, 10));
  }
  return dates;
}

function weekdayOf(date: string): number {
  return new Date(`${date}T12:00:00Z`).getUTCDay();
}

describe('tradingDay: holidays and closures', () => {
  it.each([
    ['2011-01-17', 'Martin Luther King Jr. Day'],
    ['2011-02-21', 'Presidents Day'],
    ['2011-04-22', 'Good Friday'],
    ['2024-03-29', 'Good Friday'],
    ['2011-05-30', 'Memorial Day'],
    ['2004-07-05', 'Independence Day'],
    ['2011-09-05', 'Labor Day'],
    ['2011-11-24', 'Thanksgiving Day'],
    ['2011-12-26', 'Christmas Day'],
    ['2022-12-26', 'Christmas Day'],
    ['2021-12-24', 'Christmas Day'],
    ['2012-01-02', "New Year's Day"],
    ['2022-06-20', 'Juneteenth'],
    ['2023-06-19', 'Juneteenth'],
    ['2027-06-18', 'Juneteenth'],
    ['2001-09-11', 'September 11 attacks'],
    ['2001-09-14', 'September 11 attacks'],
    ['2004-06-11', 'National Day of Mourning for Ronald Reagan'],
    ['2007-01-02', 'National Day of Mourning for Gerald R. Ford'],
    ['2012-10-29', 'Hurricane Sandy'],
    ['2012-10-30', 'Hurricane Sandy'],
    ['2018-12-05', 'National Day of Mourning for George H. W. Bush'],
    ['2025-01-09', 'National Day of Mourning for Jimmy Carter'],
  ])('%s is closed for %s', (date, name) => {
    expect(tradingDay(date)).toEqual({
      date,
      isTradingDay: false,
      isEarlyClose: false,
      holiday: name,
      regularOpen: null,
      regularClose: null,
      extendedOpen: null,
      extendedClose: null,
    });
    expect(isTradingDay(date)).toBe(false);
    expect(sessionWindow(date, false)).toBeNull();
    expect(sessionWindow(date, true)).toBeNull();
  });

  it.each([
    ['2021-06-18', 'Juneteenth before 2022'],
    ['2021-12-31', "New Year's Day on a Saturday is not observed"],
    ['2010-12-31', "New Year's Day on a Saturday is not observed"],
    ['2001-09-17', 'reopening after September 11'],
    ['2012-10-31', 'reopening after Hurricane Sandy'],
    ['1997-01-20', 'MLK Day before NYSE observed it'],
  ])('%s is a trading day (%s)', (date) => {
    expect(isTradingDay(date)).toBe(true);
    expect(tradingDay(date).holiday).toBeNull();
  });

  it('weekends are closed without a holiday name, even when a holiday falls on them', () => {
    for (const date of ['2011-01-08', '2011-01-09', '2022-01-01', '2022-12-25', '2022-06-19']) {
      expect(tradingDay(date)).toMatchObject({ isTradingDay: false, isEarlyClose: false, holiday: null });
    }
  });

  it('rejects invalid dates', () => {
    expect(() => tradingDay('2011-02-29')).toThrow(RangeError);
    expect(() => tradingDay('2011-1-3')).toThrow(RangeError);
    expect(() => previousTradingDate('nope')).toThrow(RangeError);
  });

  it('memoises per date', () => {
    expect(tradingDay('2015-06-01')).toBe(tradingDay('2015-06-01'));
    expect(Object.isFrozen(tradingDay('2015-06-01'))).toBe(true);
  });
});

describe('tradingDay: session instants', () => {
  it('a normal winter day: 09:30–16:00 and 04:00–20:00 EST', () => {
    expect(tradingDay('2011-01-18')).toEqual({
      date: '2011-01-18',
      isTradingDay: true,
      isEarlyClose: false,
      holiday: null,
      regularOpen: utc('2011-01-18T14:30:00Z'),
      regularClose: utc('2011-01-18T21:00:00Z'),
      extendedOpen: utc('2011-01-18T09:00:00Z'),
      extendedClose: utc('2011-01-19T01:00:00Z'),
    });
  });

  it.each([
    ['2015-12-24', '2015-12-24T18:00:00Z', '2015-12-24T22:00:00Z'],
    ['2015-11-27', '2015-11-27T18:00:00Z', '2015-11-27T22:00:00Z'],
    ['2019-07-03', '2019-07-03T17:00:00Z', '2019-07-03T21:00:00Z'],
    ['2024-12-24', '2024-12-24T18:00:00Z', '2024-12-24T22:00:00Z'],
    ['2002-07-05', '2002-07-05T17:00:00Z', '2002-07-05T21:00:00Z'],
    ['2003-12-26', '2003-12-26T18:00:00Z', '2003-12-26T22:00:00Z'],
  ])('%s closes early at 13:00 ET (extended 17:00 ET)', (date, close, extendedClose) => {
    const info = tradingDay(date);
    expect(info.isEarlyClose).toBe(true);
    expect(info.regularClose).toBe(utc(close));
    expect(info.extendedClose).toBe(utc(extendedClose));
    expect(sessionWindow(date, false)).toEqual({ start: info.regularOpen, end: utc(close) });
  });

  it.each([
    ['2002-07-03', 'July 3 before 2013 when July 4 was a Thursday'],
    ['2020-07-02', 'Independence Day observed on Friday July 3'],
    ['2021-07-02', 'Independence Day observed on Monday July 5'],
    ['2021-12-23', 'Christmas observed on Friday December 24'],
    ['2013-07-05', 'Friday after a Thursday Independence Day since 2013'],
  ])('%s is a full day (%s)', (date) => {
    const info = tradingDay(date);
    expect(info.isTradingDay).toBe(true);
    expect(info.isEarlyClose).toBe(false);
  });

  it.each([
    ['2011-03-11', '2011-03-11T14:30:00Z'],
    ['2011-03-14', '2011-03-14T13:30:00Z'],
    ['2008-03-07', '2008-03-07T14:30:00Z'],
    ['2008-03-10', '2008-03-10T13:30:00Z'],
    ['2011-11-04', '2011-11-04T13:30:00Z'],
    ['2011-11-07', '2011-11-07T14:30:00Z'],
    ['2024-11-01', '2024-11-01T13:30:00Z'],
    ['2024-11-04', '2024-11-04T14:30:00Z'],
  ])('%s regular open across DST changes is %s', (date, open) => {
    expect(tradingDay(date).regularOpen).toBe(utc(open));
  });

  it('session windows', () => {
    expect(sessionWindow('2011-03-14', false)).toEqual({
      start: utc('2011-03-14T13:30:00Z'),
      end: utc('2011-03-14T20:00:00Z'),
    });
    expect(sessionWindow('2011-03-14', true)).toEqual({
      start: utc('2011-03-14T08:00:00Z'),
      end: utc('2011-03-15T00:00:00Z'),
    });
    expect(sessionWindow('2011-03-12', true)).toBeNull();
  });
});

describe('trading date navigation', () => {
  it.each([
    ['2011-01-18', '2011-01-14', '2011-01-19'],
    ['2011-01-17', '2011-01-14', '2011-01-18'],
    ['2011-01-15', '2011-01-14', '2011-01-18'],
    ['2011-01-10', '2011-01-07', '2011-01-11'],
    ['2011-01-03', '2010-12-31', '2011-01-04'],
    ['2001-09-10', '2001-09-07', '2001-09-17'],
    ['2012-10-31', '2012-10-26', '2012-11-01'],
    ['2024-03-28', '2024-03-27', '2024-04-01'],
  ])('around %s: previous %s, next %s', (date, previous, next) => {
    expect(previousTradingDate(date)).toBe(previous);
    expect(nextTradingDate(date)).toBe(next);
  });

  it('tradingDatesBefore lists the trading dates strictly before, ascending', () => {
    expect(tradingDatesBefore('2011-01-03', 2)).toEqual(['2010-12-30', '2010-12-31']);
    expect(tradingDatesBefore('2024-04-01', 2)).toEqual(['2024-03-27', '2024-03-28']);
    expect(tradingDatesBefore('2011-01-19', 3)).toEqual(['2011-01-13', '2011-01-14', '2011-01-18']);
    expect(tradingDatesBefore('2011-01-03', 0)).toEqual([]);
    expect(() => tradingDatesBefore('2011-01-03', -1)).toThrow(RangeError);
    expect(() => tradingDatesBefore('2011-01-03', 1.5)).toThrow(RangeError);
  });
});

describe('nyDate', () => {
  it.each([
    ['2011-01-08T00:30:00Z', '2011-01-07'],
    ['2011-01-08T04:59:59.999Z', '2011-01-07'],
    ['2011-01-08T05:00:00Z', '2011-01-08'],
    ['2011-07-08T03:59:59.999Z', '2011-07-07'],
    ['2011-07-08T04:00:00Z', '2011-07-08'],
    ['2011-03-13T05:00:00Z', '2011-03-13'],
    ['2011-03-14T03:59:59.999Z', '2011-03-13'],
    ['2011-03-14T04:00:00Z', '2011-03-14'],
    ['2011-11-06T03:59:59.999Z', '2011-11-05'],
    ['2011-11-06T04:00:00Z', '2011-11-06'],
    ['2011-11-07T04:59:59.999Z', '2011-11-06'],
    ['2011-11-07T05:00:00Z', '2011-11-07'],
    ['1969-12-31T23:00:00Z', '1969-12-31'],
  ])('%s is %s in New York', (instant, date) => {
    expect(nyDate(utc(instant))).toBe(date);
  });

  it('maps every 2011 extended session to its own date', () => {
    for (const date of datesOfYear(2011).filter(isTradingDay)) {
      const info = tradingDay(date);
      expect(nyDate(info.extendedOpen!)).toBe(date);
      expect(nyDate(info.extendedClose! - 1)).toBe(date);
    }
  });

  it('rejects non-finite instants', () => {
    expect(() => nyDate(Number.NaN)).toThrow(RangeError);
  });
});

describe('phaseAt', () => {
  it('follows the sessions of a trading day', () => {
    const date = '2011-03-14';
    expect(phaseAt(date, utc('2011-03-14T07:59:59.999Z'))).toBe('CLOSED');
    expect(phaseAt(date, utc('2011-03-14T08:00:00Z'))).toBe('PRE_MARKET');
    expect(phaseAt(date, utc('2011-03-14T13:29:59.999Z'))).toBe('PRE_MARKET');
    expect(phaseAt(date, utc('2011-03-14T13:30:00Z'))).toBe('REGULAR');
    expect(phaseAt(date, utc('2011-03-14T19:59:59.999Z'))).toBe('REGULAR');
    expect(phaseAt(date, utc('2011-03-14T20:00:00Z'))).toBe('POST_MARKET');
    expect(phaseAt(date, utc('2011-03-14T23:59:59.999Z'))).toBe('POST_MARKET');
    expect(phaseAt(date, utc('2011-03-15T00:00:00Z'))).toBe('CLOSED');
  });

  it('uses the early close', () => {
    expect(phaseAt('2015-12-24', utc('2015-12-24T18:00:00Z'))).toBe('POST_MARKET');
    expect(phaseAt('2015-12-24', utc('2015-12-24T22:00:00Z'))).toBe('CLOSED');
  });

  it('is CLOSED all day on a non-trading day', () => {
    expect(phaseAt('2011-01-17', utc('2011-01-17T16:00:00Z'))).toBe('CLOSED');
  });
});

describe('isIsoDate', () => {
  it.each(['2011-01-03', '2024-02-29', '2000-02-29', '1999-12-31'])('accepts %s', (value) => {
    expect(isIsoDate(value)).toBe(true);
  });

  it.each([
    '2023-02-29',
    '1900-02-29',
    '2011-13-01',
    '2011-00-10',
    '2011-04-31',
    '2011-1-3',
    '2011-01-03T00:00:00Z',
    ' 2011-01-03',
    '20110103',
    '',
  ])('rejects %j', (value) => {
    expect(isIsoDate(value)).toBe(false);
  });
});

describe('whole years', () => {
  it.each([
    [2001, 248],
    [2011, 252],
    [2012, 250],
    [2022, 251],
    [2023, 250],
    [2024, 252],
    [2025, 250],
  ])('%i has %i trading days', (year, count) => {
    expect(datesOfYear(year).filter(isTradingDay)).toHaveLength(count);
  });

  it('every year 2000–2035 has 248–253 trading days, every holiday on a weekday', () => {
    for (let year = 2000; year <= 2035; year++) {
      const dates = datesOfYear(year);
      const trading = dates.filter(isTradingDay);
      expect(trading.length).toBeGreaterThanOrEqual(248);
      expect(trading.length).toBeLessThanOrEqual(253);
      const holidays = dates.filter((date) => tradingDay(date).holiday !== null);
      for (const date of holidays) {
        expect(weekdayOf(date)).toBeGreaterThanOrEqual(1);
        expect(weekdayOf(date)).toBeLessThanOrEqual(5);
      }
      const weekdays = dates.filter((date) => weekdayOf(date) >= 1 && weekdayOf(date) <= 5);
      expect(weekdays.length - trading.length).toBe(holidays.length);
      for (const date of trading) {
        const info = tradingDay(date);
        expect(info.regularClose! - info.regularOpen!).toBe(
          info.isEarlyClose ? 3.5 * 3_600_000 : 6.5 * 3_600_000,
        );
        expect(info.extendedClose! - info.extendedOpen!).toBe(
          info.isEarlyClose ? 13 * 3_600_000 : 16 * 3_600_000,
        );
      }
    }
  });
});
