/** What the bar-file readers produce, shared by the importers. */
import type { BarValues, Instant } from '../domain/types.ts';

/** Why a row of an import file is refused. */
export type ImportRejectionCode =
  | 'PARSE_ERROR'
  | 'INVALID_TIME'
  | 'INVALID_SYMBOL'
  | 'INVALID_NUMBER'
  | 'INVALID_OHLC'
  | 'MISALIGNED';

/** One row of an import file: a bar, or the reason it cannot be read. */
export type ImportRow =
  | {
      readonly line: number;
      /** Symbol given by the row ('' or null: the import's default symbol). */
      readonly symbol: string | null;
      /** The bar; `ts` is its START. */
      readonly bar: BarValues & { readonly ts: Instant };
      readonly error?: undefined;
    }
  | {
      readonly line: number;
      readonly error: { readonly code: ImportRejectionCode; readonly message: string };
    };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number field; NaN when it is not one (empty, text, `NaN`, `Infinity`, hex…). */
export function parseNumberField(text: string | undefined): number {
  const t = text?.trim() ?? '';
  return NUMBER.test(t) ? Number(t) : Number.NaN;
}
