/**
 * Feed benchmark (not a test): messages per second decoded and applied end to end from a local
 * fake Alpaca stock stream over a real WebSocket.
 *
 * A child process (bench/workers/alpaca-stream.ts, its own core) serves the stream: Alpaca's handshake, then a
 * pre-encoded MessagePack day of 500 symbols, 10,000 messages a minute (80% trades, 15% quotes,
 * 5% bars), in frames of 1,000 messages, as fast as the socket drains. The client is the real
 * Alpaca feed (src/feed/live/alpaca/feed.ts: the `ws` shell and the protocol core) with the real
 * sink (src/service/feed-ingest.ts), which applies every message through the service's ingest path
 * (bars → ingestBars, trades → ingestTicks, quotes → ingestQuotes). Half the symbols are BARS
 * symbols (1m bars, 5m/15m derived), half TRADES symbols (1m bars built from their trades, 5m/15m
 * derived), in a MANUAL session so the clock follows the data. Persistence is not part of it
 * (bench/persist.ts measures the store): a sink that counts stands in for the writer.
 *
 * Figures: messages per second from the first data frame to the last message applied (best of
 * three runs), the same per CPU-second of the client process (GC included; what a busy shared
 * machine disturbs least), and as a baseline in the same run the decode-only rate in memory.
 *
 * Standalone: `node --expose-gc --import tsx bench/feed.ts`.
 */

import { fork } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { encode } from '@msgpack/msgpack';
import { tradingDay } from '../src/domain/calendar.ts';
import { AlpacaDecoder } from '../src/feed/live/alpaca/decode.ts';
import { createAlpacaFeed } from '../src/feed/live/alpaca/feed.ts';
import type { FeedSink } from '../src/feed/live/types.ts';
import { FeedIngest } from '../src/service/feed-ingest.ts';
import { type DataSink, SessionService, type SessionStore } from '../src/service/session-service.ts';
import { SessionData } from '../src/session/session-data.ts';

/** Figures of the feed benchmark. */
export interface FeedFigures {
  /** Messages decoded and applied per second, end to end over the WebSocket. */
  readonly messagesPerSec: number;
  /** The same per second of the client process's CPU time (user + system, GC included): less noisy on a shared machine. */
  readonly messagesPerCpuSec: number;
  /** Messages decoded per second in memory (no socket, no apply): the baseline. */
  readonly decodeOnlyPerSec: number;
  readonly messages: number;
}

const DATE = '2024-03-05';
const SYMBOLS = 500;
const MINUTES = 300;

function symbolNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    let n = i;
    let name = '';
    do {
      name = String.fromCharCode(65 + (n % 26)) + name;
      n = Math.floor(n / 26);
    } while (n > 0);
    return `F${name}`;
  });
}

function newService(symbols: readonly string[]): SessionService {
  const session = new SessionData();
  session.start(DATE, 'MANUAL');
  symbols.forEach((symbol, i) => {
    const trades = i % 2 === 1;
    session.beginLoad({
      symbol,
      baseInterval: '1m',
      derivedIntervals: ['5m', '15m'],
      historicalDays: 0,
      source: trades ? 'TRADES' : 'BARS',
      feed: 'alpaca',
    });
    session.completeLoad(symbol, new Map(), []);
  });
  // Stands in for the store writer: counts what it would enqueue.
  let enqueued = 0;
  const sink: DataSink = {
    enqueueBar: () => void enqueued++,
    enqueueQuote: () => void enqueued++,
    enqueueTick: () => void enqueued++,
    flush: async () => undefined,
    hasCapacity: () => true,
  };
  return new SessionService(session, {} as SessionStore, sink, { liveTicker: false });
}

async function runOnce(
  symbols: readonly string[],
  open: number,
): Promise<{ perSec: number; perCpuSec: number; messages: number }> {
  const server = fork(new URL('./workers/alpaca-stream.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, FEED_BENCH_SETUP: JSON.stringify({ symbols, open, minutes: MINUTES }) },
  });
  const { port, messages } = await new Promise<{ port: number; messages: number }>((resolve, reject) => {
    server.once('message', (m) => resolve(m as { port: number; messages: number }));
    server.once('error', reject);
    server.once('exit', (code) => reject(new Error(`feed bench: the stream process exited with ${code}`)));
  });
  const service = newService(symbols);
  let applied = 0;
  let first = 0;
  let cpu = process.cpuUsage();
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const ingest = new FeedIngest(service, { log: silent });
  // Counts what arrives, then hands it to the real sink.
  const counted =
    <A extends unknown[]>(apply: (...args: A) => void, n: (...args: A) => number) =>
    (...args: A) => {
      if (first === 0) {
        first = performance.now();
        cpu = process.cpuUsage();
      }
      apply(...args);
      applied += n(...args);
      if (applied >= messages) done();
    };
  const sink: FeedSink = {
    bars: counted(
      (bars, kind) => ingest.bars(bars, kind),
      (bars) => bars.length,
    ),
    trades: counted(
      (trades) => ingest.trades(trades),
      (trades) => trades.length,
    ),
    quotes: counted(
      (quotes) => ingest.quotes(quotes),
      (quotes) => quotes.length,
    ),
    corrections: (c) => ingest.corrections(c),
    cancels: (c) => ingest.cancels(c),
    tradingStatuses: (s) => ingest.tradingStatuses(s),
    status: () => undefined,
    problem: (p) => console.error(`feed bench: ${p.message}`),
  };
  const feed = createAlpacaFeed({
    key: 'bench-key',
    secret: 'bench-secret',
    streamUrl: `ws://127.0.0.1:${port}`,
    sink,
    statuses: false,
  });
  feed.follow(
    symbols.map((symbol, i) => ({
      symbol,
      baseInterval: '1m',
      channels: { bars: i % 2 === 0, trades: i % 2 === 1, quotes: true },
    })),
  );
  await feed.connect();
  await finished;
  const elapsed = performance.now() - first;
  const used = process.cpuUsage(cpu);
  await feed.close();
  server.removeAllListeners('exit');
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.send('stop');
  await exited;
  const rejected = Object.values(ingest.counts().rejected).reduce((a, b) => a + (b ?? 0), 0);
  if (rejected > 0) {
    throw new Error(
      `feed bench: the tree refused ${rejected} messages: ${JSON.stringify(ingest.counts().rejected)}`,
    );
  }
  service.dispose();
  return {
    perSec: (applied / elapsed) * 1000,
    perCpuSec: applied / ((used.user + used.system) / 1e6),
    messages: applied,
  };
}

function decodeOnly(symbols: readonly string[], open: number): number {
  const frames: Uint8Array[] = [];
  for (let f = 0; f < 200; f++) {
    const batch: Record<string, unknown>[] = [];
    for (let k = 0; k < 1_000; k++) {
      const symbol = symbols[(f * 1_000 + k) % symbols.length]!;
      const t = new Date(open + f * 300 + k);
      const r = k % 20;
      if (r < 16)
        batch.push({ T: 't', S: symbol, i: f * 1_000 + k, x: 'V', p: 100.25, s: 100, c: ['@'], t, z: 'C' });
      else if (r < 19)
        batch.push({
          T: 'q',
          S: symbol,
          bx: 'V',
          bp: 100.2,
          bs: 2,
          ax: 'V',
          ap: 100.3,
          as: 3,
          c: ['R'],
          t,
          z: 'C',
        });
      else
        batch.push({
          T: 'b',
          S: symbol,
          o: 100,
          h: 101,
          l: 99,
          c: 100.5,
          v: 1_000,
          n: 10,
          vw: 100.2,
          t: new Date(open),
        });
    }
    frames.push(encode(batch));
  }
  const decoder = new AlpacaDecoder();
  let best = 0;
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    let decoded = 0;
    for (let i = 0; i < 3_000; i++) {
      const frame = decoder.decode(frames[i % frames.length]!, true);
      decoded += frame.trades.length + frame.quotes.length + frame.bars.length;
    }
    best = Math.max(best, (decoded / (performance.now() - start)) * 1000);
  }
  return best;
}

/** Runs the feed benchmark. */
export async function benchFeed(): Promise<FeedFigures> {
  const symbols = symbolNames(SYMBOLS);
  const open = tradingDay(DATE).regularOpen!;
  const decodeOnlyPerSec = decodeOnly(symbols, open);
  let best = { perSec: 0, perCpuSec: 0, messages: 0 };
  for (let run = 0; run < 3; run++) {
    const result = await runOnce(symbols, open);
    if (result.perSec > best.perSec) best = result;
  }
  return {
    messagesPerSec: best.perSec,
    messagesPerCpuSec: best.perCpuSec,
    decodeOnlyPerSec,
    messages: best.messages,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchFeed();
  const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
  console.log(
    `feed: ${fmt(figures.messagesPerSec)} msgs/s decoded and applied over a WebSocket (${fmt(figures.messages)} messages, 500 symbols; ${fmt(figures.messagesPerCpuSec)} per CPU-second); decode only: ${fmt(figures.decodeOnlyPerSec)} msgs/s`,
  );
}
