/**
 * Acknowledged means kept, in both write modes, on real PostgreSQL: a server process is killed
 * (SIGKILL) while 8 clients ingest 500-bar batches at full speed (corrections of every bar once
 * the day is through), then started again on the same database. Every bar acknowledged before the
 * kill must be in the store and in the tree rebuilt from it, at its acknowledged version or a newer
 * one (a batch in flight may have been committed without its answer arriving):
 * - durable (WRITE_MODE=durable): none lost;
 * - write-behind: at most what its bound allows (the writer's backlog, WRITE_BACKLOG=20,000 here);
 *   the loss is measured and printed.
 */
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { sessionWindow } from '../../src/domain/calendar.ts';
import { createScratchDatabase, type ScratchDatabase, testDatabaseUrl } from '../helpers/db.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { type ServerProcess, spawnServer } from '../helpers/server.ts';

const TOKEN = 'kill-test-token';
const DATE = '2011-01-11';
const CLIENTS = 8;
const SYMBOLS_PER_CLIENT = 5;
const MINUTES_PER_BATCH = 100;
const WRITE_BACKLOG = 20_000;
const INGEST_MS = 2_500;

/** The latest acknowledged version (its volume) of each bar, by `symbol ts`. */
type Versions = Map<string, number>;

async function gql<T>(url: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

/** One client: its symbols minute by minute, 500 bars a request, round after round, until stopped. */
async function client(
  url: string,
  symbols: readonly string[],
  acked: Versions,
  stop: () => boolean,
): Promise<number> {
  const window = sessionWindow(DATE, true)!;
  const minutes = (window.end - window.start) / 60_000;
  let requests = 0;
  for (let round = 0; !stop(); round++) {
    for (let first = 0; first < minutes && !stop(); first += MINUTES_PER_BATCH) {
      const bars = [];
      for (let m = first; m < Math.min(minutes, first + MINUTES_PER_BATCH); m++) {
        for (const symbol of symbols) {
          const price = 50 + (m % 17) / 10;
          bars.push({
            symbol,
            ts: new Date(window.start + m * 60_000).toISOString(),
            open: price,
            high: price + 0.1,
            low: price - 0.1,
            close: price,
            volume: 1_000 * (round + 1),
          });
        }
      }
      let answer: { ingestBars: { rejected: { index: number }[] } };
      try {
        answer = await gql(
          url,
          'mutation($b: [BarInput!]!) { ingestBars(bars: $b) { rejected { index } } }',
          {
            b: bars,
          },
        );
      } catch {
        return requests; // the server is gone: this batch was never acknowledged
      }
      requests++;
      const refused = new Set(answer.ingestBars.rejected.map((r) => r.index));
      bars.forEach((bar, i) => {
        if (!refused.has(i)) acked.set(`${bar.symbol} ${Date.parse(bar.ts)}`, bar.volume);
      });
    }
  }
  return requests;
}

/** Acknowledged bars missing from `found` or older there than acknowledged. */
function lost(acked: Versions, found: Versions): string[] {
  const out: string[] = [];
  for (const [key, volume] of acked) {
    const there = found.get(key);
    if (there === undefined || there < volume)
      out.push(`${key}: acknowledged volume ${volume}, found ${there}`);
  }
  return out;
}

/** The 1m bars of the tree (a full export), by `symbol ts`. */
async function treeVersions(url: string): Promise<Versions> {
  const exported = (await (await fetch(`${url}/export`)).json()) as {
    data: {
      symbols: Record<
        string,
        { session: { data: Record<string, { columns: string[]; data: unknown[][] }> } }
      >;
    };
  };
  const out: Versions = new Map();
  for (const [symbol, entry] of Object.entries(exported.data.symbols)) {
    const section = entry.session.data['1m'];
    if (!section) continue;
    const ts = section.columns.indexOf('ts');
    const volume = section.columns.indexOf('volume');
    for (const row of section.data) out.set(`${symbol} ${Date.parse(String(row[ts]))}`, Number(row[volume]));
  }
  return out;
}

async function storeVersions(url: string): Promise<Versions> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ symbol: string; ts: string; volume: number }[]>`
      select symbol, ts, volume from bars where interval = '1m'`;
    return new Map(rows.map((r) => [`${r.symbol} ${Number(r.ts)}`, r.volume]));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const serverUrl = testDatabaseUrl();

describe.skipIf(serverUrl === undefined)(
  `SIGKILL during ingest at full speed, on real PostgreSQL${serverUrl === undefined ? ' (skipped: DATABASE_URL is not set)' : ''}`,
  () => {
    const leftovers = useLeftovers();

    it.each(['durable', 'write-behind'] as const)(
      '%s: the acknowledged bars after a restart (durable: every one; write-behind: within its bound)',
      async (mode) => {
        const scratch: ScratchDatabase = await createScratchDatabase(serverUrl!, 'kill');
        leftovers.defer(() => scratch.drop());
        const start = () =>
          spawnServer({
            args: ['--no-demo', '--port', '0'],
            env: {
              ...process.env,
              DATABASE_URL: scratch.url,
              WRITE_MODE: mode,
              WRITE_BACKLOG: String(WRITE_BACKLOG),
              ADMIN_TOKEN: TOKEN,
              LOG_LEVEL: 'warn',
            },
            startTimeoutMs: 60_000,
          });
        const first: ServerProcess = await start();
        await gql(first.url, `mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
        const symbols = Array.from({ length: CLIENTS * SYMBOLS_PER_CLIENT }, (_, i) => `K${i}`);
        for (const symbol of symbols) {
          await gql(
            first.url,
            `mutation { loadSymbol(input: { symbol: "${symbol}", extendedHours: true, historicalDays: 0, derivedIntervals: ["5m"] }) { loaded } }`,
          );
        }
        const acked: Versions = new Map();
        let killed = false;
        const clients = Array.from({ length: CLIENTS }, (_, c) =>
          client(
            first.url,
            symbols.slice(c * SYMBOLS_PER_CLIENT, (c + 1) * SYMBOLS_PER_CLIENT),
            acked,
            () => killed,
          ),
        );
        const began = performance.now();
        // At least INGEST_MS of ingest, and (on a loaded machine) until more than one batch per
        // client is acknowledged, so the kill lands mid-stream whatever the machine's speed.
        const deadline = began + 120_000;
        await new Promise((resolve) => setTimeout(resolve, INGEST_MS));
        while (acked.size <= CLIENTS * 500 * 2 && performance.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        killed = true;
        await first.stop('SIGKILL');
        const seconds = (performance.now() - began) / 1000;
        const requests = (await Promise.all(clients)).reduce((a, b) => a + b, 0);
        expect(requests).toBeGreaterThan(CLIENTS);

        const second = await start();
        const inStore = lost(acked, await storeVersions(scratch.url));
        const inTree = lost(acked, await treeVersions(second.url));
        console.log(
          `${mode}: ${requests} acknowledged requests (${Math.round((requests * 500) / seconds).toLocaleString('en-US')} bars/s) before SIGKILL; ` +
            `${inStore.length} acknowledged bar versions missing from the store, ${inTree.length} from the rebuilt tree` +
            (mode === 'write-behind'
              ? ` (bound: the writer's backlog, WRITE_BACKLOG=${WRITE_BACKLOG.toLocaleString('en-US')})`
              : ''),
        );
        if (mode === 'durable') {
          expect(inStore).toEqual([]);
          expect(inTree).toEqual([]);
        } else {
          expect(inStore.length).toBeLessThanOrEqual(WRITE_BACKLOG);
          expect(inTree.length).toBe(inStore.length);
        }
      },
      120_000,
    );
  },
);
