/**
 * GET-and-parse-JSON for the providers' REST history, with the rate-limit policy: an HTTP 429 (or
 * a 5xx, or a network error) is retried after a wait: the server's `Retry-After` (seconds) when it
 * sends one, else Alpaca's `X-RateLimit-Reset` (epoch seconds), else capped exponential back-off
 * with jitter; every wait is capped (default 60 s) and the attempts are bounded (default 6).
 * Other answers fail at once with the status and the provider's message. Credentials travel in
 * headers only, so no URL, log line or error carries them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff, type BackoffOptions } from './backoff.ts';

/** A refused or failed REST request. */
export class RestError extends Error {
  override name = 'RestError';
  constructor(
    message: string,
    /** HTTP status; 0 for a network error. */
    readonly status: number,
  ) {
    super(message);
  }
}

/** Options of a GET. */
export interface GetJsonOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** Attempts in all (first one included); default 6. */
  readonly attempts?: number;
  /** Longest single wait (ms); default 60,000. */
  readonly maxWaitMs?: number;
  readonly backoff?: BackoffOptions;
  /** Wall clock for `X-RateLimit-Reset` (default Date.now). */
  readonly now?: () => number;
  /** Waits (ms); default a timer. Tests count the waits. */
  readonly wait?: (ms: number) => Promise<void>;
  /** Per-request time-out (ms); default 30,000. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Fetches a URL and parses its JSON body, retrying as described above. */
export async function getJson(url: string, options: GetJsonOptions = {}): Promise<unknown> {
  const attempts = options.attempts ?? 6;
  const maxWait = options.maxWaitMs ?? 60_000;
  const backoff = new Backoff({ baseMs: 500, capMs: maxWait, ...options.backoff });
  const wait =
    options.wait ?? ((ms: number) => sleep(ms, undefined, options.signal ? { signal: options.signal } : {}));
  const now = options.now ?? Date.now;
  const where = describeUrl(url);
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      const signal = options.signal
        ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 30_000)])
        : AbortSignal.timeout(options.timeoutMs ?? 30_000);
      response = await fetch(url, { headers: { accept: 'application/json', ...options.headers }, signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (attempt >= attempts) throw new RestError(`${where}: ${(error as Error).message}`, 0);
      await wait(backoff.next());
      continue;
    }
    if (response.ok) {
      const text = await response.text();
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new RestError(`${where}: the answer is not JSON`, response.status);
      }
    }
    const body = await response.text().catch(() => '');
    const retriable = response.status === 429 || response.status >= 500;
    if (!retriable || attempt >= attempts) {
      const detail = messageOf(body);
      const limited = response.status === 429 ? ' (rate limited; gave up after retries)' : '';
      throw new RestError(
        `${where}: HTTP ${response.status}${limited}${detail ? `: ${detail}` : ''}`,
        response.status,
      );
    }
    await wait(Math.min(maxWait, waitFor(response, backoff, now)));
  }
}

function waitFor(response: Response, backoff: Backoff, now: () => number): number {
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) {
      backoff.next();
      return seconds * 1000;
    }
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) {
      backoff.next();
      return Math.max(0, at - now());
    }
  }
  const reset = Number(response.headers.get('x-ratelimit-reset'));
  if (response.status === 429 && Number.isFinite(reset) && reset > 0) {
    backoff.next();
    return Math.max(0, reset * 1000 - now());
  }
  return backoff.next();
}

/** The provider's error message from a JSON body (`message` or `error`), else a short text. */
function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: the text itself
  }
  return body.slice(0, 200);
}

/** `GET host/path` without the query (which may hold paging tokens). */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `GET ${u.origin}${u.pathname}`;
  } catch {
    return 'GET (invalid URL)';
  }
}
