/**
 * The stream side of the feed benchmark, run in a child process (its own core): a minimal server
 * of Alpaca's stock stream protocol (greeting, auth, subscribe acknowledgement) that then sends a
 * pre-encoded MessagePack day as fast as the socket drains. The day: 500 symbols, half of them
 * BARS symbols (their 1m bar after each minute and an updated bar of the minute before: 5% of the
 * messages) and half TRADES symbols (80%: trades in time order, ids ascending), quotes for all
 * (15%), 10,000 messages a minute, in frames of 1,000 messages, as Alpaca batches data points.
 */
import { decode, encode } from '@msgpack/msgpack';
import { WebSocketServer } from 'ws';

interface Setup {
  readonly symbols: readonly string[];
  readonly open: number;
  readonly minutes: number;
}

const { symbols, open, minutes } = JSON.parse(process.env['FEED_BENCH_SETUP'] ?? '{}') as Setup;
const PER_MINUTE = 10_000;
const FRAME = 1_000;

function dayFrames(): { frames: Uint8Array[]; messages: number } {
  const frames: Uint8Array[] = [];
  let messages = 0;
  let seed = 7;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  // Even symbols are BARS symbols (bars, quotes), odd ones TRADES symbols (trades, quotes).
  const barSymbols = symbols.filter((_, i) => i % 2 === 0);
  const tradeSymbols = symbols.filter((_, i) => i % 2 === 1);
  const price = new Map(symbols.map((s, i) => [s, 20 + ((i * 37) % 400)]));
  const round = (n: number) => Math.round(n * 100) / 100;
  let tradeId = 1;
  for (let m = 0; m < minutes; m++) {
    const minute = open + m * 60_000;
    const batch: Record<string, unknown>[] = [];
    // 5% bars: each BARS symbol's bar of the minute before (emitted after the minute mark, as
    // Alpaca does) and an updated bar of the minute before that.
    for (const symbol of barSymbols) {
      const p = price.get(symbol)!;
      const bar = { S: symbol, o: p, h: round(p * 1.001), l: round(p * 0.999), c: p, n: 10, vw: p };
      if (m >= 1) batch.push({ T: 'b', ...bar, v: 1_000 + m, t: new Date(minute - 60_000) });
      if (m >= 2) batch.push({ T: 'u', ...bar, v: 1_001 + m, t: new Date(minute - 120_000) });
    }
    // 80% trades (TRADES symbols) and 15% quotes (all), spread over the minute in time order.
    const rest = PER_MINUTE - (m >= 2 ? barSymbols.length * 2 : m >= 1 ? barSymbols.length : 0);
    for (let k = 0; k < rest; k++) {
      const t = new Date(minute + Math.floor((k / rest) * 59_000) + 500);
      if (k % 19 < 16) {
        const symbol = tradeSymbols[k % tradeSymbols.length]!;
        const p = Math.max(1, price.get(symbol)! * (1 + (random() - 0.5) / 1_000));
        price.set(symbol, p);
        batch.push({
          T: 't',
          S: symbol,
          i: tradeId++,
          x: 'V',
          p: round(p),
          s: 1 + Math.floor(random() * 300),
          c: ['@'],
          t,
          z: 'C',
        });
      } else {
        const symbol = symbols[k % symbols.length]!;
        const mid = price.get(symbol)!;
        batch.push({
          T: 'q',
          S: symbol,
          bx: 'V',
          bp: round(mid * 0.9999),
          bs: 2,
          ax: 'V',
          ap: round(mid * 1.0001),
          as: 3,
          c: ['R'],
          t,
          z: 'C',
        });
      }
    }
    for (let f = 0; f < batch.length; f += FRAME) frames.push(encode(batch.slice(f, f + FRAME)));
    messages += batch.length;
  }
  return { frames, messages };
}

const day = dayFrames();
const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('listening', () => {
  const address = server.address();
  process.send?.({
    port: typeof address === 'object' && address !== null ? address.port : 0,
    messages: day.messages,
  });
});
server.on('connection', (socket) => {
  const send = (message: unknown) => socket.send(encode([message]), { binary: true });
  send({ T: 'success', msg: 'connected' });
  socket.on('message', (data) => {
    const { action } = decode(data as Buffer) as { action?: string };
    if (action === 'auth') send({ T: 'success', msg: 'authenticated' });
    else {
      send({
        T: 'subscription',
        trades: symbols.filter((_, i) => i % 2 === 1),
        quotes: symbols,
        bars: symbols.filter((_, i) => i % 2 === 0),
      });
      stream();
    }
  });
  function stream(): void {
    let next = 0;
    const pump = () => {
      while (next < day.frames.length) {
        if (socket.bufferedAmount > 8 * 1024 * 1024) {
          setImmediate(pump);
          return;
        }
        socket.send(day.frames[next++]!, { binary: true });
      }
    };
    pump();
  }
});
process.on('message', () => {
  server.close();
  process.exit(0);
});
process.on('disconnect', () => process.exit(0));
