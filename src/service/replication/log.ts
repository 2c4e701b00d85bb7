/**
 * The command log: ONE JetStream stream carrying every {@link LogRecord} of the session, in one
 * order, to every replica.
 *
 * - **Subjects.** `<prefix>.session` for the records that begin a session (start, restore),
 *   `<prefix>.cmd` for everything else; the stream holds `<prefix>.>`. A joining replica reads from
 *   the latest `<prefix>.session` message (`latestSessionStart`), so the stream must reach back to the
 *   start of the current session: the retention is `maxAgeMs` (default 7 days, which covers any
 *   session and a weekend) and `maxBytes`, discarding the oldest.
 * - **Publish** with the record id as `Nats-Msg-Id`: a record published twice within the duplicate
 *   window (2 minutes) is stored once. A record larger than `maxChunkBytes` (default 256 KiB, far
 *   under the server's 1 MiB message limit) is split into parts (`Rec-Part: i/n`, ids `<id>.<i>`),
 *   published in order; the follower applies it when its last part arrives, at that part's position.
 * - **Follow** with an ordered consumer from a stream position, applying each record through an
 *   awaited callback, strictly in stream order; the consumer is recreated by the client after a
 *   reconnect, continuing after the last position it delivered (catch-up after an outage).
 * - **Faults.** Publishing while disconnected, or a publish whose acknowledgement does not come within
 *   `publishTimeoutMs`, is a ServiceError BUS_UNAVAILABLE: nothing is acknowledged to a user that
 *   the stream may not hold.
 */
import {
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, headers, type NatsConnection, nanos } from '@nats-io/transport-node';
import { ServiceError } from '../../domain/errors.ts';
import { decodeRecord, encodeRecord, RecordFormatError } from './codec.ts';
import { type LogRecord, SESSION_KINDS } from './commands.ts';

/** Options of {@link CommandLog.open}. */
export interface CommandLogOptions {
  /** `nats://host:port` (comma-separated for a cluster). */
  readonly url: string;
  /** Stream name (default `SESSION`). */
  readonly stream?: string;
  /** Subject prefix (default `session`). */
  readonly prefix?: string;
  /** How long the stream keeps a record (default 7 days). */
  readonly maxAgeMs?: number;
  /** Most bytes the stream keeps (default 8 GiB; the oldest go first). */
  readonly maxBytes?: number;
  /** Stream replicas in a NATS cluster (default 1). */
  readonly replicas?: number;
  /** Largest part of a record (default 256 KiB). */
  readonly maxChunkBytes?: number;
  /** Longest wait for a publish acknowledgement (default 5 s). */
  readonly publishTimeoutMs?: number;
  /** Client name shown by the server (the replica id). */
  readonly name?: string;
  /** Wait for the first connection instead of failing (default false). */
  readonly waitForServer?: boolean;
}

/** Where a published record landed. */
export interface Published {
  /** Stream position of its (last) message. */
  readonly seq: number;
  /** True when the stream already held it (same id within the duplicate window). */
  readonly duplicate: boolean;
}

/** Applies one record; awaited, so records are applied one at a time in stream order. */
export type ApplyRecord = (record: LogRecord, seq: number) => void | Promise<void>;

/** A running follower (see {@link CommandLog.follow}). */
export interface Follower {
  /** Stream position of the latest message handled (0: none yet). */
  readonly position: number;
  /** Messages in the stream after `position`, as of the latest delivery. */
  readonly pending: number;
  /** Stops following. */
  stop(): Promise<void>;
}

/** What the follower reports besides records. */
export interface FollowOptions {
  /** A message that is no record of this format (skipped, on every replica alike). */
  readonly onMalformed?: (seq: number, error: Error) => void;
  /** The apply callback threw: following stops (the replica must not skip a record). */
  readonly onApplyError?: (seq: number, error: unknown) => void;
}

const DAY_MS = 86_400_000;
const DUPLICATE_WINDOW_MS = 120_000;

/** The command log (see the module comment). */
export class CommandLog {
  #connected = true;
  #closed = false;

  private constructor(
    readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    readonly prefix: string,
    private readonly maxChunk: number,
    private readonly publishTimeoutMs: number,
  ) {
    void this.watchStatus();
  }

  /**
   * Connects and creates (or updates) the stream.
   * @throws ServiceError BUS_UNAVAILABLE when no server answers
   */
  static async open(options: CommandLogOptions): Promise<CommandLog> {
    const stream = options.stream ?? 'SESSION';
    const prefix = options.prefix ?? 'session';
    let connection: NatsConnection;
    try {
      connection = await connect({
        servers: options.url.split(',').map((s) => s.trim()),
        name: options.name ?? 'session-replica',
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        waitOnFirstConnect: options.waitForServer ?? false,
        timeout: 3000,
      });
    } catch (error) {
      throw busUnavailable(error);
    }
    try {
      const jsm = await jetstreamManager(connection);
      const config = {
        subjects: [`${prefix}.>`],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_age: nanos(options.maxAgeMs ?? 7 * DAY_MS),
        max_bytes: options.maxBytes ?? 8 * 1024 ** 3,
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
        num_replicas: options.replicas ?? 1,
      };
      const exists = await jsm.streams.info(stream).then(
        () => true,
        () => false,
      );
      if (exists) await jsm.streams.update(stream, config);
      else await jsm.streams.add({ name: stream, ...config });
      return new CommandLog(
        connection,
        jetstream(connection),
        jsm,
        stream,
        prefix,
        options.maxChunkBytes ?? 256 * 1024,
        options.publishTimeoutMs ?? 5000,
      );
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw busUnavailable(error);
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnecting') this.#connected = false;
      else if (status.type === 'reconnect') this.#connected = true;
    }
  }

  /** Whether the connection to NATS is up. */
  get connected(): boolean {
    return this.#connected && !this.#closed && !this.connection.isClosed();
  }

  /** Subject of a record. */
  subjectOf(record: LogRecord): string {
    return `${this.prefix}.${SESSION_KINDS.has(record.command.kind) ? 'session' : 'cmd'}`;
  }

  /**
   * Publishes a record and waits for the stream's acknowledgement (durable in the stream).
   * @throws ServiceError BUS_UNAVAILABLE
   */
  async publish(record: LogRecord): Promise<Published> {
    if (!this.connected)
      throw new ServiceError('BUS_UNAVAILABLE', 'the message bus (NATS) is unreachable: retry later');
    const bytes = encodeRecord(record);
    const subject = this.subjectOf(record);
    const parts = Math.max(1, Math.ceil(bytes.byteLength / this.maxChunk));
    try {
      if (parts === 1) {
        const ack = await this.js.publish(subject, bytes, {
          msgID: record.id,
          timeout: this.publishTimeoutMs,
        });
        return { seq: ack.seq, duplicate: ack.duplicate };
      }
      let last: Published = { seq: 0, duplicate: false };
      for (let i = 0; i < parts; i++) {
        const h = headers();
        h.set('Rec-Part', `${i + 1}/${parts}`);
        h.set('Rec-Id', record.id);
        const chunk = bytes.subarray(i * this.maxChunk, (i + 1) * this.maxChunk);
        const ack = await this.js.publish(subject, chunk, {
          msgID: `${record.id}.${i + 1}`,
          headers: h,
          timeout: this.publishTimeoutMs,
        });
        last = { seq: ack.seq, duplicate: ack.duplicate };
      }
      return last;
    } catch (error) {
      throw busUnavailable(error);
    }
  }

  /**
   * The stream's latest position (0 when empty).
   * @throws ServiceError BUS_UNAVAILABLE
   */
  async lastSeq(): Promise<number> {
    try {
      return (await this.jsm.streams.info(this.stream)).state.last_seq;
    } catch (error) {
      throw busUnavailable(error);
    }
  }

  /**
   * Position of the latest record that begins a session (start or restore), null when the stream
   * holds none: a joining replica reads the log from there.
   * @throws ServiceError BUS_UNAVAILABLE
   */
  async latestSessionStart(): Promise<number | null> {
    try {
      const message = await this.jsm.streams.getMessage(this.stream, {
        last_by_subj: `${this.prefix}.session`,
      });
      return message?.seq ?? null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw busUnavailable(error);
    }
  }

  /** Deletes every record before `seq` (the holder, once a newer session is under way). */
  async purgeBefore(seq: number): Promise<void> {
    try {
      await this.jsm.streams.purge(this.stream, { seq });
    } catch (error) {
      throw busUnavailable(error);
    }
  }

  /**
   * Applies every record from stream position `from` (≥ 1) on, in order, through `apply`, and keeps
   * following (see the module comment).
   */
  async follow(from: number, apply: ApplyRecord, options: FollowOptions = {}): Promise<Follower> {
    const consumer = await this.js.consumers.get(this.stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, from),
    });
    const messages = await consumer.consume({ max_messages: 512 });
    const state = { position: Math.max(0, from - 1), pending: 0, stopped: false };
    const partial = new Map<string, Uint8Array[]>();
    const done = (async () => {
      for await (const m of messages) {
        if (state.stopped) break;
        const seq = m.seq;
        state.pending = m.info.pending;
        let bytes: Uint8Array | null = m.data;
        const part = m.headers?.get('Rec-Part');
        if (part) {
          const id = m.headers!.get('Rec-Id');
          const [index, count] = part.split('/').map(Number) as [number, number];
          const parts = index === 1 ? [] : (partial.get(id) ?? null);
          if (parts === null || parts.length !== index - 1) {
            // A part without its predecessors (the log was read from the middle of a record): skipped.
            partial.delete(id);
            bytes = null;
          } else if (index < count) {
            parts.push(m.data);
            partial.set(id, parts);
            bytes = null;
          } else {
            partial.delete(id);
            bytes = Buffer.concat([...parts, m.data]);
          }
        }
        if (bytes !== null) {
          let record: LogRecord | null = null;
          try {
            record = decodeRecord(bytes);
          } catch (error) {
            if (!(error instanceof RecordFormatError)) throw error;
            options.onMalformed?.(seq, error);
          }
          if (record !== null) {
            try {
              await apply(record, seq);
            } catch (error) {
              options.onApplyError?.(seq, error);
              state.stopped = true;
              break;
            }
          }
        }
        state.position = seq;
      }
    })();
    return {
      get position() {
        return state.position;
      },
      get pending() {
        return state.pending;
      },
      async stop() {
        state.stopped = true;
        await messages.close().catch(() => undefined);
        await done.catch(() => undefined);
      },
    };
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.connection.close().catch(() => undefined);
  }
}

function isNotFound(error: unknown): boolean {
  const text = String((error as Error)?.message ?? error);
  return /no message found|not found|10037/i.test(text);
}

/** A ServiceError BUS_UNAVAILABLE naming the cause. */
export function busUnavailable(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  const cause = error instanceof Error ? error.message : String(error);
  return new ServiceError('BUS_UNAVAILABLE', `the message bus (NATS) is unreachable: ${cause}; retry later`);
}
