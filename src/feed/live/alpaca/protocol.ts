/**
 * The Alpaca Market Data v2 stock stream protocol core (pure; frames in, data and effects out).
 *
 * Sources: https://docs.alpaca.markets/docs/streaming-market-data and
 * https://docs.alpaca.markets/docs/real-time-stock-pricing-data.
 *
 * Flow: the server greets with `[{"T":"success","msg":"connected"}]`; the client sends
 * `{"action":"auth","key":…,"secret":…}` (within 10 s) and gets `[{"T":"success","msg":"authenticated"}]`;
 * it then sends `subscribe` / `unsubscribe` messages that add or subtract channel lists (`trades`,
 * `quotes`, `bars`, `updatedBars`, `statuses`, …), each answered by the whole current subscription
 * (`[{"T":"subscription",…}]`; `corrections` and `cancelErrors` follow `trades` by themselves).
 * With `Content-Type: application/msgpack` the server sends binary MessagePack frames and the
 * client sends MessagePack too.
 *
 * What this service subscribes per followed symbol: a `BARS` symbol with 1m bars gets `bars` and
 * `updatedBars` (Alpaca streams no second bars: a 1s `BARS` symbol is reported and gets none), a
 * `TRADES` symbol `trades`, every symbol `quotes` when asked and `statuses` (halts) unless turned off.
 * The feed is UP once authenticated and the first subscription is acknowledged (at once when
 * nothing is followed).
 */
import { encode } from '@msgpack/msgpack';
import { type CoreEffect, NO_EFFECTS, type OutgoingFrame, type StreamCore } from '../stream-core.ts';
import type { FeedSink, FeedSubscription } from '../types.ts';
import { AlpacaDecoder, type AlpacaFrame } from './decode.ts';

/** How the shell must react to an error code. */
export type AlpacaErrorAction = 'IGNORE' | 'PROBLEM' | 'RECONNECT' | 'STOP';

/** One documented error. */
export interface AlpacaErrorRule {
  readonly message: string;
  readonly action: AlpacaErrorAction;
  /** What it means for the user. */
  readonly meaning: string;
}

/**
 * The documented errors (https://docs.alpaca.markets/docs/streaming-market-data#errors) and what
 * this client does about each. 409 refuses the feed itself when it comes before the feed is up
 * (`STOP`), and only a channel when it answers a later subscription (`PROBLEM`).
 */
export const ALPACA_ERRORS: Readonly<Record<number, AlpacaErrorRule>> = {
  400: {
    message: 'invalid syntax',
    action: 'PROBLEM',
    meaning: 'the server did not understand a message we sent',
  },
  401: {
    message: 'not authenticated',
    action: 'RECONNECT',
    meaning: 'a subscription was sent before authentication',
  },
  402: {
    message: 'auth failed',
    action: 'STOP',
    meaning: 'the key id or secret is wrong (APCA_API_KEY_ID, APCA_API_SECRET_KEY)',
  },
  403: { message: 'already authenticated', action: 'IGNORE', meaning: 'a second auth message was sent' },
  404: {
    message: 'auth timeout',
    action: 'RECONNECT',
    meaning: 'authentication did not finish within 10 s of connecting',
  },
  405: {
    message: 'symbol limit exceeded',
    action: 'PROBLEM',
    meaning: "the subscription would pass the plan's symbol limit; the subscriptions stay as they were",
  },
  406: {
    message: 'connection limit exceeded',
    action: 'RECONNECT',
    meaning:
      'another connection (another program or instance) already uses this account; retrying with back-off',
  },
  407: {
    message: 'slow client',
    action: 'RECONNECT',
    meaning: 'the server dropped us for reading too slowly',
  },
  408: { message: 'v2 not enabled', action: 'STOP', meaning: 'the account has no access to Market Data v2' },
  409: {
    message: 'insufficient subscription',
    action: 'STOP',
    meaning: 'the plan does not include this feed (ALPACA_FEED=sip needs a paid plan; iex is free)',
  },
  410: {
    message: 'invalid subscribe action for this feed',
    action: 'PROBLEM',
    meaning: 'a channel was asked for that this stream does not have',
  },
  411: {
    message: 'insufficient scope',
    action: 'STOP',
    meaning: 'the credentials lack the market data scope',
  },
  500: { message: 'internal error', action: 'RECONNECT', meaning: "an error on Alpaca's side" },
};

/** The channel lists of a subscribe or unsubscribe message. */
export type AlpacaChannels = Partial<Record<AlpacaChannel, readonly string[]>>;
/** Channels this client uses. */
export type AlpacaChannel = 'bars' | 'updatedBars' | 'trades' | 'quotes' | 'statuses';
const CHANNELS: readonly AlpacaChannel[] = ['bars', 'updatedBars', 'trades', 'quotes', 'statuses'];

/** The wire encoding. */
export type AlpacaCodec = 'json' | 'msgpack';

/** Encodes a client message in the connection's codec. */
export function encodeAlpacaMessage(message: Record<string, unknown>, codec: AlpacaCodec): OutgoingFrame {
  return codec === 'msgpack'
    ? { data: encode(message), binary: true }
    : { data: JSON.stringify(message), binary: false };
}

/** The auth message. */
export function alpacaAuth(key: string, secret: string, codec: AlpacaCodec): OutgoingFrame {
  return encodeAlpacaMessage({ action: 'auth', key, secret }, codec);
}

/** A subscribe or unsubscribe message (empty lists left out); null when every list is empty. */
export function alpacaSubscription(
  action: 'subscribe' | 'unsubscribe',
  channels: AlpacaChannels,
  codec: AlpacaCodec,
): OutgoingFrame | null {
  const message: Record<string, unknown> = { action };
  let any = false;
  for (const channel of CHANNELS) {
    const list = channels[channel];
    if (list && list.length > 0) {
      message[channel] = [...list];
      any = true;
    }
  }
  return any ? encodeAlpacaMessage(message, codec) : null;
}

/** The channels a set of followed symbols needs, and the symbols Alpaca cannot serve. */
export function alpacaChannelsFor(
  desired: readonly FeedSubscription[],
  statuses: boolean,
): { channels: Record<AlpacaChannel, Set<string>>; unsupported: string[] } {
  const channels: Record<AlpacaChannel, Set<string>> = {
    bars: new Set(),
    updatedBars: new Set(),
    trades: new Set(),
    quotes: new Set(),
    statuses: new Set(),
  };
  const unsupported: string[] = [];
  for (const sub of desired) {
    if (sub.channels.bars) {
      if (sub.baseInterval === '1m') {
        channels.bars.add(sub.symbol);
        channels.updatedBars.add(sub.symbol);
      } else unsupported.push(sub.symbol);
    }
    if (sub.channels.trades) channels.trades.add(sub.symbol);
    if (sub.channels.quotes) channels.quotes.add(sub.symbol);
    if (statuses) channels.statuses.add(sub.symbol);
  }
  return { channels, unsupported };
}

/** Options of one connection's core. */
export interface AlpacaCoreOptions {
  readonly key: string;
  readonly secret: string;
  readonly codec: AlpacaCodec;
  readonly sink: FeedSink;
  /** Subscribe to trading statuses (halts) of every followed symbol; default true. */
  readonly statuses?: boolean;
}

type Phase = 'GREETING' | 'AUTHENTICATING' | 'SUBSCRIBING' | 'READY';

/** The protocol state of one Alpaca connection. */
export class AlpacaCore implements StreamCore {
  readonly headers: Readonly<Record<string, string>>;
  private phase: Phase = 'GREETING';
  private readonly decoder = new AlpacaDecoder();
  private readonly sent: Record<AlpacaChannel, Set<string>> = {
    bars: new Set(),
    updatedBars: new Set(),
    trades: new Set(),
    quotes: new Set(),
    statuses: new Set(),
  };
  private desired: readonly FeedSubscription[] = [];
  private reportedUnsupported = new Set<string>();
  /** The server's last acknowledged subscription. */
  acknowledged: Readonly<Record<string, readonly string[]>> = {};

  constructor(private readonly options: AlpacaCoreOptions) {
    this.headers = {
      'Content-Type': options.codec === 'msgpack' ? 'application/msgpack' : 'application/json',
    };
  }

  opened(): readonly OutgoingFrame[] {
    return [];
  }

  update(desired: readonly FeedSubscription[]): readonly OutgoingFrame[] {
    this.desired = desired;
    if (this.phase !== 'SUBSCRIBING' && this.phase !== 'READY') return [];
    return this.diff().map((effect) => effect.frame);
  }

  private diff(): Array<{ kind: 'send'; frame: OutgoingFrame }> {
    const { channels } = alpacaChannelsFor(this.desired, this.options.statuses ?? true);
    const add: AlpacaChannels = {};
    const remove: AlpacaChannels = {};
    for (const channel of CHANNELS) {
      const want = channels[channel];
      const have = this.sent[channel];
      add[channel] = [...want].filter((s) => !have.has(s)).sort();
      remove[channel] = [...have].filter((s) => !want.has(s)).sort();
      this.sent[channel] = want;
    }
    const out: Array<{ kind: 'send'; frame: OutgoingFrame }> = [];
    const unsubscribe = alpacaSubscription('unsubscribe', remove, this.options.codec);
    if (unsubscribe) out.push({ kind: 'send', frame: unsubscribe });
    const subscribe = alpacaSubscription('subscribe', add, this.options.codec);
    if (subscribe) out.push({ kind: 'send', frame: subscribe });
    return out;
  }

  received(data: Uint8Array | string, binary: boolean): readonly CoreEffect[] {
    const frame = this.decoder.decode(data, binary);
    this.deliver(frame);
    if (frame.controls.length === 0 && frame.malformed.length === 0) return NO_EFFECTS;
    const effects: CoreEffect[] = [];
    for (const reason of frame.malformed)
      effects.push({ kind: 'problem', message: `malformed message: ${reason}` });
    for (const control of frame.controls) this.control(control, effects);
    return effects;
  }

  private deliver(frame: AlpacaFrame): void {
    const sink = this.options.sink;
    if (frame.bars.length > 0) sink.bars(frame.bars, 'STREAMED');
    if (frame.updatedBars.length > 0) sink.bars(frame.updatedBars, 'UPDATED');
    if (frame.trades.length > 0) sink.trades(frame.trades);
    if (frame.corrections.length > 0) sink.corrections(frame.corrections);
    if (frame.cancels.length > 0) sink.cancels(frame.cancels);
    if (frame.quotes.length > 0) sink.quotes(frame.quotes);
    if (frame.statuses.length > 0) sink.tradingStatuses(frame.statuses);
  }

  private control(control: AlpacaFrame['controls'][number], effects: CoreEffect[]): void {
    switch (control.T) {
      case 'success':
        if (control.msg === 'connected' && this.phase === 'GREETING') {
          this.phase = 'AUTHENTICATING';
          effects.push({
            kind: 'send',
            frame: alpacaAuth(this.options.key, this.options.secret, this.options.codec),
          });
        } else if (control.msg === 'authenticated' && this.phase === 'AUTHENTICATING') {
          this.phase = 'SUBSCRIBING';
          this.reportUnsupported(effects);
          const sends = this.diff();
          effects.push(...sends);
          if (sends.length === 0) {
            this.phase = 'READY';
            effects.push({ kind: 'ready' });
          }
        }
        return;
      case 'subscription':
        this.acknowledged = control.channels;
        this.reportUnsupported(effects);
        if (this.phase === 'SUBSCRIBING') {
          this.phase = 'READY';
          effects.push({ kind: 'ready' });
        }
        return;
      case 'error':
        this.error(control.code, control.msg, effects);
    }
  }

  private reportUnsupported(effects: CoreEffect[]): void {
    const { unsupported } = alpacaChannelsFor(this.desired, false);
    for (const symbol of unsupported) {
      if (this.reportedUnsupported.has(symbol)) continue;
      this.reportedUnsupported.add(symbol);
      effects.push({
        kind: 'problem',
        message: `${symbol}: Alpaca streams 1m bars only, so a 1s BARS symbol gets no bars (load it with source TRADES)`,
      });
    }
  }

  private error(code: number, msg: string, effects: CoreEffect[]): void {
    const rule = ALPACA_ERRORS[code];
    const text = `Alpaca error ${code} ${msg || rule?.message || ''}`.trim();
    const reason = rule ? `${text}: ${rule.meaning}` : text;
    let action: AlpacaErrorAction = rule?.action ?? 'PROBLEM';
    // After the feed is up, 409 refuses a channel of a subscription, not the feed.
    if (code === 409 && this.phase === 'READY') action = 'PROBLEM';
    switch (action) {
      case 'IGNORE':
        return;
      case 'PROBLEM':
        effects.push({ kind: 'problem', message: reason, code });
        return;
      case 'RECONNECT':
        effects.push({ kind: 'reconnect', reason, code });
        return;
      case 'STOP':
        effects.push({ kind: 'stop', reason, code });
    }
  }
}
