/**
 * Subscribers of the fan-out benchmark (a worker thread of bench/graphql.ts): `subscribers`
 * graphql-ws clients, one WebSocket each, subscribed to the 1m bars of symbol `F000`…; each event's
 * arrival time and bar `ts` are recorded. Posts `'started'` once every subscription is sent, and one
 * {@link FanoutResult} (as `{ done }`) after the parent posts `'finish'`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** What the worker is given. */
export interface FanoutInput {
  /** The `ws://…/graphql` endpoint. */
  readonly url: string;
  readonly subscribers: number;
  /** Symbols `F000`… the subscribers share out, one each in turn. */
  readonly symbols: number;
}

/** What the worker posts once, as `{ done }`. */
export interface FanoutResult {
  /** Pairs: arrival time (ms since the epoch, sub-millisecond), then the bar's `ts`. */
  readonly received: number[];
  /** Error results and events without a bar. */
  readonly errors: number;
}

const SUBSCRIPTION =
  'subscription($s: [String!]) { barUpdates(symbols: $s, intervals: ["1m"]) { symbol bar { ts } } }';

interface BarUpdate {
  readonly barUpdates?: { readonly bar: { readonly ts: string } };
}

const input = workerData as FanoutInput;
const received: number[] = [];
const clients: Client[] = [];
let errors = 0;
for (let i = 0; i < input.subscribers; i++) {
  const symbol = `F${String(i % input.symbols).padStart(3, '0')}`;
  const client = createClient({ url: input.url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
  clients.push(client);
  client.subscribe<BarUpdate>(
    { query: SUBSCRIPTION, variables: { s: [symbol] } },
    {
      next: (value) => {
        const event = value.data?.barUpdates;
        if (event) received.push(performance.timeOrigin + performance.now(), Date.parse(event.bar.ts));
        else errors++;
      },
      error: () => {
        errors++;
      },
      complete: () => {},
    },
  );
}

parentPort?.on('message', async (message: unknown) => {
  if (message !== 'finish') return;
  await Promise.all(clients.map((client) => client.dispose()));
  const done: FanoutResult = { received, errors };
  parentPort?.postMessage({ done });
});
parentPort?.postMessage('started');
