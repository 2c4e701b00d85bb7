/**
 * Response compression: gzip when the client's `Accept-Encoding` allows it (RFC 9110 §12.5.3:
 * `gzip`, `x-gzip` or `*` with a q-value above 0; `gzip;q=0` refuses it) and the body holds at
 * least {@link MIN_COMPRESSED_BYTES}. zlib's asynchronous API compresses on libuv's thread pool,
 * never on the event loop.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

/** Smaller bodies are sent as they are (gzip would save little and cost a round through zlib). */
export const MIN_COMPRESSED_BYTES = 1024;

const gzipAsync = promisify(gzip);

function qualityOf(params: readonly string[]): number {
  for (const param of params) {
    const [key, value] = param.split('=');
    if (key?.trim() === 'q') {
      const q = Number(value);
      return Number.isFinite(q) ? q : 0;
    }
  }
  return 1;
}

/** Whether an `Accept-Encoding` header allows a gzip-encoded answer. */
export function acceptsGzip(header: string | readonly string[] | null | undefined): boolean {
  if (header === null || header === undefined) return false;
  const value = typeof header === 'string' ? header : header.join(',');
  let gzipQuality: number | null = null;
  let anyQuality: number | null = null;
  for (const part of value.toLowerCase().split(',')) {
    const [coding, ...params] = part.split(';');
    const name = coding?.trim();
    if (name === 'gzip' || name === 'x-gzip') gzipQuality = qualityOf(params);
    else if (name === '*') anyQuality = qualityOf(params);
  }
  return (gzipQuality ?? anyQuality ?? 0) > 0;
}

/** The bytes gzip-compressed (on the thread pool). */
export async function gzipBytes(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await gzipAsync(bytes));
}
