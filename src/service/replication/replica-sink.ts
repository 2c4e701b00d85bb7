/**
 * Persistence on a replica: the store is written once per command, by the lease holder, and no
 * acknowledged change is lost when the holder dies.
 *
 * Every replica applies every record and so produces the same writes (base bars, quotes, ticks),
 * tagged with the stream position of the record that made them. The holder hands them to its
 * {@link StoreWriter}; every other replica **retains** them until the holder reports them durable
 * (`release(upTo)`, from the persisted position the holder publishes). A replica that takes the lease
 * first writes what it retained after the last persisted position (`becomeHolder`): the writes are
 * idempotent (bars are upserts that skip identical rows, quotes and ticks are keyed by arrival
 * number), so what the old holder had written already is not stored twice.
 */
import type { IsoDate, Quote, StoredBar, Tick } from '../../domain/types.ts';
import type { StoreWriter } from '../../store/writer.ts';
import type { DataSink } from '../session-service.ts';

type Retained =
  | {
      readonly pos: number;
      readonly kind: 'bar';
      readonly symbol: string;
      readonly interval: string;
      readonly date: IsoDate;
      readonly bar: StoredBar;
    }
  | {
      readonly pos: number;
      readonly kind: 'quote';
      readonly symbol: string;
      readonly date: IsoDate;
      readonly seq: number;
      readonly quote: Quote;
    }
  | {
      readonly pos: number;
      readonly kind: 'tick';
      readonly symbol: string;
      readonly date: IsoDate;
      readonly seq: number;
      readonly tick: Tick;
    };

/** The writes of a replica (see the module comment). */
export class ReplicaSink implements DataSink {
  #holder = false;
  #retained: Retained[] = [];
  /** [stream position, writer sequence after it] of applied records, oldest first (holder only). */
  #marks: [number, number][] = [];
  #durable = 0;
  /** Stream position of the record being applied (set by the applier). */
  position = 0;

  constructor(
    private readonly writer: StoreWriter,
    private readonly maxRetained: number,
  ) {}

  /** Whether this replica writes (it holds the lease). */
  get holder(): boolean {
    return this.#holder;
  }

  /** Writes retained, waiting for the holder to make them durable. */
  get retained(): number {
    return this.#retained.length;
  }

  enqueueBar(symbol: string, interval: string, date: IsoDate, bar: StoredBar): void {
    if (this.#holder) this.writer.enqueueBar(symbol, interval, date, bar);
    else this.#retained.push({ pos: this.position, kind: 'bar', symbol, interval, date, bar });
  }

  enqueueQuote(symbol: string, date: IsoDate, seq: number, quote: Quote): void {
    if (this.#holder) this.writer.enqueueQuote(symbol, date, seq, quote);
    else this.#retained.push({ pos: this.position, kind: 'quote', symbol, date, seq, quote });
  }

  enqueueTick(symbol: string, date: IsoDate, seq: number, tick: Tick): void {
    if (this.#holder) this.writer.enqueueTick(symbol, date, seq, tick);
    else this.#retained.push({ pos: this.position, kind: 'tick', symbol, date, seq, tick });
  }

  /** The holder: everything handed to the writer so far is durable. Others: nothing to wait for. */
  flush(): Promise<void> {
    return this.#holder ? this.writer.flush() : Promise.resolve();
  }

  /**
   * Always true while a record is applied: whether a batch may be accepted is decided before it is
   * published (`hasRoom`), identically for every replica that applies it.
   */
  hasCapacity(): boolean {
    return true;
  }

  /** Whether `count` more writes fit (the receiving replica's check before it publishes an ingest). */
  hasRoom(count: number): boolean {
    return this.#holder ? this.writer.hasCapacity(count) : this.#retained.length + count <= this.maxRetained;
  }

  /** Records that the record at `position` has been applied (the holder tracks what is durable). */
  applied(position: number): void {
    if (!this.#holder) return;
    const accepted = this.writer.status().acceptedSeq;
    const last = this.#marks.at(-1);
    if (last && last[1] === accepted) last[0] = position;
    else this.#marks.push([position, accepted]);
  }

  /** The holder: the latest position whose writes (and all before) are in the database. */
  durablePosition(): number {
    if (!this.#holder) return this.#durable;
    const durableSeq = this.writer.status().durableSeq;
    let i = 0;
    while (i < this.#marks.length && this.#marks[i]![1] <= durableSeq) this.#durable = this.#marks[i++]![0];
    if (i > 0) this.#marks.splice(0, i);
    return this.#durable;
  }

  /** Drops the retained writes of records up to `position` (the holder made them durable). */
  release(position: number): void {
    if (position > this.#durable) this.#durable = position;
    if (this.#holder) return;
    let i = 0;
    while (i < this.#retained.length && this.#retained[i]!.pos <= position) i++;
    if (i > 0) this.#retained.splice(0, i);
  }

  /** Takes over the writes: what was retained after `persisted` goes to the writer first. */
  becomeHolder(persisted: number): void {
    this.release(persisted);
    for (const item of this.#retained) {
      if (item.kind === 'bar') this.writer.enqueueBar(item.symbol, item.interval, item.date, item.bar);
      else if (item.kind === 'quote') this.writer.enqueueQuote(item.symbol, item.date, item.seq, item.quote);
      else this.writer.enqueueTick(item.symbol, item.date, item.seq, item.tick);
    }
    this.#retained = [];
    this.#holder = true;
    this.#marks = [[this.position, this.writer.status().acceptedSeq]];
  }

  /** Gives the writes up (the lease was lost): from now on they are retained again. */
  resign(): void {
    this.#holder = false;
    this.#marks = [];
  }
}
