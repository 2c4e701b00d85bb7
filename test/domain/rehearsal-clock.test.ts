import { describe, expect, it } from 'vitest';
import { parseRehearsalClock, rehearsalClock } from '../../src/domain/rehearsal-clock.ts';

describe('parseRehearsalClock', () => {
  it('is off without CLOCK_START', () => {
    expect(parseRehearsalClock(undefined, undefined)).toBeNull();
    expect(parseRehearsalClock('', '1')).toBeNull();
  });

  it('reads an instant with a zone as that instant', () => {
    expect(parseRehearsalClock('2024-03-05T14:25:00Z', undefined)).toEqual({
      start: Date.UTC(2024, 2, 5, 14, 25),
      speed: 1,
    });
    expect(parseRehearsalClock('2024-03-05T09:25:00-05:00', '60')?.start).toBe(Date.UTC(2024, 2, 5, 14, 25));
  });

  it('reads a local date-time as exchange time, DST included', () => {
    // EST in March before the switch, EDT in July.
    expect(parseRehearsalClock('2024-03-05T09:25', undefined)?.start).toBe(Date.UTC(2024, 2, 5, 14, 25));
    expect(parseRehearsalClock('2024-07-10T09:30', '2')).toEqual({
      start: Date.UTC(2024, 6, 10, 13, 30),
      speed: 2,
    });
  });

  it.each([
    ['2024-03-05', undefined, /CLOCK_START must be an ISO-8601 date-time/],
    ['2024-13-05T09:30', undefined, /CLOCK_START is not a valid date-time/],
    ['2024-03-05T09:30', '0', /CLOCK_SPEED must be a number > 0/],
    ['2024-03-05T09:30', 'fast', /CLOCK_SPEED must be a number > 0/],
    ['2024-03-05T09:30', '20000', /≤ 10000/],
  ])('refuses %s × %s', (start, speed, message) => {
    expect(() => parseRehearsalClock(start, speed)).toThrow(message);
  });

  it('refuses a speed without a start', () => {
    expect(() => parseRehearsalClock(undefined, '60')).toThrow(/CLOCK_SPEED needs CLOCK_START/);
  });
});

describe('rehearsalClock', () => {
  it('starts at the set instant and runs at the set speed', () => {
    let wall = 1_000_000;
    const now = rehearsalClock({ start: Date.UTC(2024, 2, 5, 14, 25), speed: 60 }, () => wall);
    expect(now()).toBe(Date.UTC(2024, 2, 5, 14, 25));
    wall += 1_000;
    expect(now()).toBe(Date.UTC(2024, 2, 5, 14, 26));
  });

  it('is the wall clock when unset', () => {
    const wall = () => 42;
    expect(rehearsalClock(null, wall)).toBe(wall);
  });
});
