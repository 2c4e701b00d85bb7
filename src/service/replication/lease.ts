/**
 * The lease: which replica runs what must run once (the LIVE clock's ticks, the replay driver, a
 * feed adapter, the store's writes). A JetStream key-value bucket whose entries live `ttlMs`
 * (the bucket's max age) holds one key; its holder rewrites it every `ttlMs / 4`.
 *
 * - **Acquire**: `create` (succeeds only when the key is absent, deleted or expired). The token is
 *   the revision of that create: a stream sequence, so every later holder has a larger token.
 * - **Renew**: `update` expecting the last revision; a mismatch means another replica holds it.
 * - **Lose**: a renewal that fails for `ttlMs − 2 × tick` since the last successful one (NATS
 *   unreachable) gives the lease up locally before it can expire on the server, so two replicas never
 *   both believe they hold it (with clocks that run at the same rate).
 * - **Release** (clean shutdown): delete the key, so another replica takes it at its next try.
 * - **Failover** after a holder dies: the key expires `ttlMs` after its last renewal, and a candidate
 *   tries every tick: another replica holds the lease within `ttlMs + tick` (+ the server's expiry
 *   scan), 3.75 s with the default 3 s TTL.
 */
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

/** Options of {@link Lease.open}. */
export interface LeaseOptions {
  readonly connection: NatsConnection;
  /** This replica's id (the key's value). */
  readonly replica: string;
  /** Bucket name (default `session-lease`). */
  readonly bucket?: string;
  /** Life of an unrenewed lease (default 3,000 ms). */
  readonly ttlMs?: number;
  /** Called when this replica takes the lease, with its token. */
  readonly onAcquired?: (token: number) => void;
  /** Called when this replica no longer holds it (released, taken over or unrenewable). */
  readonly onLost?: (reason: string) => void;
  /** Clock (tests). */
  readonly now?: () => number;
}

const KEY = 'holder';

/** The lease (see the module comment). */
export class Lease {
  #token: number | null = null;
  #revision = 0;
  #renewedAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #busy = false;
  #stopped = false;
  readonly ttlMs: number;
  readonly tickMs: number;
  private readonly now: () => number;

  private constructor(
    private readonly kv: KV,
    private readonly options: LeaseOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 3000;
    this.tickMs = Math.max(50, Math.floor(this.ttlMs / 4));
    this.now = options.now ?? Date.now;
  }

  /** Opens (or creates) the bucket. Campaigning starts with {@link start}. */
  static async open(options: LeaseOptions): Promise<Lease> {
    const ttl = options.ttlMs ?? 3000;
    const kv = await new Kvm(options.connection).create(options.bucket ?? 'session-lease', {
      ttl,
      history: 1,
    });
    return new Lease(kv, options);
  }

  /** The token of the current tenure, null when not held. */
  get token(): number | null {
    return this.#token;
  }

  /** Whether this replica holds the lease. */
  get held(): boolean {
    return this.#token !== null;
  }

  /** The replica holding the lease as the bucket says, null when none. */
  async holder(): Promise<string | null> {
    const entry = await this.kv.get(KEY);
    return entry?.operation === 'PUT' ? entry.string() : null;
  }

  /** Starts trying to take (and then renewing) the lease, once per tick. */
  start(): void {
    if (this.#timer || this.#stopped) return;
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), this.tickMs);
    this.#timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.#busy || this.#stopped) return;
    this.#busy = true;
    try {
      if (this.#token === null) await this.tryAcquire();
      else await this.renew();
    } finally {
      this.#busy = false;
    }
  }

  private async tryAcquire(): Promise<void> {
    try {
      const revision = await this.kv.create(KEY, this.options.replica);
      if (this.#stopped) return;
      this.#token = revision;
      this.#revision = revision;
      this.#renewedAt = this.now();
      this.options.onAcquired?.(revision);
    } catch {
      // Held by another replica (or NATS unreachable): try again next tick.
    }
  }

  private async renew(): Promise<void> {
    try {
      this.#revision = await this.kv.update(KEY, this.options.replica, this.#revision, this.tickMs);
      this.#renewedAt = this.now();
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      if (/wrong last sequence|10071/i.test(message)) this.lose('another replica took the lease');
      else if (this.now() - this.#renewedAt > this.ttlMs - 2 * this.tickMs) {
        this.lose(`the lease could not be renewed: ${message}`);
      }
    }
  }

  private lose(reason: string): void {
    if (this.#token === null) return;
    this.#token = null;
    this.options.onLost?.(reason);
  }

  /** Gives the lease up (deletes the key when held) and stops campaigning. */
  async release(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    const revision = this.#revision;
    if (this.#token !== null) {
      this.lose('released');
      await this.kv.delete(KEY, { previousSeq: revision }).catch(() => undefined);
    }
  }

  /** Stops campaigning without deleting the key (a crash, in tests): the lease expires. */
  abandon(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#token = null;
  }
}
