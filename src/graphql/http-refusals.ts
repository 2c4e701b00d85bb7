/**
 * HTTP answers that are not GraphQL results — the request could not be read, its media type or
 * method is wrong, no answer format is acceptable, an SSE stream is unknown — always carry a JSON
 * body `{ "errors": [{ "message", "extensions": { "code" } }] }` with a code from the documented
 * list (src/graphql/README.md) and nothing internal. Three hooks, one rule:
 *
 * - the request parser yoga picked is wrapped: what it throws that is not a GraphQL error (a GET's
 *   `variables` that is not JSON) becomes `BAD_REQUEST` (400) naming the parameter;
 * - a result no processor can answer for the request's `Accept` gets 406 `NOT_ACCEPTABLE`, and a
 *   subscription's stream is closed at once (it would otherwise hold a subscriber forever);
 * - every other answer of 400 or more is given a coded JSON body when it has none (yoga's 415 and
 *   405, graphql-sse's text answers), its message kept and its code chosen by status.
 */
import { GraphQLError } from 'graphql/index.js';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/** The code of an HTTP refusal by status. */
export const HTTP_REFUSAL_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

function codeForStatus(status: number): string {
  return HTTP_REFUSAL_CODES[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
}

const DEFAULT_MESSAGES: Readonly<Record<number, string>> = {
  404: 'not found',
  405: '/graphql answers GET and POST (and PUT, DELETE for the single connection mode of graphql-sse)',
  406: 'no answer format the Accept header allows: /graphql answers application/json, application/graphql-response+json, text/event-stream and multipart/mixed',
  415: 'send the request as application/json (or a GET with query parameters)',
};

const EXPOSED_EXTENSIONS = new Set(['code']);

/** One error of a refusal: its message (a string) and code; anything else is left out. */
function refusalError(value: unknown, status: number): { message: string; extensions: { code: string } } {
  const error = (typeof value === 'object' && value !== null ? value : {}) as {
    message?: unknown;
    extensions?: Record<string, unknown>;
  };
  const code = error.extensions?.['code'];
  const fixed = status === 400 ? null : (HTTP_REFUSAL_CODES[status] ?? null);
  return {
    message: typeof error.message === 'string' && error.message !== '' ? error.message : messageFor(status),
    extensions: { code: fixed ?? (typeof code === 'string' ? code : codeForStatus(status)) },
  };
}

function messageFor(status: number): string {
  return DEFAULT_MESSAGES[status] ?? `request refused (HTTP ${status})`;
}

/**
 * Whether a JSON answer's errors all have a code (the status's own one for a refusal other than
 * 400: yoga says BAD_REQUEST for a 405) and nothing but documented extensions.
 */
function wellFormed(body: unknown, status: number): boolean {
  const fixed = status === 400 ? null : (HTTP_REFUSAL_CODES[status] ?? null);
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return false;
  return errors.every((error) => {
    const extensions = (error as { extensions?: Record<string, unknown> } | null)?.extensions;
    return (
      typeof (error as { message?: unknown }).message === 'string' &&
      typeof extensions?.['code'] === 'string' &&
      (fixed === null || extensions['code'] === fixed) &&
      Object.keys(extensions).every((key) => EXPOSED_EXTENSIONS.has(key))
    );
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Which query parameter of a GET (or form) request is not JSON, if any. */
function unreadableParameter(request: Request): string | null {
  const search = new URL(request.url, 'http://localhost').searchParams;
  for (const name of ['variables', 'extensions']) {
    const raw = search.get(name);
    if (raw !== null && raw !== '' && parseJson(raw) === null && raw.trim() !== 'null') return name;
  }
  return null;
}

/** The plugin (after every request parser and result processor of yoga's and ours). */
export function httpRefusalsPlugin(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (requestParser === undefined) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          if (error instanceof GraphQLError) throw error;
          const parameter = unreadableParameter(request);
          throw new GraphQLError(
            parameter === null
              ? 'the request could not be read as a GraphQL request'
              : `the ${parameter} parameter is not valid JSON`,
            { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } },
          );
        }
      });
    },
    onResultProcess({ resultProcessor, setResultProcessor, acceptableMediaTypes }) {
      if (resultProcessor !== undefined) return;
      const accepted = [...new Set(acceptableMediaTypes)];
      setResultProcessor(async (unanswerable, fetchAPI) => {
        if (isAsyncIterable(unanswerable)) {
          const iterator = (unanswerable as AsyncIterable<unknown>)[Symbol.asyncIterator]();
          await iterator.return?.();
        }
        return new fetchAPI.Response(
          JSON.stringify({
            errors: [
              {
                message: `no answer format the Accept header allows: this result can be sent as ${accepted.join(', ') || 'nothing it allows'}`,
                extensions: { code: 'NOT_ACCEPTABLE' },
              },
            ],
          }),
          {
            status: 406,
            headers: {
              'content-type': 'application/json; charset=utf-8',
              ...(accepted.length > 0 ? { accept: accepted.join(', ') } : {}),
            },
          },
        );
      }, 'application/json');
    },
    async onResponse({ response, setResponse, fetchAPI }) {
      if (response.status < 400 || response.headers.has('content-encoding')) return;
      // A stream (SSE, multipart) with an error status carries its coded results as events.
      if (/text\/event-stream|multipart\/mixed/.test(response.headers.get('content-type') ?? '')) return;
      const text = await response.clone().text();
      const body = parseJson(text);
      if (wellFormed(body, response.status)) return;
      const listed = (body as { errors?: unknown } | null)?.errors;
      const errors = Array.isArray(listed) && listed.length > 0 ? listed : [{ message: text.trim() }];
      const headers = new fetchAPI.Headers(response.headers);
      headers.set('content-type', 'application/json; charset=utf-8');
      headers.delete('content-length');
      headers.delete('transfer-encoding');
      setResponse(
        new fetchAPI.Response(
          JSON.stringify({ errors: errors.map((error) => refusalError(error, response.status)) }),
          { status: response.status, headers },
        ),
      );
    },
  };
}
