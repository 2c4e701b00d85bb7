/**
 * The Polygon (now Massive) stocks WebSocket protocol core (pure; frames in, data and effects out).
 *
 * Sources: https://massive.com/docs/websocket/quickstart, the stocks channels
 * https://massive.com/docs/websocket/stocks/aggregates-per-minute, …/aggregates-per-second,
 * …/trades and …/quotes, and the status handling of Massive's own client
 * (github.com/polygon-io/client-go, websocket/polygon.go).
 *
 * Flow: the server greets with `[{"ev":"status","status":"connected",…}]`; the client sends
 * `{"action":"auth","params":KEY}` and gets `auth_success` (or `auth_failed`); it subscribes with
 * `{"action":"subscribe","params":"AM.SPY,T.AAPL"}` (comma-separated `PREFIX.TICKER`) and each
 * subscription is answered by a `success` status (`subscribed to: AM.SPY`). Frames are JSON
 * arrays of events, each with `ev`:
 *
 * | ev | what | fields used |
 * |---|---|---|
 * | `AM` | minute aggregate | sym, o, h, l, c, v, vw, s (window start, ms), e |
 * | `A` | second aggregate | as `AM` |
 * | `T` | trade | sym, i (id), x (exchange id), p, s, c (numeric condition ids), t (SIP ms), z (tape 1/2/3) |
 * | `Q` | quote | sym, bp, bs, ap, as, t |
 * | `status` | control | status, message |
 *
 * Condition ids and the tape number are passed on as text (`"12"`, `"3"`): the tape number is what
 * tells the condition rule table (src/domain/trade-conditions.ts) that the codes are Polygon ids. An aggregate's start is
 * aligned down to its window (a minute, a second). Statuses: `auth_failed` stops the feed (bad key
 * or no WebSocket access in the plan), `max_connections` reconnects with back-off (another
 * connection holds the account's slot), `error` and unknown statuses are reported.
 */
import { type CoreEffect, NO_EFFECTS, type OutgoingFrame, type StreamCore } from '../stream-core.ts';
import type { FeedBar, FeedQuote, FeedSink, FeedSubscription, FeedTrade } from '../types.ts';

/** Everything one frame held, by kind (arrays reused by the next frame). */
export interface PolygonFrame {
  readonly minuteBars: FeedBar[];
  readonly secondBars: FeedBar[];
  readonly trades: FeedTrade[];
  readonly quotes: FeedQuote[];
  readonly statuses: { readonly status: string; readonly message: string }[];
  readonly malformed: string[];
  other: number;
}

const NO_CONDITIONS: readonly string[] = Object.freeze([]);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

interface RawEvent {
  ev?: unknown;
  sym?: unknown;
  o?: unknown;
  h?: unknown;
  l?: unknown;
  c?: unknown;
  v?: unknown;
  vw?: unknown;
  s?: unknown;
  i?: unknown;
  x?: unknown;
  p?: unknown;
  t?: unknown;
  z?: unknown;
  bp?: unknown;
  bs?: unknown;
  ap?: unknown;
  as?: unknown;
  status?: unknown;
  message?: unknown;
}

/** Decodes Polygon stream frames. One per connection (it reuses its frame and condition lists). */
export class PolygonDecoder {
  private readonly frame: PolygonFrame = {
    minuteBars: [],
    secondBars: [],
    trades: [],
    quotes: [],
    statuses: [],
    malformed: [],
    other: 0,
  };
  private readonly conditionLists = new Map<string, readonly string[]>();

  decode(text: string): PolygonFrame {
    const frame = this.frame;
    frame.minuteBars.length = 0;
    frame.secondBars.length = 0;
    frame.trades.length = 0;
    frame.quotes.length = 0;
    frame.statuses.length = 0;
    frame.malformed.length = 0;
    frame.other = 0;
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch {
      frame.malformed.push(`frame is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
      return frame;
    }
    if (!Array.isArray(items)) items = [items];
    for (const item of items as unknown[]) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        frame.malformed.push('an event is not an object');
        continue;
      }
      this.add(item as RawEvent, frame);
    }
    return frame;
  }

  private add(m: RawEvent, frame: PolygonFrame): void {
    switch (m.ev) {
      case 'AM':
      case 'A': {
        if (
          !isText(m.sym) ||
          !isNumber(m.o) ||
          !isNumber(m.h) ||
          !isNumber(m.l) ||
          !isNumber(m.c) ||
          !isNumber(m.v) ||
          !isNumber(m.s)
        ) {
          frame.malformed.push(`an aggregate needs sym, o, h, l, c, v and s (ev=${m.ev} ${String(m.sym)})`);
          return;
        }
        const size = m.ev === 'AM' ? 60_000 : 1_000;
        const bar: FeedBar = {
          symbol: m.sym,
          ts: Math.floor(m.s / size) * size,
          open: m.o,
          high: m.h,
          low: m.l,
          close: m.c,
          volume: m.v,
          vwap: isNumber(m.vw) ? m.vw : null,
          tradeCount: null,
        };
        (m.ev === 'AM' ? frame.minuteBars : frame.secondBars).push(bar);
        return;
      }
      case 'T': {
        if (!isText(m.sym) || !isNumber(m.p) || !isNumber(m.s) || !isNumber(m.t)) {
          frame.malformed.push(`a trade needs sym, p, s and t (ev=T ${String(m.sym)})`);
          return;
        }
        frame.trades.push({
          symbol: m.sym,
          ts: Math.floor(m.t),
          price: m.p,
          size: m.s,
          id: typeof m.i === 'string' ? m.i : typeof m.i === 'number' ? String(m.i) : null,
          exchange: isNumber(m.x) ? String(m.x) : null,
          conditions: Array.isArray(m.c) ? this.conditions(m.c) : NO_CONDITIONS,
          tape: isNumber(m.z) ? String(m.z) : null,
        });
        return;
      }
      case 'Q': {
        if (
          !isText(m.sym) ||
          !isNumber(m.bp) ||
          !isNumber(m.bs) ||
          !isNumber(m.ap) ||
          !isNumber(m.as) ||
          !isNumber(m.t)
        ) {
          frame.malformed.push(`a quote needs sym, bp, bs, ap, as and t (ev=Q ${String(m.sym)})`);
          return;
        }
        frame.quotes.push({
          symbol: m.sym,
          ts: Math.floor(m.t),
          bid: m.bp,
          bidSize: m.bs,
          ask: m.ap,
          askSize: m.as,
        });
        return;
      }
      case 'status':
        frame.statuses.push({
          status: typeof m.status === 'string' ? m.status : '',
          message: typeof m.message === 'string' ? m.message : '',
        });
        return;
      default:
        if (typeof m.ev === 'string') frame.other++;
        else frame.malformed.push('an event needs a type ev');
    }
  }

  private conditions(list: readonly unknown[]): readonly string[] {
    if (list.length === 0) return NO_CONDITIONS;
    const key = list.join(',');
    let out = this.conditionLists.get(key);
    if (out === undefined) {
      out = Object.freeze(list.filter((c) => typeof c === 'number' || typeof c === 'string').map(String));
      if (this.conditionLists.size > 4096) this.conditionLists.clear();
      this.conditionLists.set(key, out);
    }
    return out;
  }
}

/** The `PREFIX.TICKER` parameters a set of followed symbols needs. */
export function polygonParamsFor(desired: readonly FeedSubscription[]): Set<string> {
  const params = new Set<string>();
  for (const sub of desired) {
    if (sub.channels.bars) params.add(`${sub.baseInterval === '1s' ? 'A' : 'AM'}.${sub.symbol}`);
    if (sub.channels.trades) params.add(`T.${sub.symbol}`);
    if (sub.channels.quotes) params.add(`Q.${sub.symbol}`);
  }
  return params;
}

/** A client message. */
export function polygonMessage(action: 'auth' | 'subscribe' | 'unsubscribe', params: string): OutgoingFrame {
  return { data: JSON.stringify({ action, params }), binary: false };
}

type Phase = 'GREETING' | 'AUTHENTICATING' | 'SUBSCRIBING' | 'READY';

/** The protocol state of one Polygon connection. */
export class PolygonCore implements StreamCore {
  readonly headers: Readonly<Record<string, string>> = {};
  private phase: Phase = 'GREETING';
  private readonly decoder = new PolygonDecoder();
  private sent = new Set<string>();
  private desired: readonly FeedSubscription[] = [];

  constructor(private readonly options: { readonly key: string; readonly sink: FeedSink }) {}

  opened(): readonly OutgoingFrame[] {
    return [];
  }

  update(desired: readonly FeedSubscription[]): readonly OutgoingFrame[] {
    this.desired = desired;
    if (this.phase !== 'SUBSCRIBING' && this.phase !== 'READY') return [];
    return this.diff();
  }

  private diff(): OutgoingFrame[] {
    const want = polygonParamsFor(this.desired);
    const add = [...want].filter((p) => !this.sent.has(p)).sort();
    const remove = [...this.sent].filter((p) => !want.has(p)).sort();
    this.sent = want;
    const out: OutgoingFrame[] = [];
    if (remove.length > 0) out.push(polygonMessage('unsubscribe', remove.join(',')));
    if (add.length > 0) out.push(polygonMessage('subscribe', add.join(',')));
    return out;
  }

  received(data: Uint8Array | string, _binary: boolean): readonly CoreEffect[] {
    const text =
      typeof data === 'string'
        ? data
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
    const frame = this.decoder.decode(text);
    const sink = this.options.sink;
    if (frame.minuteBars.length > 0) sink.bars(frame.minuteBars, 'STREAMED');
    if (frame.secondBars.length > 0) sink.bars(frame.secondBars, 'STREAMED');
    if (frame.trades.length > 0) sink.trades(frame.trades);
    if (frame.quotes.length > 0) sink.quotes(frame.quotes);
    if (frame.statuses.length === 0 && frame.malformed.length === 0) return NO_EFFECTS;
    const effects: CoreEffect[] = [];
    for (const reason of frame.malformed)
      effects.push({ kind: 'problem', message: `malformed message: ${reason}` });
    for (const { status, message } of frame.statuses) this.status(status, message, effects);
    return effects;
  }

  private status(status: string, message: string, effects: CoreEffect[]): void {
    const text = `Polygon status ${status}${message ? `: ${message}` : ''}`;
    switch (status) {
      case 'connected':
        if (this.phase === 'GREETING') {
          this.phase = 'AUTHENTICATING';
          effects.push({ kind: 'send', frame: polygonMessage('auth', this.options.key) });
        }
        return;
      case 'auth_success': {
        if (this.phase !== 'AUTHENTICATING') return;
        this.phase = 'SUBSCRIBING';
        const sends = this.diff();
        for (const frame of sends) effects.push({ kind: 'send', frame });
        if (sends.length === 0) {
          this.phase = 'READY';
          effects.push({ kind: 'ready' });
        }
        return;
      }
      case 'auth_failed':
        effects.push({
          kind: 'stop',
          reason: `${text} (check POLYGON_API_KEY and that the plan includes WebSocket access)`,
          code: status,
        });
        return;
      case 'auth_timeout':
        effects.push({ kind: 'reconnect', reason: text, code: status });
        return;
      case 'max_connections':
        effects.push({
          kind: 'reconnect',
          reason: `${text} (another connection uses this key; retrying with back-off)`,
          code: status,
        });
        return;
      case 'success':
        if (this.phase === 'SUBSCRIBING' && /^subscribed to/i.test(message)) {
          this.phase = 'READY';
          effects.push({ kind: 'ready' });
        }
        return;
      default:
        effects.push({ kind: 'problem', message: text, code: status });
    }
  }
}
