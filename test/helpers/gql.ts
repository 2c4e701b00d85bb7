/**
 * Talking GraphQL to the service in tests: one operation over HTTP POST (`gql`, `gqlData`) or one
 * subscription over Server-Sent Events (`openSse`), against a yoga server without a socket
 * (`yoga.fetch`) or a served one (its base URL).
 */
import type { SessionYoga } from '../../src/graphql/yoga.ts';

/** The admin token of the apps the tests build. */
export const ADMIN_TOKEN = 'test-admin-token';

/** One GraphQL response. */
export interface GqlResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

/** Where requests go: a yoga server (through its `fetch`, no socket) or a base URL (`http://host:port`). */
export type GqlTarget = Pick<SessionYoga, 'fetch'> | string;

function send(target: GqlTarget, init: RequestInit): Promise<Response> {
  if (typeof target === 'string') return fetch(`${target}/graphql`, init);
  return Promise.resolve(target.fetch('http://localhost/graphql', init));
}

/**
 * Runs one operation with `Authorization: Bearer <token>` (the test admin token unless another is
 * given; none when `token` is null) and returns the response as is.
 */
export async function gql<T = Record<string, unknown>>(
  target: GqlTarget,
  query: string,
  variables?: Record<string, unknown>,
  token: string | null = ADMIN_TOKEN,
): Promise<GqlResponse<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  const response = await send(target, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GqlResponse<T>;
}

/** Like {@link gql}, but returns `data` and throws when the response has errors. */
export async function gqlData<T = Record<string, unknown>>(
  target: GqlTarget,
  query: string,
  variables?: Record<string, unknown>,
  token: string | null = ADMIN_TOKEN,
): Promise<T> {
  const body = await gql<T>(target, query, variables, token);
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as T;
}

/** One Server-Sent Events stream of a subscription. */
export interface SseStream {
  /** The next `next` payload, or null when the stream completed. */
  next(timeoutMs?: number): Promise<GqlResponse | null>;
  close(): void;
}

/** Subscribes with `Accept: text/event-stream` (graphql-sse's distinct connections mode). */
export async function openSse(
  target: GqlTarget,
  query: string,
  variables?: Record<string, unknown>,
): Promise<SseStream> {
  const abort = new AbortController();
  const response = await send(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  if (!response.body) throw new Error(`no stream: ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: (GqlResponse | null)[] = [];
  const read = async (): Promise<void> => {
    while (events.length === 0) {
      const { value, done } = await reader.read();
      if (done) {
        events.push(null);
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === 'next' && data) events.push(JSON.parse(data) as GqlResponse);
        if (event === 'complete') events.push(null);
        end = buffer.indexOf('\n\n');
      }
    }
  };
  return {
    async next(timeoutMs = 2_000) {
      if (events.length === 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          read(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('no event in time')), timeoutMs);
          }),
        ]).finally(() => clearTimeout(timer));
      }
      return events.shift() ?? null;
    },
    close() {
      abort.abort();
      reader.cancel().catch(() => undefined);
    },
  };
}
