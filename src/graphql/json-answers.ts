/**
 * How JSON answers are written: every result yoga's regular processor would answer
 * (`application/json` or `application/graphql-response+json`, negotiated as yoga does; never SSE
 * or multipart, which stream).
 *
 * - A result whose bytes are known ({@link rememberAnswerBytes}: the result cache encodes each
 *   cached answer once) is one write of those bytes, status 200 (cached answers hold no errors).
 * - When the request's `Accept-Encoding` allows gzip and the body is 1 KiB or more, the answer is
 *   gzip-compressed — a cached answer once for all the clients that get it — and says
 *   `Content-Encoding: gzip`. Every JSON answer says `Vary: Accept-Encoding`.
 * - Anything else is yoga's own answer, untouched but for `Vary`.
 */
import type { ExecutionResult } from 'graphql/index.js';
import { isAsyncIterable, type Plugin, processRegularResult } from 'graphql-yoga';
import { acceptsGzip, gzipBytes, MIN_COMPRESSED_BYTES } from '../lib/content-encoding.ts';

/** The JSON media types of yoga's regular result processor, most specific first. */
const JSON_MEDIA_TYPES = ['application/graphql-response+json', 'application/json'] as const;

/**
 * The JSON media type yoga's regular processor answers with for this `Accept` header: the first
 * listed range that matches one of the two, and `application/json` when a range matches both
 * (as in `processRegularResult`'s negotiation: `*\/*` and `application/*` get `application/json`).
 */
export function acceptedJsonType(accept: string | null): (typeof JSON_MEDIA_TYPES)[number] | null {
  for (const range of (accept ?? '*/*').replace(/\s/g, '').toLowerCase().split(',')) {
    const [type, ...params] = range.split(';');
    const charset = params.find((param) => param.includes('charset='));
    if (!type || (charset !== undefined && charset !== 'charset=utf-8')) continue;
    const [main, sub] = type.split('/');
    const matches = JSON_MEDIA_TYPES.filter((media) => {
      const [mediaMain, mediaSub] = media.split('/');
      return (main === '*' || main === mediaMain) && (sub === '*' || sub === mediaSub);
    });
    if (matches.length > 0) return matches.at(-1)!;
  }
  return null;
}

const answerBytes = new WeakMap<ExecutionResult, Uint8Array<ArrayBuffer>>();
const gzippedAnswers = new WeakMap<ExecutionResult, Promise<Uint8Array<ArrayBuffer>>>();

/** Records the UTF-8 JSON of a result that will be answered again (a cached answer). */
export function rememberAnswerBytes(result: ExecutionResult, bytes: Uint8Array<ArrayBuffer>): void {
  answerBytes.set(result, bytes);
}

/** The UTF-8 JSON remembered for a result, if any. */
export function answerBytesOf(result: ExecutionResult): Uint8Array<ArrayBuffer> | undefined {
  return answerBytes.get(result);
}

/** A cached answer's gzip, made once (a failed compression is not kept). */
function gzippedAnswer(
  result: ExecutionResult,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  let made = gzippedAnswers.get(result);
  if (made === undefined) {
    made = gzipBytes(bytes);
    made.catch(() => gzippedAnswers.delete(result));
    gzippedAnswers.set(result, made);
  }
  return made;
}

const VARY = 'Accept-Encoding';

/** The JSON answers as a yoga plugin (after the result cache, which remembers answer bytes). */
export function jsonAnswersPlugin(): Plugin {
  return {
    onResultProcess({ request, result, resultProcessor, setResultProcessor }) {
      if (resultProcessor !== processRegularResult || Array.isArray(result) || isAsyncIterable(result))
        return;
      const mediaType = acceptedJsonType(request.headers.get('accept'));
      if (mediaType === null) return;
      const gzip = acceptsGzip(request.headers.get('accept-encoding'));
      const known = answerBytes.get(result);
      setResultProcessor(async (answer, fetchAPI) => {
        const executed = answer as ExecutionResult;
        if (known !== undefined) {
          const compress = gzip && known.byteLength >= MIN_COMPRESSED_BYTES;
          const body = compress ? await gzippedAnswer(executed, known) : known;
          return new fetchAPI.Response(body, {
            status: 200,
            headers: {
              'Content-Type': `${mediaType}; charset=utf-8`,
              'Content-Length': String(body.byteLength),
              Vary: VARY,
              ...(compress ? { 'Content-Encoding': 'gzip' } : {}),
            },
          });
        }
        const plain = processRegularResult(executed, fetchAPI, mediaType);
        plain.headers.set('Vary', VARY);
        if (!gzip) return plain;
        const bytes = new Uint8Array(await plain.arrayBuffer());
        const headers = new fetchAPI.Headers(plain.headers);
        if (bytes.byteLength < MIN_COMPRESSED_BYTES) {
          return new fetchAPI.Response(bytes, { status: plain.status, headers });
        }
        const body = await gzipBytes(bytes);
        headers.set('Content-Encoding', 'gzip');
        headers.set('Content-Length', String(body.byteLength));
        return new fetchAPI.Response(body, { status: plain.status, headers });
      }, mediaType);
    },
  };
}
