/**
 * Instants as users write them: ISO-8601 with an explicit offset, parsed to our {@link Instant}
 * (whole milliseconds since the epoch, UTC). The GraphQL `DateTime` scalar and the HTTP routes'
 * query parameters both parse with {@link parseInstant}.
 */
import type { Instant } from './types.ts';

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * Parses an ISO-8601 instant with an explicit offset (`Z`, `+hh:mm`, `+hhmm`): date, `T`, time
 * with optional seconds and fraction (up to 9 digits, whole milliseconds only). Local times
 * without an offset are refused: they would be ambiguous. Returns the instant or an error message.
 */
export function parseInstant(value: unknown): Instant | string {
  if (typeof value !== 'string') {
    return `DateTime must be an ISO-8601 string with an offset, e.g. 2013-10-07T13:30:00.000Z; got ${JSON.stringify(value) ?? String(value)}`;
  }
  const m = ISO_INSTANT.exec(value);
  if (!m) {
    return `"${value}" is not an ISO-8601 instant with an offset (expected e.g. 2013-10-07T13:30:00.000Z or 2013-10-07T09:30:00-04:00)`;
  }
  const [, y, mo, d, h, mi, s = '0', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const fraction = frac.padEnd(9, '0');
  if (fraction.slice(3) !== '000000')
    return `"${value}" has sub-millisecond precision; instants are whole milliseconds`;
  const ms = Number(fraction.slice(0, 3));
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) return `"${value}" has an invalid offset ${zone}`;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) {
    return `"${value}" is not a valid date and time`;
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) {
    return `"${value}" names a day that does not exist`;
  }
  const instant = local - offsetMinutes * 60_000;
  if (!Number.isFinite(instant) || Number.isNaN(new Date(instant).getTime()))
    return `"${value}" is out of range`;
  return instant;
}
