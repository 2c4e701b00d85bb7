import { describe, expect, it } from 'vitest';
import { parseInstant } from '../../src/domain/instant.ts';

describe('parseInstant', () => {
  it.each([
    ['2013-10-07T13:30:00.000Z', Date.UTC(2013, 9, 7, 13, 30)],
    ['2013-10-07t13:30z', Date.UTC(2013, 9, 7, 13, 30)],
    ['2013-10-07T09:30:00-04:00', Date.UTC(2013, 9, 7, 13, 30)],
    ['2013-10-07T15:30:00.5+0200', Date.UTC(2013, 9, 7, 13, 30, 0, 500)],
    ['2013-10-07T13:30:00.123000000Z', Date.UTC(2013, 9, 7, 13, 30, 0, 123)],
  ])('reads %s', (text, instant) => {
    expect(parseInstant(text)).toBe(instant);
  });

  it.each([
    [1_381_152_600_000, 'must be an ISO-8601 string with an offset'],
    ['2013-10-07T13:30:00', 'is not an ISO-8601 instant with an offset'],
    ['2013-10-07T13:30:00.0001Z', 'sub-millisecond precision'],
    ['2013-02-29T13:30:00Z', 'names a day that does not exist'],
    ['2013-10-07T24:00:00Z', 'is not a valid date and time'],
    ['2013-10-07T13:30:00+24:00', 'has an invalid offset +24:00'],
  ])('refuses %j with a message', (value, message) => {
    const parsed = parseInstant(value);
    expect(typeof parsed).toBe('string');
    expect(parsed).toContain(message);
  });
});
