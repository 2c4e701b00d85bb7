/**
 * Good traffic beside the hostile one: a client ingesting SPY's 1m bars of one date in small
 * batches, correcting them once the day is through, and remembering the last acknowledged version
 * of every bar, to compare with the export (the tree) and, after a restart, with the rebuilt tree.
 */
import type { StoredBar } from '../../src/domain/types.ts';

/** An acknowledged bar's values, as the export writes them. */
export interface AckedBar {
  readonly ts: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** The good client. */
export class GoodTraffic {
  /** The last acknowledged version of each bar, by ts. */
  readonly acked = new Map<string, AckedBar>();
  batches = 0;
  #stop = false;
  #running: Promise<void> | null = null;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly symbol: string,
    private readonly bars: readonly StoredBar[],
    /** Pause between batches: steady traffic, not a load test. */
    private readonly pauseMs = 20,
  ) {}

  /** Starts ingesting (batches of `size`, one after another, until stopped). */
  start(size = 5): void {
    this.#running = (async () => {
      for (let round = 0; !this.#stop; round++) {
        for (let i = 0; i < this.bars.length && !this.#stop; i += size) {
          const batch = this.bars.slice(i, i + size).map((bar) => ({
            ts: new Date(bar.ts).toISOString(),
            open: bar.open,
            high: bar.high + round / 100,
            low: bar.low,
            close: bar.close,
            volume: bar.volume + round,
          }));
          await this.#send(batch);
          await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
        }
      }
    })();
  }

  /** Stops after the batch in flight. */
  async stop(): Promise<void> {
    this.#stop = true;
    await this.#running;
  }

  async #send(batch: AckedBar[]): Promise<void> {
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({
        query: 'mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted rejected { index code } } }',
        variables: { b: batch.map((bar) => ({ symbol: this.symbol, ...bar })) },
      }),
    });
    const body = (await response.json()) as {
      data?: { ingestBars: { accepted: number; rejected: { index: number; code: string }[] } };
      errors?: unknown;
    };
    if (!body.data) throw new Error(`the good client was refused: ${JSON.stringify(body.errors)}`);
    const rejected = new Set(body.data.ingestBars.rejected.map((r) => r.index));
    if (rejected.size > 0)
      throw new Error(`good bars rejected: ${JSON.stringify(body.data.ingestBars.rejected)}`);
    batch.forEach((bar, index) => {
      if (!rejected.has(index)) this.acked.set(bar.ts, bar);
    });
    this.batches++;
  }
}

/** The base bars of a symbol in a full JSON export, by ts. */
export function exportedBars(exported: unknown, symbol: string, interval: string): Map<string, AckedBar> {
  const data = (exported as { data: { symbols: Record<string, unknown> } }).data.symbols[symbol] as
    | { session: { data: Record<string, { columns: string[]; data: unknown[][] }> } }
    | undefined;
  const section = data?.session.data[interval];
  const out = new Map<string, AckedBar>();
  if (!section) return out;
  const at = (name: string) => section.columns.indexOf(name);
  for (const row of section.data) {
    const ts = String(row[at('ts')]);
    out.set(ts, {
      ts,
      open: row[at('open')] as number,
      high: row[at('high')] as number,
      low: row[at('low')] as number,
      close: row[at('close')] as number,
      volume: row[at('volume')] as number,
    });
  }
  return out;
}

/** The acknowledged bars missing from (or different in) an export's bars. */
export function missingBars(
  acked: ReadonlyMap<string, AckedBar>,
  exported: ReadonlyMap<string, AckedBar>,
): string[] {
  const missing: string[] = [];
  for (const [ts, bar] of acked) {
    const found = exported.get(ts);
    if (found === undefined || JSON.stringify(found) !== JSON.stringify(bar)) {
      missing.push(`${ts}: acknowledged ${JSON.stringify(bar)}, exported ${JSON.stringify(found)}`);
    }
  }
  return missing;
}
