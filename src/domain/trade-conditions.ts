/**
 * Which trades set which fields of a consolidated bar: the SIPs' sale-condition rules as data.
 *
 * Every trade carries zero or more sale conditions. Each condition has a consolidated update rule
 * (does a trade with it update high/low, open/close — the "last" — and volume?), defined by the
 * plans' consolidated-update matrices and published per code by the vendors:
 *
 * - CTA Plan, CTS Binary Output Specification, "Sale Condition" table and its consolidated update
 *   columns (ctaplan.com, CTS_BINARY_OUTPUT_SPECIFICATION, the sale-condition matrix);
 * - UTP Plan, UTP Binary Output Specification (UTDF/UQDF), sale-condition matrix (utpplan.com);
 * - Polygon.io (now Massive): "Understanding Trade Eligibility" (polygon.io/blog/understanding-
 *   trade-eligibility) and `GET /v3/reference/conditions`, whose `update_rules.consolidated`
 *   (`updates_high_low`, `updates_open_close`, `updates_volume`) and `sip_mapping` (CTA / UTP letter)
 *   this table follows for the Polygon ids;
 * - Alpaca Market Data, "Historical stock data" → CTA and UTP trade conditions (docs.alpaca.markets):
 *   the letter codes Alpaca sends in a trade's `c` field, with its tape `z` (`A`/`B` = CTA, `C` = UTP).
 *
 * Rules of this module:
 * - A trade with several conditions updates a field only when **every** condition allows it (the most
 *   restrictive wins, as the plans' matrices and Polygon's blog prescribe). No conditions, `@` and a
 *   blank are the regular sale: everything.
 * - Regular versus extended hours: a trade inside the regular session (09:30–16:00 ET, the early close
 *   on half days) follows the consolidated rule. Outside it (pre- and post-market bars), Form T
 *   (`T`, Polygon 12) also sets open/close and high/low, and the extended-hours out-of-sequence print
 *   (`U`, Polygon 13) sets high/low (like `Z`, a regular out-of-sequence print): otherwise no pre- or
 *   post-market bar would ever get a price, since nearly every extended-hours trade carries `T`.
 *   (Polygon's own intraday aggregates make the same exception for Form T.)
 * - The plans' conditional notes ("updates last if it is the only qualifying trade") are not applied:
 *   such a condition counts as not updating that field; a bar that gets no price from its own trades
 *   follows the session tree's carry rule instead (src/session/README.md).
 * - **Unknown codes** (not in the tables: a new or a misspelt one) are accepted and do not restrict the
 *   trade (as if absent), so a real trade is never hidden by a vocabulary we do not know yet; each one is
 *   counted (`unknown` in the result) and reported in `/metrics`.
 * - Code styles. Letter codes are one character (the plans use letters and the digits 1, 4–9);
 *   Polygon ids are integers written in decimal. A code of two or more characters is always a
 *   Polygon id. A one-character code is read by the tape: `A`/`B` → a CTA letter, `C` → a UTP
 *   letter, `1`/`2`/`3` (Polygon's tape numbers) → a Polygon id (0–9); without a tape, a SIP letter,
 *   and a letter whose CTA and UTP meanings differ (e.g. `B`: CTA average price, UTP bunched) takes
 *   the more restrictive of the two. So a source sending Polygon's ids must send Polygon's tape
 *   number (1, 2, 3) for the ids 0–9 to be read as Polygon's.
 */

/** The trade updates the bar's high and low. */
export const UPDATES_HIGH_LOW = 1;
/** The trade updates the bar's open (when first) and close (the last sale). */
export const UPDATES_OPEN_CLOSE = 2;
/** The trade counts in the bar's volume, vwap and trade count. */
export const UPDATES_VOLUME = 4;
/** Every field: a regular sale. */
export const UPDATES_ALL = UPDATES_HIGH_LOW | UPDATES_OPEN_CLOSE | UPDATES_VOLUME;

/** One condition's rule: the fields it lets a trade update in regular and in extended hours. */
export interface ConditionRule {
  readonly name: string;
  /** Inside the regular session: the consolidated rule (UPDATES_* bits). */
  readonly regular: number;
  /** In pre- and post-market bars. */
  readonly extended: number;
}

/** A code style: the plans' letters (CTA or UTP) or Polygon's numeric ids. */
export type ConditionStyle = 'CTA' | 'UTP' | 'POLYGON';

const HL = UPDATES_HIGH_LOW;
const OC = UPDATES_OPEN_CLOSE;
const V = UPDATES_VOLUME;
const ALL = UPDATES_ALL;

function rule(name: string, regular: number, extended = regular): ConditionRule {
  return Object.freeze({ name, regular, extended });
}

const REGULAR_SALE = rule('Regular Sale', ALL);
const FORM_T = rule('Form T / Extended Hours Trade', V, ALL);
const EXTENDED_OUT_OF_SEQUENCE = rule('Extended Hours Sold (Out of Sequence)', V, HL | V);

/** CTA (tapes A and B) sale conditions, as Alpaca sends them. */
export const CTA_CONDITIONS: ReadonlyMap<string, ConditionRule> = new Map([
  [' ', REGULAR_SALE],
  ['@', REGULAR_SALE],
  ['B', rule('Average Price Trade', V)],
  ['C', rule('Cash Trade (Same Day Clearing)', V)],
  ['E', rule('Automatic Execution', ALL)],
  ['F', rule('Intermarket Sweep Order', ALL)],
  ['H', rule('Price Variation Trade', V)],
  ['I', rule('Odd Lot Trade', V)],
  ['K', rule('Rule 127 (NYSE) / Rule 155 (NYSE American)', ALL)],
  ['L', rule('Sold Last (Late Reporting)', ALL)],
  ['M', rule('Market Center Official Close', 0)],
  ['N', rule('Next Day Trade (Next Day Clearing)', V)],
  ['O', rule('Market Center Opening Trade', ALL)],
  ['P', rule('Prior Reference Price', HL | V)],
  ['Q', rule('Market Center Official Open', 0)],
  ['R', rule('Seller', V)],
  ['T', FORM_T],
  ['U', EXTENDED_OUT_OF_SEQUENCE],
  ['V', rule('Contingent Trade', V)],
  ['X', rule('Cross Trade', ALL)],
  ['Z', rule('Sold (Out of Sequence)', HL | V)],
  ['4', rule('Derivatively Priced', HL | V)],
  ['5', rule('Market Center Reopening Trade', ALL)],
  ['6', rule('Market Center Closing Trade', ALL)],
  ['7', rule('Qualified Contingent Trade', V)],
  ['9', rule('Corrected Consolidated Close (per Listing Market)', HL | OC)],
]);

/** UTP (tape C) sale conditions, as Alpaca sends them. */
export const UTP_CONDITIONS: ReadonlyMap<string, ConditionRule> = new Map([
  [' ', REGULAR_SALE],
  ['@', REGULAR_SALE],
  ['A', rule('Acquisition', ALL)],
  ['B', rule('Bunched Trade', ALL)],
  ['C', rule('Cash Sale', V)],
  ['D', rule('Distribution', ALL)],
  ['F', rule('Intermarket Sweep', ALL)],
  ['G', rule('Bunched Sold Trade', HL | V)],
  ['H', rule('Price Variation Trade', V)],
  ['I', rule('Odd Lot Trade', V)],
  ['K', rule('Rule 155 Trade (AMEX)', ALL)],
  ['L', rule('Sold Last', ALL)],
  ['M', rule('Market Center Official Close', 0)],
  ['N', rule('Next Day', V)],
  ['O', rule('Opening Prints', ALL)],
  ['P', rule('Prior Reference Price', HL | V)],
  ['Q', rule('Market Center Official Open', 0)],
  ['R', rule('Seller', V)],
  ['S', rule('Split Trade', ALL)],
  ['T', FORM_T],
  ['U', EXTENDED_OUT_OF_SEQUENCE],
  ['V', rule('Contingent Trade', V)],
  ['W', rule('Average Price Trade', V)],
  ['X', rule('Cross / Periodic Auction Trade', ALL)],
  ['Y', rule('Yellow Flag Regular Trade', ALL)],
  ['Z', rule('Sold (Out of Sequence)', HL | V)],
  ['1', rule('Stopped Stock (Regular Trade)', ALL)],
  ['4', rule('Derivatively Priced', HL | V)],
  ['5', rule('Re-Opening Prints', ALL)],
  ['6', rule('Closing Prints', ALL)],
  ['7', rule('Qualified Contingent Trade (QCT)', V)],
  ['9', rule('Corrected Consolidated Close (per Listing Market)', HL | OC)],
]);

/** Polygon's stock trade condition ids (`/v3/reference/conditions`, sale conditions). */
export const POLYGON_CONDITIONS: ReadonlyMap<number, ConditionRule> = new Map([
  [0, REGULAR_SALE],
  [1, rule('Acquisition', ALL)],
  [2, rule('Average Price Trade', V)],
  [3, rule('Automatic Execution', ALL)],
  [4, rule('Bunched Trade', ALL)],
  [5, rule('Bunched Sold Trade', HL | V)],
  [6, rule('CAP Election', ALL)],
  [7, rule('Cash Sale', V)],
  [8, rule('Closing Prints', ALL)],
  [9, rule('Cross Trade', ALL)],
  [10, rule('Derivatively Priced', HL | V)],
  [11, rule('Distribution', ALL)],
  [12, FORM_T],
  [13, EXTENDED_OUT_OF_SEQUENCE],
  [14, rule('Intermarket Sweep', ALL)],
  [15, rule('Market Center Official Close', 0)],
  [16, rule('Market Center Official Open', 0)],
  [17, rule('Market Center Opening Trade', ALL)],
  [18, rule('Market Center Reopening Trade', ALL)],
  [19, rule('Market Center Closing Trade', ALL)],
  [20, rule('Next Day', V)],
  [21, rule('Price Variation Trade', V)],
  [22, rule('Prior Reference Price', HL | V)],
  [23, rule('Rule 155 Trade (AMEX)', ALL)],
  [24, rule('Rule 127 NYSE', ALL)],
  [25, rule('Opening Prints', ALL)],
  [27, rule('Stopped Stock (Regular Trade)', ALL)],
  [28, rule('Re-Opening Prints', ALL)],
  [29, rule('Seller', V)],
  [30, rule('Sold Last', ALL)],
  [31, rule('Sold Last and Stopped Stock', ALL)],
  [32, rule('Sold (Out Of Sequence)', HL | V)],
  [33, rule('Sold (Out of Sequence) and Stopped Stock', HL | V)],
  [34, rule('Split Trade', ALL)],
  [35, rule('Stock Option', ALL)],
  [36, rule('Yellow Flag Regular Trade', ALL)],
  [37, rule('Odd Lot Trade', V)],
  [38, rule('Corrected Consolidated Close (per listing market)', HL | OC)],
  [41, rule('Trade Thru Exempt', ALL)],
  [52, rule('Contingent Trade', V)],
  [53, rule('Qualified Contingent Trade', V)],
  [55, rule('Opening Reopening Trade Detail', ALL)],
]);

/*
 * Fast lookup: each style's rules packed into one byte per code (regular bits | extended bits << 3;
 * 0xff = unknown) in a typed array indexed by char code (letters) or id (Polygon).
 */
const UNKNOWN = 0xff;
const POLYGON_MAX_ID = 127;

function packLetters(table: ReadonlyMap<string, ConditionRule>): Uint8Array {
  const out = new Uint8Array(128).fill(UNKNOWN);
  for (const [code, r] of table) out[code.charCodeAt(0)] = r.regular | (r.extended << 3);
  return out;
}

const CTA_PACKED = packLetters(CTA_CONDITIONS);
const UTP_PACKED = packLetters(UTP_CONDITIONS);
/** Letters without a tape: the AND of both meanings where both plans define the letter. */
const ANY_PACKED = (() => {
  const out = new Uint8Array(128).fill(UNKNOWN);
  for (let c = 0; c < 128; c++) {
    const a = CTA_PACKED[c]!;
    const b = UTP_PACKED[c]!;
    out[c] = a === UNKNOWN ? b : b === UNKNOWN ? a : a & b;
  }
  return out;
})();
const POLYGON_PACKED = (() => {
  const out = new Uint8Array(POLYGON_MAX_ID + 1).fill(UNKNOWN);
  for (const [id, r] of POLYGON_CONDITIONS) out[id] = r.regular | (r.extended << 3);
  return out;
})();

/** What a tape says about the code style: a style, or null (no tape, or one we do not know). */
export function styleOfTape(tape: string | null | undefined): ConditionStyle | null {
  switch (tape) {
    case 'A':
    case 'B':
      return 'CTA';
    case 'C':
      return 'UTP';
    case '1':
    case '2':
    case '3':
      return 'POLYGON';
    default:
      return null;
  }
}

/**
 * Resolves a trade's conditions to its rule: the UPDATES_* bits for regular hours (bits 0–2) and for
 * extended hours (bits 3–5), AND-ed over the codes; unknown codes restrict nothing and are counted in
 * bits 8 and up (`unknownCount`). O(number of codes), no allocation.
 */
export function resolveConditions(
  conditions: readonly string[] | null | undefined,
  tape: string | null | undefined,
): number {
  if (conditions == null || conditions.length === 0) return ALL | (ALL << 3);
  const style = styleOfTape(tape);
  let bits = ALL | (ALL << 3);
  let unknown = 0;
  for (let i = 0; i < conditions.length; i++) {
    const packed = lookup(conditions[i]!, style);
    if (packed === UNKNOWN) unknown++;
    else bits &= packed;
  }
  return bits | (unknown << 8);
}

function lookup(code: string, style: ConditionStyle | null): number {
  const length = code.length;
  if (length === 0) return UNKNOWN;
  if (style === 'POLYGON' || length > 1) return polygonId(code);
  if (length !== 1) return UNKNOWN;
  const c = code.charCodeAt(0);
  if (c >= 128) return UNKNOWN;
  return (style === 'CTA' ? CTA_PACKED : style === 'UTP' ? UTP_PACKED : ANY_PACKED)[c]!;
}

function polygonId(code: string): number {
  if (code.length > 3) return UNKNOWN;
  let id = 0;
  for (let i = 0; i < code.length; i++) {
    const d = code.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || (i === 0 && d === 0 && code.length > 1)) return UNKNOWN;
    id = id * 10 + d;
  }
  return id <= POLYGON_MAX_ID ? POLYGON_PACKED[id]! : UNKNOWN;
}

/** The UPDATES_* bits of a resolved rule in regular (`extended` false) or extended hours. */
export function updatesOf(resolved: number, extended: boolean): number {
  return extended ? (resolved >> 3) & ALL : resolved & ALL;
}

/** How many of the codes were unknown. */
export function unknownCount(resolved: number): number {
  return resolved >>> 8;
}

/** The rule of one code in a style, or undefined when the code is unknown there. */
export function conditionRule(code: string, style: ConditionStyle): ConditionRule | undefined {
  if (style === 'POLYGON')
    return /^(0|[1-9][0-9]*)$/.test(code) ? POLYGON_CONDITIONS.get(Number(code)) : undefined;
  return (style === 'CTA' ? CTA_CONDITIONS : UTP_CONDITIONS).get(code);
}
