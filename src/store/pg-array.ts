/**
 * PostgreSQL array literals built by hand, so that one statement parameter carries a whole column
 * (`unnest($1::text[], $2::float8[], …)`) and both drivers send exactly the same text.
 *
 * Numbers are written with JavaScript's number-to-string conversion, the shortest text that reads back
 * as the same double, so values round-trip exactly through `float8`.
 */

/** Text that needs no quoting inside an array literal. */
const BARE = /^[^{}",\\\s'()[\]]+$/;
const NULL_WORD = /^null$/i;

function quote(value: string): string {
  return BARE.test(value) && !NULL_WORD.test(value) ? value : `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/** `'{a,"b c",NULL}'` for a `text[]` (or `date[]`) parameter. */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  // Columns repeat few distinct values (symbol, interval, date): quote each distinct value once.
  const cache = new Map<string, string>();
  let allBare = true;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      allBare = false;
      break;
    }
    let quoted = cache.get(value);
    if (quoted === undefined) {
      quoted = quote(value);
      cache.set(value, quoted);
    }
    if (quoted !== value) {
      allBare = false;
      break;
    }
  }
  if (allBare) return `{${values.join(',')}}`;
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      parts[i] = 'NULL';
    } else {
      let quoted = cache.get(value);
      if (quoted === undefined) {
        quoted = quote(value);
        cache.set(value, quoted);
      }
      parts[i] = quoted;
    }
  }
  return `{${parts.join(',')}}`;
}

/**
 * `'{1,2.5,NULL}'` for a numeric array parameter (`float8[]`, `int8[]`, `int4[]`).
 * @throws RangeError on a non-finite number (PostgreSQL would store `NaN`/`Infinity` silently).
 */
export function numberArrayLiteral(values: readonly (number | null)[]): string {
  let hasNull = false;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      hasNull = true;
    } else if (!Number.isFinite(value)) {
      throw new RangeError(`Cannot store a non-finite number (${value})`);
    }
  }
  if (!hasNull) return `{${values.join(',')}}`;
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    parts[i] = value === null || value === undefined ? 'NULL' : String(value);
  }
  return `{${parts.join(',')}}`;
}
