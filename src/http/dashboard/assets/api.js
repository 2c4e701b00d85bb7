// @ts-check
/**
 * The dashboard's connection to the service: queries over HTTP (`POST /graphql`), live events
 * over one graphql-ws WebSocket on the same path. The socket is kept open (not lazy) and retried
 * for ever with a short capped back-off, so the page notices a server restart at once, says so,
 * and picks up again by itself; graphql-ws subscribes the running subscriptions again on the new
 * connection.
 */
import { createClient } from 'graphql-ws';

/** @typedef {'connecting' | 'connected' | 'disconnected'} ConnectionState */

/**
 * One GraphQL query over HTTP.
 * @template T
 * @param {string} query
 * @param {Record<string, unknown>} [variables]
 * @returns {Promise<T>}
 */
export async function query(query, variables = {}) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  /** @type {{ data?: T, errors?: { message: string }[] }} */
  const body = await response.json();
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  if (body.data === undefined) throw new Error(`no data (HTTP ${response.status})`);
  return body.data;
}

/**
 * The live connection.
 * @param {(state: ConnectionState, reconnected: boolean) => void} onState told of every change;
 *   `reconnected` is true when a connection comes back after a loss (events may have been missed).
 */
export function connect(onState) {
  let everConnected = false;
  let lost = false;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  const client = createClient({
    url,
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) =>
      new Promise((resolve) =>
        setTimeout(resolve, Math.min(250 * 2 ** retries, 3_000) + Math.random() * 250),
      ),
    onNonLazyError: () => undefined,
    on: {
      connecting: () => {
        if (!everConnected) onState('connecting', false);
      },
      connected: () => {
        const reconnected = lost;
        everConnected = true;
        lost = false;
        onState('connected', reconnected);
      },
      closed: () => {
        if (!everConnected) return;
        lost = true;
        onState('disconnected', false);
      },
    },
  });

  /**
   * Runs a subscription until the returned function is called. A stream the server ends (a slow
   * consumer is dropped with SLOW_CONSUMER, say) is started again a second later, and `onRestart`
   * is told, since events were missed.
   * @template T
   * @param {string} query
   * @param {Record<string, unknown>} variables
   * @param {(data: T) => void} onData
   * @param {() => void} onRestart
   * @returns {() => void}
   */
  function subscribe(query, variables, onData, onRestart) {
    let stopped = false;
    /** @type {() => void} */
    let dispose = () => undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const ended = () => {
      if (stopped) return;
      timer = setTimeout(() => {
        start();
        onRestart();
      }, 1_000);
    };
    const start = () => {
      dispose = client.subscribe(
        { query, variables },
        {
          next: (result) => {
            if (result.data) onData(/** @type {T} */ (result.data));
          },
          error: ended,
          complete: ended,
        },
      );
    };
    start();
    return () => {
      stopped = true;
      clearTimeout(timer);
      dispose();
    };
  }

  return { subscribe };
}
