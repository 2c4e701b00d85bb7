/**
 * Query result cache keyed by the tree's change sequence.
 *
 * Every change of the session tree — a bar, a correction, the clock, a quote, a tick, a load, a
 * removal, a start or an end — takes a new number of one monotonic sequence (`session.seq`). A query
 * that reads only the tree therefore has exactly one answer per sequence number: when the same
 * document with the same variables is asked again before anything changed, the answer (already
 * serialised) is served again instead of being recomputed. Many clients polling the same dashboard
 * query between two bars then cost one execution.
 *
 * Not cached: results with errors, results that read the store (historical dates outside memory:
 * the store can change without the tree knowing), results whose execution saw the sequence move,
 * and answers above 4 MB. The cache holds at most `maxEntries` answers and `maxBytes` in total,
 * least recently used first out.
 *
 * An answer is kept as UTF-8 bytes, encoded once: a JSON response (`application/json` or
 * `application/graphql-response+json`, negotiated by yoga as for any answer) is then one write of
 * those bytes, where a string body would be encoded again for every client. SSE and multipart
 * answers of a cached result still go through yoga's own processors.
 */
import type { DocumentNode, ExecutionResult } from 'graphql/index.js';
import { getOperationAST } from 'graphql/index.js';
import { type Plugin, processRegularResult } from 'graphql-yoga';
import type { SessionData } from '../session/session-data.ts';
import type { Context } from './builder.ts';

/** Set in a context's memo by anything that reads outside the tree. */
export const UNCACHEABLE = 'uncacheable';

interface Entry {
  readonly seq: number;
  readonly result: ExecutionResult;
  readonly bytes: number;
}

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

type Stringified = ExecutionResult & { stringify?: (result: unknown) => string };

/** Options of the cache. */
export interface ResultCacheOptions {
  readonly maxEntries?: number;
  readonly maxBytes?: number;
  readonly maxEntryBytes?: number;
}

/** The cache as a yoga plugin (place it before the executor plugins). */
export function resultCachePlugin(session: SessionData, options: ResultCacheOptions = {}): Plugin<Context> {
  const maxEntries = options.maxEntries ?? 64;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const maxEntryBytes = options.maxEntryBytes ?? 4 * 1024 * 1024;
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  const entries = new Map<string, Entry>();
  const encoded = new WeakMap<ExecutionResult, Uint8Array<ArrayBuffer>>();
  const encoder = new TextEncoder();
  let bytes = 0;

  const evict = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.bytes;
  };

  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return;
      let id = documentIds.get(args.document);
      if (id === undefined) {
        id = nextDocumentId++;
        documentIds.set(args.document, id);
      }
      const key = `${id}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
      const seq = session.seq;
      const hit = entries.get(key);
      if (hit && hit.seq === seq) {
        entries.delete(key);
        entries.set(key, hit);
        setResultAndStopExecution(hit.result);
        return;
      }
      if (hit) evict(key);
      const context = args.contextValue as Context;
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in (result as object)) return;
          const done = result as Stringified;
          if (done.errors?.length || session.seq !== seq || context.memo.has(UNCACHEABLE)) return;
          const body = (done.stringify ?? JSON.stringify)(done);
          if (body.length > maxEntryBytes) return;
          const buffer = encoder.encode(body);
          const cached: Stringified = { ...done, stringify: () => body };
          encoded.set(cached, buffer);
          setResult(cached);
          entries.set(key, { seq, result: cached, bytes: buffer.byteLength });
          bytes += buffer.byteLength;
          for (const oldest of entries.keys()) {
            if (entries.size <= maxEntries && bytes <= maxBytes) break;
            evict(oldest);
          }
        },
      };
    },
    onResultProcess({ request, result, resultProcessor, setResultProcessor }) {
      if (resultProcessor !== processRegularResult || Array.isArray(result)) return;
      const buffer = encoded.get(result as ExecutionResult);
      const mediaType = buffer && acceptedJsonType(request.headers.get('accept'));
      if (!buffer || !mediaType) return;
      setResultProcessor(
        (_result, fetchAPI) =>
          new fetchAPI.Response(buffer, {
            status: 200,
            headers: {
              'Content-Type': `${mediaType}; charset=utf-8`,
              'Content-Length': String(buffer.byteLength),
            },
          }),
        mediaType,
      );
    },
  };
}
