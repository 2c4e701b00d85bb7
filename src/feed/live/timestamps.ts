/**
 * RFC-3339 timestamps as providers write them (`2021-02-22T15:51:45.335689322Z`, nanosecond
 * precision; Alpaca) to UTC milliseconds, truncating below the millisecond. The fast path caches
 * the instant of the text's minute (`YYYY-MM-DDTHH:MM`), which a stream repeats for a whole minute,
 * and reads seconds and milliseconds digit by digit; anything else goes to `Date.parse`.
 */

let cachedPrefix = '';
let cachedMinute = 0;

/** Milliseconds of an RFC-3339 date-time, or NaN when it is not one. */
export function parseTimestamp(text: string): number {
  // 2021-02-22T15:51:45[.fraction]Z: 16 characters of minute, then ':SS', then an optional fraction and Z.
  const length = text.length;
  if (length >= 20 && text.charCodeAt(length - 1) === 90 /* Z */ && text.charCodeAt(16) === 58 /* : */) {
    const prefix = text.slice(0, 16);
    let minute: number;
    if (prefix === cachedPrefix) minute = cachedMinute;
    else {
      minute = Date.parse(`${prefix}:00Z`);
      if (Number.isNaN(minute)) return Date.parse(text);
      cachedPrefix = prefix;
      cachedMinute = minute;
    }
    const s1 = text.charCodeAt(17) - 48;
    const s2 = text.charCodeAt(18) - 48;
    if (s1 < 0 || s1 > 5 || s2 < 0 || s2 > 9) return Date.parse(text);
    let ms = 0;
    const next = text.charCodeAt(19);
    if (next === 46 /* . */) {
      let scale = 100;
      for (let i = 20; i < length - 1; i++) {
        const digit = text.charCodeAt(i) - 48;
        if (digit < 0 || digit > 9) return Date.parse(text);
        if (scale >= 1) {
          ms += digit * scale;
          scale /= 10;
        }
      }
    } else if (length !== 20) return Date.parse(text);
    return minute + (s1 * 10 + s2) * 1000 + ms;
  }
  return Date.parse(text);
}

/** RFC-3339 text of an instant (milliseconds, `Z`). */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}
