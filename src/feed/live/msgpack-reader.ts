/**
 * A small MessagePack reader (https://github.com/msgpack/msgpack/blob/master/spec.md) for the
 * hot path of stream decoding: it walks a buffer without building objects, so a decoder reads
 * keys as byte runs and values as numbers, interned strings or timestamps. `readValue` builds a
 * plain value for the rare frames that need one (control messages). Timestamps are the spec's
 * extension type -1 (32-, 64- and 96-bit forms), read as UTC milliseconds.
 */

/** Thrown for bytes that are not MessagePack (or end too early). */
export class MsgpackError extends Error {
  override name = 'MsgpackError';
}

const textDecoder = new TextDecoder();

/** Type of the next value, as far as a decoder needs to tell. */
export const Kind = {
  Nil: 0,
  Bool: 1,
  Number: 2,
  String: 3,
  Array: 4,
  Map: 5,
  Timestamp: 6,
  Other: 7,
} as const;
/** One of {@link Kind}'s values. */
export type Kind = (typeof Kind)[keyof typeof Kind];

/** Reads MessagePack values from a buffer, position by position. */
export class MsgpackReader {
  bytes: Uint8Array = new Uint8Array(0);
  pos = 0;
  private view = new DataView(this.bytes.buffer);

  /** Starts reading `bytes` from its beginning. */
  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }

  /** Whether every byte was read. */
  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  private need(count: number): void {
    if (this.pos + count > this.bytes.length) throw new MsgpackError('MessagePack data ends too early');
  }

  private byte(): number {
    if (this.pos >= this.bytes.length) throw new MsgpackError('MessagePack data ends too early');
    return this.bytes[this.pos++]!;
  }

  /** The kind of the next value (without reading it). */
  kind(): Kind {
    if (this.pos >= this.bytes.length) throw new MsgpackError('MessagePack data ends too early');
    const b = this.bytes[this.pos]!;
    if (b <= 0x7f || b >= 0xe0) return Kind.Number;
    if (b <= 0x8f) return Kind.Map;
    if (b <= 0x9f) return Kind.Array;
    if (b <= 0xbf) return Kind.String;
    switch (b) {
      case 0xc0:
        return Kind.Nil;
      case 0xc2:
      case 0xc3:
        return Kind.Bool;
      case 0xca:
      case 0xcb:
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3:
        return Kind.Number;
      case 0xd9:
      case 0xda:
      case 0xdb:
        return Kind.String;
      case 0xdc:
      case 0xdd:
        return Kind.Array;
      case 0xde:
      case 0xdf:
        return Kind.Map;
      case 0xd6:
      case 0xd7:
        return this.pos + 1 < this.bytes.length && this.bytes[this.pos + 1] === 0xff
          ? Kind.Timestamp
          : Kind.Other;
      case 0xc7:
        return this.pos + 2 < this.bytes.length && this.bytes[this.pos + 2] === 0xff
          ? Kind.Timestamp
          : Kind.Other;
      default:
        return Kind.Other;
    }
  }

  /** Reads a map header: its entry count. */
  mapHeader(): number {
    const b = this.byte();
    if (b >= 0x80 && b <= 0x8f) return b & 0x0f;
    if (b === 0xde) {
      this.need(2);
      const n = this.view.getUint16(this.pos);
      this.pos += 2;
      return n;
    }
    if (b === 0xdf) {
      this.need(4);
      const n = this.view.getUint32(this.pos);
      this.pos += 4;
      return n;
    }
    this.pos--;
    throw new MsgpackError('expected a map');
  }

  /** Reads an array header: its length. */
  arrayHeader(): number {
    const b = this.byte();
    if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
    if (b === 0xdc) {
      this.need(2);
      const n = this.view.getUint16(this.pos);
      this.pos += 2;
      return n;
    }
    if (b === 0xdd) {
      this.need(4);
      const n = this.view.getUint32(this.pos);
      this.pos += 4;
      return n;
    }
    this.pos--;
    throw new MsgpackError('expected an array');
  }

  /** Reads a string header and returns its byte length; the bytes start at `pos`, which it skips. */
  stringBytes(): number {
    const b = this.byte();
    let length: number;
    if (b >= 0xa0 && b <= 0xbf) length = b & 0x1f;
    else if (b === 0xd9) length = this.byte();
    else if (b === 0xda) {
      this.need(2);
      length = this.view.getUint16(this.pos);
      this.pos += 2;
    } else if (b === 0xdb) {
      this.need(4);
      length = this.view.getUint32(this.pos);
      this.pos += 4;
    } else {
      this.pos--;
      throw new MsgpackError('expected a string');
    }
    this.need(length);
    this.pos += length;
    return length;
  }

  /** Reads a string. */
  string(): string {
    const length = this.stringBytes();
    return decodeText(this.bytes, this.pos - length, this.pos);
  }

  /** Reads a number (any integer or float format); NaN, with the value skipped, for anything else. */
  number(): number {
    const b = this.byte();
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    const view = this.view;
    let value: number;
    switch (b) {
      case 0xcb:
        this.need(8);
        value = view.getFloat64(this.pos);
        this.pos += 8;
        return value;
      case 0xca:
        this.need(4);
        value = view.getFloat32(this.pos);
        this.pos += 4;
        return value;
      case 0xcc:
        return this.byte();
      case 0xcd:
        this.need(2);
        value = view.getUint16(this.pos);
        this.pos += 2;
        return value;
      case 0xce:
        this.need(4);
        value = view.getUint32(this.pos);
        this.pos += 4;
        return value;
      case 0xcf:
        this.need(8);
        value = view.getUint32(this.pos) * 4_294_967_296 + view.getUint32(this.pos + 4);
        this.pos += 8;
        return value;
      case 0xd0:
        this.need(1);
        return view.getInt8(this.pos++);
      case 0xd1:
        this.need(2);
        value = view.getInt16(this.pos);
        this.pos += 2;
        return value;
      case 0xd2:
        this.need(4);
        value = view.getInt32(this.pos);
        this.pos += 4;
        return value;
      case 0xd3:
        this.need(8);
        value = view.getInt32(this.pos) * 4_294_967_296 + view.getUint32(this.pos + 4);
        this.pos += 8;
        return value;
      default:
        this.pos--;
        this.skip();
        return Number.NaN;
    }
  }

  /** Reads a timestamp (extension -1) as UTC milliseconds; NaN, with the value skipped, for anything else. */
  timestamp(): number {
    const b = this.byte();
    const view = this.view;
    if (b === 0xd6 && this.bytes[this.pos] === 0xff) {
      this.need(5);
      const seconds = view.getUint32(this.pos + 1);
      this.pos += 5;
      return seconds * 1000;
    }
    if (b === 0xd7 && this.bytes[this.pos] === 0xff) {
      this.need(9);
      const high = view.getUint32(this.pos + 1);
      const low = view.getUint32(this.pos + 5);
      this.pos += 9;
      const nanos = high >>> 2;
      const seconds = (high & 0x3) * 4_294_967_296 + low;
      return seconds * 1000 + Math.floor(nanos / 1e6);
    }
    if (b === 0xc7 && this.bytes[this.pos] === 12 && this.bytes[this.pos + 1] === 0xff) {
      this.need(14);
      const nanos = view.getUint32(this.pos + 2);
      const seconds = view.getInt32(this.pos + 6) * 4_294_967_296 + view.getUint32(this.pos + 10);
      this.pos += 14;
      return seconds * 1000 + Math.floor(nanos / 1e6);
    }
    this.pos--;
    this.skip();
    return Number.NaN;
  }

  /** Skips one value of any type. */
  skip(): void {
    const b = this.byte();
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return;
    if (b <= 0x8f) {
      for (let i = (b & 0x0f) * 2; i > 0; i--) this.skip();
      return;
    }
    if (b <= 0x9f) {
      for (let i = b & 0x0f; i > 0; i--) this.skip();
      return;
    }
    if (b <= 0xbf) {
      this.advance(b & 0x1f);
      return;
    }
    const view = this.view;
    let count: number;
    switch (b) {
      case 0xcc:
      case 0xd0:
        count = 1;
        break;
      case 0xcd:
      case 0xd1:
        count = 2;
        break;
      case 0xca:
      case 0xce:
      case 0xd2:
        count = 4;
        break;
      case 0xcb:
      case 0xcf:
      case 0xd3:
        count = 8;
        break;
      case 0xd4:
        count = 2;
        break;
      case 0xd5:
        count = 3;
        break;
      case 0xd6:
        count = 5;
        break;
      case 0xd7:
        count = 9;
        break;
      case 0xd8:
        count = 17;
        break;
      case 0xc4:
      case 0xd9:
        count = this.byte();
        break;
      case 0xc5:
      case 0xda:
        this.need(2);
        count = 2 + view.getUint16(this.pos);
        break;
      case 0xc6:
      case 0xdb:
        this.need(4);
        count = 4 + view.getUint32(this.pos);
        break;
      case 0xc7:
        count = 1 + this.byte();
        break;
      case 0xc8:
        this.need(2);
        count = 3 + view.getUint16(this.pos);
        break;
      case 0xc9:
        this.need(4);
        count = 5 + view.getUint32(this.pos);
        break;
      case 0xdc:
      case 0xdd: {
        this.pos--;
        for (let i = this.arrayHeader(); i > 0; i--) this.skip();
        return;
      }
      case 0xde:
      case 0xdf: {
        this.pos--;
        for (let i = this.mapHeader() * 2; i > 0; i--) this.skip();
        return;
      }
      default:
        throw new MsgpackError(`0x${b.toString(16)} is not a MessagePack type`);
    }
    this.advance(count);
  }

  private advance(count: number): void {
    this.need(count);
    this.pos += count;
  }

  /** Reads any value as a plain JavaScript value (maps become objects with string keys). */
  value(): unknown {
    switch (this.kind()) {
      case Kind.Nil:
        this.pos++;
        return null;
      case Kind.Bool:
        return this.byte() === 0xc3;
      case Kind.Number:
        return this.number();
      case Kind.String:
        return this.string();
      case Kind.Timestamp:
        return new Date(this.timestamp());
      case Kind.Array: {
        const out: unknown[] = [];
        for (let i = this.arrayHeader(); i > 0; i--) out.push(this.value());
        return out;
      }
      case Kind.Map: {
        const out: Record<string, unknown> = {};
        for (let i = this.mapHeader(); i > 0; i--) {
          const key = this.kind() === Kind.String ? this.string() : String(this.value());
          out[key] = this.value();
        }
        return out;
      }
      default:
        this.skip();
        return undefined;
    }
  }
}

/** UTF-8 text of `bytes[start, end)` (ASCII without a decoder call). */
export function decodeText(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 16) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (bytes[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      let text = '';
      for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
      return text;
    }
  }
  return textDecoder.decode(bytes.subarray(start, end));
}
