/**
 * What every answer of the fuzz suite must be: well-formed, every error with a documented
 * `extensions.code` (src/graphql/error-codes.ts) and the HTTP status documented for it, and
 * nothing internal — no stack trace, SQL, file path or JavaScript error in any text.
 */
import { ERROR_CODES, isErrorCode, type Transport } from '../../src/graphql/error-codes.ts';

/** Text that must never reach a client. */
const LEAKS: readonly RegExp[] = [
  /\bat (?:async )?[\w.<>]+ \(/, // a stack frame
  /\bat (?:file|node):/,
  /\.(?:ts|js|mjs|cjs):\d+/, // a source position
  /\/work\/|node_modules|\/usr\/|\/tmp\//,
  /\b(?:SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/,
  /\bFailed query\b|\bpostgres\b|\bPGlite\b|relation "/i,
  /originalError|stacktrace|RangeError|TypeError|SyntaxError|ReferenceError/,
  /Maximum call stack/,
];

/** A broken invariant. */
export class Violation extends Error {}

function fail(what: string, context: string): never {
  throw new Violation(`${what}\n  in: ${context.slice(0, 600)}`);
}

/** Throws when a text holds something internal. */
export function assertNoLeak(text: string, context: string): void {
  for (const pattern of LEAKS) {
    if (pattern.test(text)) fail(`leak ${pattern}: ${text.slice(0, 400)}`, context);
  }
}

interface ErrorShape {
  readonly message?: unknown;
  readonly extensions?: Record<string, unknown>;
  readonly locations?: unknown;
  readonly path?: unknown;
}

/** Checks a list of GraphQL errors; returns their codes. */
export function assertErrors(errors: unknown, transport: Transport, context: string): string[] {
  if (!Array.isArray(errors) || errors.length === 0)
    fail(`errors must be a non-empty list: ${JSON.stringify(errors)}`, context);
  return errors.map((error: ErrorShape) => {
    if (typeof error !== 'object' || error === null)
      fail(`an error is not an object: ${JSON.stringify(error)}`, context);
    if (typeof error.message !== 'string')
      fail(`an error without a message: ${JSON.stringify(error)}`, context);
    const extra = Object.keys(error).filter(
      (key) => !['message', 'locations', 'path', 'extensions'].includes(key),
    );
    if (extra.length > 0) fail(`an error with ${extra.join(', ')}`, context);
    const keys = Object.keys(error.extensions ?? {});
    if (keys.length !== 1 || keys[0] !== 'code')
      fail(`extensions must be { code } alone: ${JSON.stringify(error)}`, context);
    const code = error.extensions!['code'];
    if (!isErrorCode(code)) fail(`an undocumented code ${JSON.stringify(code)}: ${error.message}`, context);
    if (!(ERROR_CODES[code].transports as readonly string[]).includes(transport))
      fail(`${code} over ${transport}`, context);
    return code;
  });
}

/** A GraphQL result (a JSON answer, an SSE event's data, a WebSocket `next` payload). */
export function assertResult(result: unknown, transport: Transport, context: string): string[] {
  if (typeof result !== 'object' || result === null || Array.isArray(result))
    fail(`a result that is not an object: ${JSON.stringify(result)}`, context);
  const keys = Object.keys(result);
  if (keys.some((key) => !['data', 'errors', 'extensions'].includes(key)))
    fail(`a result with ${keys.join(', ')}`, context);
  const { errors, data } = result as { errors?: unknown; data?: unknown };
  if (errors === undefined) {
    if (data === undefined) fail('a result without data or errors', context);
    return [];
  }
  return assertErrors(errors, transport, context);
}

/** The answer of one HTTP request, read whole (streams: what arrived before the client left). */
export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** Results of an SSE stream's text (`event: next` data; the single-connection payload unwrapped). */
export function sseResults(text: string): unknown[] {
  const results: unknown[] = [];
  for (const block of text.split('\n\n')) {
    const event = /^event: ?(.*)$/m.exec(block)?.[1];
    const data = /^data: ?(.*)$/m.exec(block)?.[1];
    if (event !== 'next' || data === undefined) continue;
    const parsed = JSON.parse(data) as { id?: unknown; payload?: unknown };
    results.push(
      typeof parsed === 'object' && parsed !== null && 'payload' in parsed && 'id' in parsed
        ? parsed.payload
        : parsed,
    );
  }
  return results;
}

/** Checks one HTTP answer of /graphql. */
export function assertHttpAnswer(answer: HttpAnswer, context: string): void {
  const { status, contentType, text } = answer;
  assertNoLeak(text, context);
  if (status >= 500 && status !== 500) fail(`HTTP ${status}`, context);
  const type = contentType.split(';')[0]!.trim();
  if (type === 'text/event-stream' || type === 'multipart/mixed') {
    const results = type === 'text/event-stream' ? sseResults(text) : multipartResults(text);
    const codes = results.flatMap((result) =>
      assertResult(result, type === 'text/event-stream' ? 'SSE' : 'HTTP', context),
    );
    assertStatus(status, codes, context);
    return;
  }
  if (status < 400 && (type === 'text/html' || type === 'text/plain' || text === '')) return; // GraphiQL, an SSE token, 2xx without body
  if (type !== 'application/json' && type !== 'application/graphql-response+json')
    fail(`content-type ${contentType} with HTTP ${status}`, context);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    fail(`a body that is not JSON: ${text.slice(0, 200)}`, context);
  }
  assertStatus(status, assertResult(body, 'HTTP', context), context);
}

/** The status of an answer whose results carry these codes: 200 without errors, else one of theirs. */
function assertStatus(status: number, codes: readonly string[], context: string): void {
  if (codes.length === 0) {
    if (status !== 200) fail(`HTTP ${status} without errors`, context);
    return;
  }
  const allowed = new Set(
    codes.flatMap((code) => ERROR_CODES[code as keyof typeof ERROR_CODES].http as readonly number[]),
  );
  if (!allowed.has(status)) fail(`HTTP ${status} for ${codes.join(', ')}`, context);
}

/** The JSON parts of a multipart/mixed answer (whole parts only). */
export function multipartResults(text: string): unknown[] {
  const results: unknown[] = [];
  for (const part of text.split(/\r?\n---/)) {
    const start = part.indexOf('{');
    if (start < 0) continue;
    try {
      results.push(JSON.parse(part.slice(start).trim()));
    } catch {
      // an incomplete last part (the client left mid-part)
    }
  }
  return results;
}
