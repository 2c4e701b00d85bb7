/**
 * The contract between a provider's protocol core (pure: frames in, typed data and effects out)
 * and the WebSocket shell that carries its frames (src/feed/live/shell.ts). A core never touches
 * a socket, a timer or a clock: it is tested by feeding it frames.
 */
import type { FeedSubscription } from './types.ts';

/** A frame to send: text, or binary (MessagePack). */
export interface OutgoingFrame {
  readonly data: string | Uint8Array;
  readonly binary: boolean;
}

/** What the shell must do after a frame. */
export type CoreEffect =
  /** Send a frame. */
  | { readonly kind: 'send'; readonly frame: OutgoingFrame }
  /** Authenticated and subscribed: the feed is UP. */
  | { readonly kind: 'ready' }
  /** Close and connect again with back-off (the provider says it may work later). */
  | { readonly kind: 'reconnect'; readonly reason: string; readonly code?: number | string }
  /** Close for good (the provider refuses this account: retrying cannot help). */
  | { readonly kind: 'stop'; readonly reason: string; readonly code?: number | string }
  /** Something to tell a person; the connection goes on. */
  | { readonly kind: 'problem'; readonly message: string; readonly code?: number | string };

/** No effect (most data frames). */
export const NO_EFFECTS: readonly CoreEffect[] = Object.freeze([]);

/** A provider's protocol state for one connection. */
export interface StreamCore {
  /** Extra HTTP headers of the opening handshake (e.g. the content type). */
  readonly headers: Readonly<Record<string, string>>;
  /** Frames to send as soon as the socket is open. */
  opened(): readonly OutgoingFrame[];
  /** Handles one received frame: data goes to the sink, the rest comes back as effects. */
  received(data: Uint8Array | string, binary: boolean): readonly CoreEffect[];
  /** Frames that move the provider's subscriptions to `desired` (none before authentication). */
  update(desired: readonly FeedSubscription[]): readonly OutgoingFrame[];
}
