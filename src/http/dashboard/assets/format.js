// @ts-check
/**
 * How the dashboard writes things: New York times with the zone named, prices, volumes, quality
 * classes, gap labels and the feed status. Pure functions, no DOM.
 */

/** The exchange's time zone: every time on the page is in it. */
export const ZONE = 'America/New_York';

const timeOfDay = new Intl.DateTimeFormat('en-US', {
  timeZone: ZONE,
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const timeOfDaySeconds = new Intl.DateTimeFormat('en-US', {
  timeZone: ZONE,
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
const dayAndTime = new Intl.DateTimeFormat('en-US', {
  timeZone: ZONE,
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const dayOnly = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, month: 'short', day: 'numeric' });
const zoneName = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, timeZoneName: 'short' });

/**
 * The zone's abbreviation at an instant (EST or EDT).
 * @param {number} ms
 */
export function zoneAbbreviation(ms) {
  return zoneName.formatToParts(ms).find((part) => part.type === 'timeZoneName')?.value ?? 'ET';
}

/**
 * `14:35` or, with seconds, `14:35:07` (New York).
 * @param {number} ms
 * @param {boolean} [seconds]
 */
export function nyTime(ms, seconds = false) {
  return (seconds ? timeOfDaySeconds : timeOfDay).format(ms);
}

/**
 * `14:35:07 EDT`: a clock reading with its zone.
 * @param {number} ms
 */
export function nyClock(ms) {
  return `${nyTime(ms, true)} ${zoneAbbreviation(ms)}`;
}

/**
 * A chart axis or crosshair label (New York): the time of day for intraday bars, the day for 1d.
 * @param {number} ms
 * @param {number} intervalMs
 */
export function nyChartTime(ms, intervalMs) {
  if (intervalMs >= 86_400_000) return dayOnly.format(ms);
  return intervalMs < 60_000 ? nyTime(ms, true) : dayAndTime.format(ms);
}

/**
 * Length of an interval name in milliseconds (`1s`, `5m`, `1h`, `1d`); NaN when malformed.
 * @param {string} name
 */
export function intervalMs(name) {
  const match = /^(\d+)([smhd])$/.exec(name);
  if (!match) return Number.NaN;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 's'] ?? Number.NaN;
  return Number(match[1]) * unit;
}

const price2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const price4 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 });
const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: 'exceptZero',
});

/** What an absent figure shows. */
export const NONE = '—';

/**
 * A price: two decimals (four below 1, where cents are too coarse).
 * @param {number | null | undefined} value
 */
export function formatPrice(value) {
  if (value === null || value === undefined) return NONE;
  return Math.abs(value) < 1 ? price4.format(value) : price2.format(value);
}

/**
 * A volume or count with thousands separators.
 * @param {number | null | undefined} value
 */
export function formatCount(value) {
  return value === null || value === undefined ? NONE : whole.format(value);
}

/**
 * A change against a reference: `+1.23 (+0.95%)`.
 * @param {number | null | undefined} last
 * @param {number | null | undefined} reference
 */
export function formatChange(last, reference) {
  if (last === null || last === undefined || reference === null || reference === undefined || reference === 0)
    return NONE;
  const change = last - reference;
  const sign = change > 0 ? '+' : change < 0 ? '−' : '';
  return `${sign}${formatPrice(Math.abs(change))} (${percent.format((change / reference) * 100)}%)`;
}

/**
 * A quality figure (0–100, null while nothing is expected).
 * @param {number | null | undefined} quality
 */
export function formatQuality(quality) {
  if (quality === null || quality === undefined) return NONE;
  return quality === 100 ? '100%' : `${Math.floor(quality * 10) / 10}%`;
}

/**
 * The colour class of a quality figure: complete, nearly complete, patchy, poor, or nothing yet.
 * @param {number | null | undefined} quality
 */
export function qualityClass(quality) {
  if (quality === null || quality === undefined) return 'q-none';
  if (quality >= 100) return 'q-full';
  if (quality >= 99) return 'q-high';
  if (quality >= 95) return 'q-mid';
  return 'q-low';
}

/**
 * @typedef {{ start: string, end: string, missingBars: number, cause?: string | null }} GapView
 *   A gap as the page reads it (`cause` once the schema has one: FEED_OUTAGE or NO_DATA).
 */

/** Words for a gap's cause (Gap.cause, when the schema has it). */
const GAP_CAUSES = /** @type {Record<string, string>} */ ({ FEED_OUTAGE: 'feed outage', NO_DATA: 'no data' });

/**
 * A gap's label, on its band and in the list: `10:05–10:08 EST · 3 missing bars`, with its cause
 * when the gap has one.
 * @param {GapView} gap
 */
export function formatGapLabel(gap) {
  const start = Date.parse(gap.start);
  const end = Date.parse(gap.end);
  const bars = `${formatCount(gap.missingBars)} missing bar${gap.missingBars === 1 ? '' : 's'}`;
  const cause = gap.cause ? ` · ${GAP_CAUSES[gap.cause] ?? gap.cause.toLowerCase()}` : '';
  return `${nyTime(start)}–${nyTime(end)} ${zoneAbbreviation(start)} · ${bars}${cause}`;
}

/**
 * @typedef {{ feed: string, status: string, since?: string | null }} FeedView
 *   A feed's state as the page reads it (Session.feeds, when the schema has it).
 */

/**
 * The header's feed status: `alpaca: CONNECTED since 09:31 EST, …`; empty without feeds.
 * @param {readonly FeedView[] | null | undefined} feeds
 */
export function formatFeeds(feeds) {
  if (!feeds || feeds.length === 0) return '';
  return feeds
    .map((f) => {
      const since = f.since ? ` since ${nyTime(Date.parse(f.since))}` : '';
      return `${f.feed}: ${f.status.toLowerCase().replace(/_/g, ' ')}${since}`;
    })
    .join(', ');
}

/**
 * A phase or clock mode as words: `PRE_MARKET` → `pre-market`.
 * @param {string | null | undefined} value
 */
export function formatEnum(value) {
  return value ? value.toLowerCase().replace(/_/g, '-') : NONE;
}
