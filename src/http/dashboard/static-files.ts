/**
 * Static files served from memory: each mount maps a URL prefix to a set of named files, loaded on
 * the first request under it. Every answer carries a strong ETag (a `304 Not Modified` for a
 * matching `If-None-Match`) and `Cache-Control: no-cache`, so a browser keeps its copy and only
 * revalidates it; bodies of 1 KiB or more are gzip-compressed (once per file, on the thread pool)
 * for clients that accept it.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptsGzip, gzipBytes, MIN_COMPRESSED_BYTES } from '../../lib/content-encoding.ts';

/** One file to serve. */
export interface FileBody {
  readonly contentType: string;
  readonly body: string | Uint8Array;
  /** Extra response headers (e.g. a Content-Security-Policy for a page). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The files of one mount, by name (a path below the prefix, without a leading slash). */
export type FileSource = () => Promise<ReadonlyMap<string, FileBody>>;

/** A URL prefix (ending in `/`, or a single exact path) and the files below it. */
export interface Mount {
  readonly prefix: string;
  readonly load: FileSource;
}

interface ServedFile {
  readonly contentType: string;
  readonly bytes: Buffer;
  readonly etag: string;
  readonly headers: Readonly<Record<string, string>>;
  gzipped: Promise<Uint8Array> | null;
}

function served(file: FileBody): ServedFile {
  const bytes = typeof file.body === 'string' ? Buffer.from(file.body, 'utf8') : Buffer.from(file.body);
  const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
  return { contentType: file.contentType, bytes, etag, headers: file.headers ?? {}, gzipped: null };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}

/** The files of several mounts. */
export class StaticFiles {
  private readonly loaded = new Map<string, Promise<ReadonlyMap<string, ServedFile>>>();

  constructor(private readonly mounts: readonly Mount[]) {}

  /** The file at a URL path, or null when no mount holds it. */
  async find(path: string): Promise<ServedFile | null> {
    for (const mount of this.mounts) {
      const exact = !mount.prefix.endsWith('/');
      if (exact ? path !== mount.prefix : !path.startsWith(mount.prefix)) continue;
      const name = exact ? '' : path.slice(mount.prefix.length);
      let files = this.loaded.get(mount.prefix);
      if (!files) {
        files = mount.load().then((source) => new Map([...source].map(([key, file]) => [key, served(file)])));
        files.catch(() => this.loaded.delete(mount.prefix));
        this.loaded.set(mount.prefix, files);
      }
      const file = (await files).get(name);
      if (file) return file;
    }
    return null;
  }

  /** Answers a GET or HEAD for a file of a mount; false when none holds the path. */
  async serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const file = await this.find(path);
    if (!file) return false;
    const common = {
      etag: file.etag,
      'cache-control': 'no-cache',
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
      ...file.headers,
    };
    if (etagMatches(req.headers['if-none-match'], file.etag)) {
      res.writeHead(304, common);
      res.end();
      return true;
    }
    const gzip = acceptsGzip(req.headers['accept-encoding']) && file.bytes.byteLength >= MIN_COMPRESSED_BYTES;
    let body: Uint8Array = file.bytes;
    if (gzip) {
      file.gzipped ??= gzipBytes(file.bytes);
      body = await file.gzipped;
    }
    res.writeHead(200, {
      ...common,
      'content-type': file.contentType,
      'content-length': body.byteLength,
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
}
