/**
 * Decoding of Alpaca Market Data v2 stock stream frames (pure, no socket).
 *
 * Protocol: https://docs.alpaca.markets/docs/streaming-market-data (connection, authentication,
 * subscription, message format, content type, errors) and
 * https://docs.alpaca.markets/docs/real-time-stock-pricing-data (the stock channels and schemas).
 *
 * Every server frame is an array of messages `[{"T": type, …}, …]`; control messages (`success`,
 * `error`, `subscription`) arrive alone, data points in arrays of any length. A text frame is JSON,
 * a binary frame MessagePack (`Content-Type: application/msgpack`), where `t` is a MessagePack
 * timestamp. Data messages:
 *
 * | T | what | fields used |
 * |---|---|---|
 * | `t` | trade | S, i (id), x (exchange), p, s, c (conditions), t, z (tape) |
 * | `q` | quote | S, bp, bs, ap, as, t (bx, ax, c, z ignored) |
 * | `b` | minute bar | S, o, h, l, c, v, vw, n, t (bar start) |
 * | `u` | updated bar (a late trade changed a minute bar) | as `b` |
 * | `d` | daily bar | as `b` (decoded, not used) |
 * | `c` | trade correction | S, x, oi, ci, cp, cs, cc, t, z |
 * | `x` | trade cancel/error | S, i, x, p, s, a (`C` or `E`), t, z |
 * | `s` | trading status | S, sc, sm, rc, rm, t |
 *
 * Other types (`l` LULD, `i` imbalances) are counted and skipped. A message that lacks a field it
 * needs, or has one of the wrong type, is reported as malformed and the rest of the frame is kept;
 * a frame that is not JSON or MessagePack at all is one malformed frame. Timestamps are truncated
 * to the millisecond.
 */
import { Interner } from '../interner.ts';
import { decodeText, Kind, MsgpackError, MsgpackReader } from '../msgpack-reader.ts';
import { parseTimestamp } from '../timestamps.ts';
import type {
  FeedBar,
  FeedQuote,
  FeedTrade,
  FeedTradeCancel,
  FeedTradeCorrection,
  FeedTradingStatus,
} from '../types.ts';

/** A control message. */
export type AlpacaControl =
  | { readonly T: 'success'; readonly msg: string }
  | { readonly T: 'error'; readonly code: number; readonly msg: string }
  | { readonly T: 'subscription'; readonly channels: Readonly<Record<string, readonly string[]>> };

/** Everything one frame held, by kind. The decoder reuses these arrays for the next frame. */
export interface AlpacaFrame {
  readonly bars: FeedBar[];
  readonly updatedBars: FeedBar[];
  readonly dailyBars: FeedBar[];
  readonly trades: FeedTrade[];
  readonly corrections: FeedTradeCorrection[];
  readonly cancels: FeedTradeCancel[];
  readonly quotes: FeedQuote[];
  readonly statuses: FeedTradingStatus[];
  readonly controls: AlpacaControl[];
  /** Why each malformed message (or frame) was dropped. */
  readonly malformed: string[];
  /** Messages of types this service does not use (LULD, imbalances, unknown). */
  other: number;
}

/** The fields a message may carry (JSON object, or the decoder's scratch record). */
interface RawMessage {
  T?: unknown;
  S?: unknown;
  i?: unknown;
  x?: unknown;
  p?: unknown;
  s?: unknown;
  c?: unknown;
  t?: unknown;
  z?: unknown;
  o?: unknown;
  h?: unknown;
  l?: unknown;
  v?: unknown;
  vw?: unknown;
  n?: unknown;
  bp?: unknown;
  bs?: unknown;
  ap?: unknown;
  as?: unknown;
  oi?: unknown;
  ci?: unknown;
  cp?: unknown;
  cs?: unknown;
  cc?: unknown;
  a?: unknown;
  sc?: unknown;
  sm?: unknown;
  rc?: unknown;
  rm?: unknown;
  msg?: unknown;
  code?: unknown;
}

const NO_CONDITIONS: readonly string[] = Object.freeze([]);
/** One-character ASCII strings by code (types, exchange and tape codes). */
const ASCII: readonly string[] = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));
const CONTROL_TYPES = new Set(['success', 'error', 'subscription']);

/** Makes a new empty frame. */
export function emptyAlpacaFrame(): AlpacaFrame {
  return {
    bars: [],
    updatedBars: [],
    dailyBars: [],
    trades: [],
    corrections: [],
    cancels: [],
    quotes: [],
    statuses: [],
    controls: [],
    malformed: [],
    other: 0,
  };
}

function clear(frame: AlpacaFrame): void {
  frame.bars.length = 0;
  frame.updatedBars.length = 0;
  frame.dailyBars.length = 0;
  frame.trades.length = 0;
  frame.corrections.length = 0;
  frame.cancels.length = 0;
  frame.quotes.length = 0;
  frame.statuses.length = 0;
  frame.controls.length = 0;
  frame.malformed.length = 0;
  frame.other = 0;
}

/** Two-character key codes of the MessagePack path (first byte | second byte << 8). */
const key1 = (k: string) => k.charCodeAt(0);
const key2 = (k: string) => k.charCodeAt(0) | (k.charCodeAt(1) << 8);

/**
 * Decodes Alpaca stream frames into typed messages. One decoder per connection: it interns
 * symbols and condition lists and reuses its frame between calls.
 */
export class AlpacaDecoder {
  private readonly frame = emptyAlpacaFrame();
  private readonly reader = new MsgpackReader();
  private readonly strings = new Interner<string>(8192);
  private readonly conditionLists = new Interner<readonly string[]>(4096);
  private readonly scratch: RawMessage = {};

  /** Decodes one frame: text (JSON) or binary (MessagePack). */
  decode(data: Uint8Array | string, binary: boolean): AlpacaFrame {
    const frame = this.frame;
    clear(frame);
    if (binary && typeof data !== 'string') this.decodeMsgpack(data, frame);
    else this.decodeJson(typeof data === 'string' ? data : decodeText(data, 0, data.length), frame);
    return frame;
  }

  private decodeJson(text: string, frame: AlpacaFrame): void {
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch {
      frame.malformed.push(`frame is not JSON: ${preview(text)}`);
      return;
    }
    if (!Array.isArray(items)) {
      frame.malformed.push(`frame is not an array of messages: ${preview(text)}`);
      return;
    }
    for (const item of items) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        frame.malformed.push('a message is not an object');
        continue;
      }
      const message = item as RawMessage;
      if (Array.isArray(message.c)) message.c = conditionsOf(message.c);
      if (Array.isArray(message.cc)) message.cc = conditionsOf(message.cc);
      if (typeof message.t === 'string') message.t = parseTimestamp(message.t);
      addMessage(message, frame);
    }
  }

  private decodeMsgpack(bytes: Uint8Array, frame: AlpacaFrame): void {
    const reader = this.reader;
    reader.reset(bytes);
    try {
      const count = reader.arrayHeader();
      for (let i = 0; i < count; i++) {
        if (reader.kind() !== Kind.Map) {
          reader.skip();
          frame.malformed.push('a message is not a map');
          continue;
        }
        const start = reader.pos;
        if (this.fastPath(frame)) continue;
        reader.pos = start;
        const message = this.readMessage();
        if (typeof message.T === 'string' && CONTROL_TYPES.has(message.T)) {
          reader.pos = start;
          addMessage(reader.value() as RawMessage, frame);
        } else addMessage(message, frame);
      }
      if (!reader.done) frame.malformed.push('frame has bytes after its message array');
    } catch (error) {
      if (!(error instanceof MsgpackError)) throw error;
      frame.malformed.push(`frame is not MessagePack: ${error.message}`);
    }
  }

  /**
   * The hot path for trades and quotes (95% of a stream) whose first key is `T`, as Alpaca writes
   * them: fields go to locals and straight into the message object, with no scratch record. Returns
   * false (the caller rewinds and takes the general path) for anything else or anything odd.
   */
  private fastPath(frame: AlpacaFrame): boolean {
    const reader = this.reader;
    const bytes = reader.bytes;
    let entries = reader.mapHeader();
    // fixstr "T" then a one-character fixstr type.
    const at = reader.pos;
    if (entries === 0 || bytes[at] !== 0xa1 || bytes[at + 1] !== 0x54 || bytes[at + 2] !== 0xa1) return false;
    const type = bytes[at + 3];
    if (type !== 0x74 /* t */ && type !== 0x71 /* q */) return false;
    reader.pos = at + 4;
    entries--;
    let symbol: string | undefined;
    let ts = Number.NaN;
    let price = Number.NaN;
    let size = Number.NaN;
    let bid = Number.NaN;
    let bidSize = Number.NaN;
    let ask = Number.NaN;
    let askSize = Number.NaN;
    let id: string | null = null;
    let exchange: string | null = null;
    let tape: string | null = null;
    let conditions: readonly string[] = NO_CONDITIONS;
    for (; entries > 0; entries--) {
      const head = bytes[reader.pos];
      // Keys are fixstr of one or two characters.
      if (head === 0xa1) {
        const key = bytes[reader.pos + 1];
        reader.pos += 2;
        switch (key) {
          case K.S:
            symbol = this.readString();
            break;
          case K.t:
            ts = reader.kind() === Kind.Timestamp ? reader.timestamp() : Number.NaN;
            if (Number.isNaN(ts)) return false;
            break;
          case K.p:
            price = reader.number();
            break;
          case K.s:
            size = reader.number();
            break;
          case K.i: {
            if (reader.kind() !== Kind.Number) return false;
            id = String(reader.number());
            break;
          }
          case K.x:
            exchange = this.readString() ?? null;
            break;
          case K.z:
            tape = this.readString() ?? null;
            break;
          case K.c:
            if (reader.kind() !== Kind.Array) return false;
            conditions = this.readConditions() ?? NO_CONDITIONS;
            break;
          default:
            reader.skip();
        }
      } else if (head === 0xa2) {
        const key = bytes[reader.pos + 1]! | (bytes[reader.pos + 2]! << 8);
        reader.pos += 3;
        switch (key) {
          case K.bp:
            bid = reader.number();
            break;
          case K.bs:
            bidSize = reader.number();
            break;
          case K.ap:
            ask = reader.number();
            break;
          case K.as:
            askSize = reader.number();
            break;
          default:
            reader.skip();
        }
      } else return false;
    }
    if (symbol === undefined || symbol.length === 0 || Number.isNaN(ts)) return false;
    if (type === 0x74) {
      if (Number.isNaN(price) || Number.isNaN(size)) return false;
      frame.trades.push({ symbol, ts, price, size, id, exchange, conditions, tape });
    } else {
      if (Number.isNaN(bid) || Number.isNaN(bidSize) || Number.isNaN(ask) || Number.isNaN(askSize))
        return false;
      frame.quotes.push({ symbol, ts, bid, bidSize, ask, askSize });
    }
    return true;
  }

  /** Reads one message map into the scratch record (strings and condition lists interned). */
  private readMessage(): RawMessage {
    const reader = this.reader;
    const bytes = reader.bytes;
    const m = this.scratch;
    m.T = m.S = m.i = m.x = m.p = m.s = m.c = m.t = m.z = undefined;
    m.o = m.h = m.l = m.v = m.vw = m.n = undefined;
    m.bp = m.bs = m.ap = m.as = m.oi = m.ci = m.cp = m.cs = m.cc = undefined;
    m.a = m.sc = m.sm = m.rc = m.rm = undefined;
    for (let entries = reader.mapHeader(); entries > 0; entries--) {
      if (reader.kind() !== Kind.String) {
        reader.skip();
        reader.skip();
        continue;
      }
      const length = reader.stringBytes();
      const at = reader.pos - length;
      const code = length === 1 ? bytes[at]! : length === 2 ? bytes[at]! | (bytes[at + 1]! << 8) : -1;
      switch (code) {
        case K.T:
          m.T = this.readString();
          break;
        case K.S:
          m.S = this.readString();
          break;
        case K.t:
          m.t = reader.kind() === Kind.String ? parseTimestamp(reader.string()) : reader.timestamp();
          break;
        case K.c:
          m.c = reader.kind() === Kind.Array ? this.readConditions() : this.readNumber();
          break;
        case K.cc:
          m.cc = this.readConditions();
          break;
        case K.x:
          m.x = this.readString();
          break;
        case K.z:
          m.z = this.readString();
          break;
        case K.a:
          m.a = this.readString();
          break;
        case K.sc:
          m.sc = this.readString();
          break;
        case K.sm:
          m.sm = this.readString();
          break;
        case K.rc:
          m.rc = this.readString();
          break;
        case K.rm:
          m.rm = this.readString();
          break;
        case K.i:
          m.i = reader.kind() === Kind.String ? reader.string() : reader.number();
          break;
        case K.p:
          m.p = this.readNumber();
          break;
        case K.s:
          m.s = this.readNumber();
          break;
        case K.o:
          m.o = this.readNumber();
          break;
        case K.h:
          m.h = this.readNumber();
          break;
        case K.l:
          m.l = this.readNumber();
          break;
        case K.v:
          m.v = this.readNumber();
          break;
        case K.vw:
          m.vw = this.readNumber();
          break;
        case K.n:
          m.n = this.readNumber();
          break;
        case K.bp:
          m.bp = this.readNumber();
          break;
        case K.bs:
          m.bs = this.readNumber();
          break;
        case K.ap:
          m.ap = this.readNumber();
          break;
        case K.as:
          m.as = this.readNumber();
          break;
        case K.oi:
          m.oi = reader.kind() === Kind.String ? reader.string() : reader.number();
          break;
        case K.ci:
          m.ci = reader.kind() === Kind.String ? reader.string() : reader.number();
          break;
        case K.cp:
          m.cp = this.readNumber();
          break;
        case K.cs:
          m.cs = this.readNumber();
          break;
        default:
          reader.skip();
      }
    }
    return m;
  }

  private readNumber(): number | undefined {
    const reader = this.reader;
    const kind = reader.kind();
    if (kind === Kind.Number) return reader.number();
    reader.skip();
    return undefined;
  }

  private readString(): string | undefined {
    const reader = this.reader;
    if (reader.kind() !== Kind.String) {
      reader.skip();
      return undefined;
    }
    const length = reader.stringBytes();
    if (length === 1) {
      const byte = reader.bytes[reader.pos - 1]!;
      if (byte < 0x80) return ASCII[byte];
    }
    return this.strings.get(reader.bytes, reader.pos - length, reader.pos, decodeText);
  }

  private readConditions(): readonly string[] | undefined {
    const reader = this.reader;
    if (reader.kind() !== Kind.Array) {
      reader.skip();
      return undefined;
    }
    const start = reader.pos;
    reader.skip();
    const end = reader.pos;
    return this.conditionLists.get(reader.bytes, start, end, (bytes) => {
      const inner = new MsgpackReader();
      inner.reset(bytes.subarray(start, end));
      const list = inner.value();
      return conditionsOf(Array.isArray(list) ? list : []);
    });
  }
}

const K = {
  T: key1('T'),
  S: key1('S'),
  t: key1('t'),
  c: key1('c'),
  x: key1('x'),
  z: key1('z'),
  a: key1('a'),
  i: key1('i'),
  p: key1('p'),
  s: key1('s'),
  o: key1('o'),
  h: key1('h'),
  l: key1('l'),
  v: key1('v'),
  n: key1('n'),
  vw: key2('vw'),
  bp: key2('bp'),
  bs: key2('bs'),
  ap: key2('ap'),
  as: key2('as'),
  oi: key2('oi'),
  ci: key2('ci'),
  cp: key2('cp'),
  cs: key2('cs'),
  cc: key2('cc'),
  sc: key2('sc'),
  sm: key2('sm'),
  rc: key2('rc'),
  rm: key2('rm'),
} as const;

function conditionsOf(list: readonly unknown[]): readonly string[] {
  if (list.length === 0) return NO_CONDITIONS;
  const out: string[] = [];
  for (const c of list) if (typeof c === 'string') out.push(c);
  return Object.freeze(out);
}

function preview(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const textOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const idOf = (v: unknown): string | null =>
  typeof v === 'number' ? String(v) : typeof v === 'string' && v.length > 0 ? v : null;

function addMessage(m: RawMessage, frame: AlpacaFrame): void {
  const type = m.T;
  switch (type) {
    case 't': {
      if (!isText(m.S) || !isNumber(m.p) || !isNumber(m.s) || !isNumber(m.t)) {
        frame.malformed.push(malformed(m, 'a trade needs S, p, s and t'));
        return;
      }
      frame.trades.push(trade(m.S, m.t, m.p, m.s, idOf(m.i), textOrNull(m.x), m.c, textOrNull(m.z)));
      return;
    }
    case 'q': {
      if (
        !isText(m.S) ||
        !isNumber(m.bp) ||
        !isNumber(m.bs) ||
        !isNumber(m.ap) ||
        !isNumber(m.as) ||
        !isNumber(m.t)
      ) {
        frame.malformed.push(malformed(m, 'a quote needs S, bp, bs, ap, as and t'));
        return;
      }
      frame.quotes.push({ symbol: m.S, ts: m.t, bid: m.bp, bidSize: m.bs, ask: m.ap, askSize: m.as });
      return;
    }
    case 'b':
    case 'u':
    case 'd': {
      if (
        !isText(m.S) ||
        !isNumber(m.o) ||
        !isNumber(m.h) ||
        !isNumber(m.l) ||
        !isNumber(m.c) ||
        !isNumber(m.v) ||
        !isNumber(m.t)
      ) {
        frame.malformed.push(malformed(m, 'a bar needs S, o, h, l, c, v and t'));
        return;
      }
      const bar: FeedBar = {
        symbol: m.S,
        ts: m.t,
        open: m.o,
        high: m.h,
        low: m.l,
        close: m.c,
        volume: m.v,
        vwap: isNumber(m.vw) ? m.vw : null,
        tradeCount: isNumber(m.n) ? m.n : null,
      };
      (type === 'b' ? frame.bars : type === 'u' ? frame.updatedBars : frame.dailyBars).push(bar);
      return;
    }
    case 'c': {
      const originalId = idOf(m.oi);
      const correctedId = idOf(m.ci);
      if (
        !isText(m.S) ||
        originalId === null ||
        correctedId === null ||
        !isNumber(m.cp) ||
        !isNumber(m.cs) ||
        !isNumber(m.t)
      ) {
        frame.malformed.push(malformed(m, 'a correction needs S, oi, ci, cp, cs and t'));
        return;
      }
      const corrected = trade(m.S, m.t, m.cp, m.cs, correctedId, textOrNull(m.x), m.cc, textOrNull(m.z));
      frame.corrections.push({ symbol: m.S, ts: m.t, originalId, corrected });
      return;
    }
    case 'x': {
      const id = idOf(m.i);
      if (!isText(m.S) || id === null || !isNumber(m.t)) {
        frame.malformed.push(malformed(m, 'a cancel needs S, i and t'));
        return;
      }
      frame.cancels.push({
        symbol: m.S,
        ts: m.t,
        id,
        price: isNumber(m.p) ? m.p : null,
        size: isNumber(m.s) ? m.s : null,
        exchange: textOrNull(m.x),
        tape: textOrNull(m.z),
        action: typeof m.a === 'string' ? m.a : 'C',
      });
      return;
    }
    case 's': {
      if (!isText(m.S) || !isNumber(m.t)) {
        frame.malformed.push(malformed(m, 'a trading status needs S and t'));
        return;
      }
      frame.statuses.push({
        symbol: m.S,
        ts: m.t,
        code: textOrNull(m.sc) ?? '',
        message: textOrNull(m.sm) ?? '',
        reasonCode: textOrNull(m.rc) ?? '',
        reasonMessage: textOrNull(m.rm) ?? '',
      });
      return;
    }
    case 'success':
      frame.controls.push({ T: 'success', msg: typeof m.msg === 'string' ? m.msg : '' });
      return;
    case 'error':
      frame.controls.push({
        T: 'error',
        code: typeof m.code === 'number' ? m.code : 0,
        msg: typeof m.msg === 'string' ? m.msg : '',
      });
      return;
    case 'subscription': {
      const channels: Record<string, readonly string[]> = {};
      for (const [name, value] of Object.entries(m)) {
        if (name !== 'T' && Array.isArray(value)) channels[name] = value.filter((v) => typeof v === 'string');
      }
      frame.controls.push({ T: 'subscription', channels });
      return;
    }
    default:
      if (typeof type === 'string') frame.other++;
      else frame.malformed.push(malformed(m, 'a message needs a type T'));
  }
}

function trade(
  symbol: string,
  ts: number,
  price: number,
  size: number,
  id: string | null,
  exchange: string | null,
  conditions: unknown,
  tape: string | null,
): FeedTrade {
  return {
    symbol,
    ts,
    price,
    size,
    id,
    exchange,
    conditions: Array.isArray(conditions) ? (conditions as readonly string[]) : NO_CONDITIONS,
    tape,
  };
}

function malformed(m: RawMessage, why: string): string {
  const type = typeof m.T === 'string' ? m.T : '?';
  const symbol = typeof m.S === 'string' ? ` ${m.S}` : '';
  return `${why} (T=${type}${symbol})`;
}
