import { describe, expect, it } from 'vitest';
import {
  CTA_CONDITIONS,
  conditionRule,
  POLYGON_CONDITIONS,
  resolveConditions,
  UPDATES_ALL,
  UPDATES_HIGH_LOW,
  UPDATES_OPEN_CLOSE,
  UPDATES_VOLUME,
  UTP_CONDITIONS,
  unknownCount,
  updatesOf,
} from '../../src/domain/trade-conditions.ts';

const HL = UPDATES_HIGH_LOW;
const OC = UPDATES_OPEN_CLOSE;
const V = UPDATES_VOLUME;
const ALL = UPDATES_ALL;

/** The fields a trade updates: [regular hours, extended hours]. */
function updates(conditions: string[] | null, tape: string | null): [number, number] {
  const resolved = resolveConditions(conditions, tape);
  return [updatesOf(resolved, false), updatesOf(resolved, true)];
}

/**
 * The documented examples: [what, CTA letter (tape A), UTP letter (tape C), Polygon id (tape 1),
 * regular-hours fields, extended-hours fields]. A null code: the style has no such condition.
 */
const EXAMPLES: readonly [string, string | null, string | null, string, number, number][] = [
  ['regular sale', '@', '@', '0', ALL, ALL],
  ['intermarket sweep (ISO)', 'F', 'F', '14', ALL, ALL],
  ['average price trade', 'B', 'W', '2', V, V],
  ['derivatively priced', '4', '4', '10', HL | V, HL | V],
  ['prior reference price', 'P', 'P', '22', HL | V, HL | V],
  ['cash sale', 'C', 'C', '7', V, V],
  ['next day', 'N', 'N', '20', V, V],
  ['seller', 'R', 'R', '29', V, V],
  ['odd lot', 'I', 'I', '37', V, V],
  ['Form T: prices only outside the regular session', 'T', 'T', '12', V, ALL],
  ['extended hours sold out of sequence', 'U', 'U', '13', V, HL | V],
  ['sold out of sequence', 'Z', 'Z', '32', HL | V, HL | V],
  ['market center official close: a marker, no trade', 'M', 'M', '15', 0, 0],
  ['market center official open', 'Q', 'Q', '16', 0, 0],
  ['corrected consolidated close: prices, no volume', '9', '9', '38', HL | OC, HL | OC],
  ['qualified contingent trade', '7', '7', '53', V, V],
  ['contingent trade', 'V', 'V', '52', V, V],
  ['cross trade', 'X', 'X', '9', ALL, ALL],
  ['opening print', 'O', 'O', '17', ALL, ALL],
  ['closing print', '6', '6', '8', ALL, ALL],
  ['price variation trade', 'H', 'H', '21', V, V],
  ['bunched sold trade', null, 'G', '5', HL | V, HL | V],
];

describe('trade condition rule table', () => {
  for (const [what, cta, utp, polygon, regular, extended] of EXAMPLES) {
    if (cta !== null) {
      it(`${what}: CTA letter ${JSON.stringify(cta)} (tape A)`, () => {
        expect(updates([cta], 'A')).toEqual([regular, extended]);
        expect(updates([cta], 'B')).toEqual([regular, extended]);
      });
    }
    if (utp !== null) {
      it(`${what}: UTP letter ${JSON.stringify(utp)} (tape C)`, () => {
        expect(updates([utp], 'C')).toEqual([regular, extended]);
      });
    }
    it(`${what}: Polygon id ${polygon} (tape 1/3)`, () => {
      expect(updates([polygon], '1')).toEqual([regular, extended]);
      expect(updates([polygon], '3')).toEqual([regular, extended]);
    });
  }

  it('no conditions is a regular sale', () => {
    expect(updates(null, null)).toEqual([ALL, ALL]);
    expect(updates([], 'A')).toEqual([ALL, ALL]);
  });

  it('several conditions: the most restrictive wins (ISO odd lot → volume only)', () => {
    expect(updates(['F', 'I'], 'C')).toEqual([V, V]);
    expect(updates(['14', '37'], '3')).toEqual([V, V]);
    expect(updates(['@', 'T', 'I'], 'A')).toEqual([V, V]);
    expect(updates(['@', 'T'], 'A')).toEqual([V, ALL]);
    expect(updates(['Z', '9'], 'C')).toEqual([HL, HL]);
  });

  it('an unknown code restricts nothing and is counted', () => {
    const resolved = resolveConditions(['@', '&', 'Ω', ''], 'C');
    expect(updatesOf(resolved, false)).toBe(ALL);
    expect(unknownCount(resolved)).toBe(3);
    expect(unknownCount(resolveConditions(['99'], '1'))).toBe(1);
    expect(unknownCount(resolveConditions(['037'], '1'))).toBe(1);
    expect(updatesOf(resolveConditions(['I', 'E'], 'C'), false)).toBe(V); // UTP E is a placeholder
    expect(unknownCount(resolveConditions(['I', 'E'], 'C'))).toBe(1);
  });

  it('letters differ between CTA and UTP: the tape decides, without one the stricter meaning', () => {
    expect(updates(['B'], 'A')).toEqual([V, V]); // CTA: average price
    expect(updates(['B'], 'C')).toEqual([ALL, ALL]); // UTP: bunched
    expect(updates(['B'], null)).toEqual([V, V]);
    expect(updates(['G'], null)).toEqual([HL | V, HL | V]); // only UTP defines G
  });

  it('without a tape: one character is a SIP letter, two digits or more a Polygon id', () => {
    expect(updates(['4'], null)).toEqual([HL | V, HL | V]); // derivatively priced, not Polygon's 4
    expect(updates(['37'], null)).toEqual([V, V]);
    expect(updates(['12'], null)).toEqual([V, ALL]);
    expect(updates(['4'], '2')).toEqual([ALL, ALL]); // Polygon 4: bunched trade
    expect(updates(['37'], 'C')).toEqual([V, V]); // two digits: a Polygon id whatever the tape
    expect(updates(['14', '12'], 'A')).toEqual([V, ALL]);
  });

  it('looks codes up by style', () => {
    expect(conditionRule('I', 'CTA')?.name).toBe('Odd Lot Trade');
    expect(conditionRule('37', 'POLYGON')?.name).toBe('Odd Lot Trade');
    expect(conditionRule('037', 'POLYGON')).toBeUndefined();
    expect(conditionRule('E', 'UTP')).toBeUndefined();
    expect(CTA_CONDITIONS.size + UTP_CONDITIONS.size + POLYGON_CONDITIONS.size).toBeGreaterThan(90);
  });
});
