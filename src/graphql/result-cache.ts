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
 * An answer is kept as UTF-8 bytes, encoded once (src/graphql/json-answers.ts writes them, and
 * compresses them once for the clients that accept gzip), where a string body would be encoded
 * again for every client. SSE and multipart answers of a cached result go through yoga's own
 * processors.
 */
import type { DocumentNode, ExecutionResult } from 'graphql/index.js';
import { getOperationAST } from 'graphql/index.js';
import type { Plugin } from 'graphql-yoga';
import type { SessionData } from '../session/session-data.ts';
import type { Context } from './context.ts';
import { answerBytesOf, rememberAnswerBytes } from './json-answers.ts';

/** Set in a context's memo by anything that reads outside the tree. */
export const UNCACHEABLE = 'uncacheable';

interface Entry {
  readonly seq: number;
  readonly result: ExecutionResult;
  readonly bytes: number;
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
          // An answer of the read path's executor is already its bytes: kept as it is.
          const known = answerBytesOf(done);
          let cached: Stringified = done;
          let buffer: Uint8Array<ArrayBuffer>;
          if (known !== undefined) {
            if (known.byteLength > maxEntryBytes) return;
            buffer = known;
          } else {
            const body = (done.stringify ?? JSON.stringify)(done);
            if (body.length > maxEntryBytes) return;
            buffer = encoder.encode(body);
            cached = { ...done, stringify: () => body };
            rememberAnswerBytes(cached, buffer);
            setResult(cached);
          }
          entries.set(key, { seq, result: cached, bytes: buffer.byteLength });
          bytes += buffer.byteLength;
          for (const oldest of entries.keys()) {
            if (entries.size <= maxEntries && bytes <= maxBytes) break;
            evict(oldest);
          }
        },
      };
    },
  };
}
