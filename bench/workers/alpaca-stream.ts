/**
 * The stream side of the feed benchmark, run in a child process (its own core): a minimal server
 * of Alpaca's stock stream protocol (greeting, auth, subscribe acknowledgement) that then sends a
 * pre-encoded MessagePack day as fast as the socket drains. The day: 500 symbols, per minute of
 * the regular session 10,000 messages (80% trades, 15% quotes, 5% bars: one 1m bar per symbol),
 * in frames of 1,000 messages, as Alpaca batches data points.
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
  const price = symbols.map((_, i) => 20 + ((i * 37) % 400));
  let tradeId = 1;
  for (let m = 0; m < minutes; m++) {
    const minute = open + m * 60_000;
    const batch: Record<string, unknown>[] = [];
    for (let k = 0; k < PER_MINUTE; k++) {
      const i = k % symbols.length;
      const symbol = symbols[i]!;
      const t = new Date(minute + Math.floor((k / PER_MINUTE) * 59_000) + 500);
      const r = k % 20;
      if (r < 16) {
        price[i] = Math.max(1, price[i]! * (1 + (random() - 0.5) / 1_000));
        batch.push({
          T: 't',
          S: symbol,
          i: tradeId++,
          x: 'V',
          p: Math.round(price[i]! * 100) / 100,
          s: 1 + Math.floor(random() * 300),
          c: ['@'],
          t,
          z: 'C',
        });
      } else if (r < 19) {
        const mid = price[i]!;
        batch.push({
          T: 'q',
          S: symbol,
          bx: 'V',
          bp: Math.round(mid * 99.99) / 100,
          bs: 2,
          ax: 'V',
          ap: Math.round(mid * 100.01) / 100,
          as: 3,
          c: ['R'],
          t,
          z: 'C',
        });
      } else {
        // One 1m bar per symbol and minute.
        const p = price[i]!;
        batch.push({
          T: 'b',
          S: symbol,
          o: p,
          h: p * 1.001,
          l: p * 0.999,
          c: p,
          v: 1_000 + k,
          n: 10,
          vw: p,
          t: new Date(minute),
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
      send({ T: 'subscription', trades: symbols, quotes: symbols, bars: symbols });
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
