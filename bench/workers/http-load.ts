/**
 * Load generator of the query benchmark (a worker thread of bench/graphql.ts): `clients` keep-alive
 * HTTP clients POST the same body as fast as they can; after `warmupMs`, each request's latency is
 * recorded for `durationMs`. Posts one {@link HttpLoadResult} when done.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

/** What the worker is given. */
export interface HttpLoadInput {
  readonly url: string;
  /** The request body (JSON). */
  readonly body: string;
  readonly clients: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** What the worker posts once, as `{ done }`. */
export interface HttpLoadResult {
  /** Milliseconds per measured request. */
  readonly latencies: number[];
  /** From the first measured request's start to the last one's end. */
  readonly seconds: number;
  /** Size of the last answer. */
  readonly bytes: number;
  readonly error?: string;
}

const input = workerData as HttpLoadInput;
const agent = new Agent({ keepAlive: true, maxSockets: input.clients });
const target = new URL(input.url);

/** One request: its latency and answer size; rejects on a status other than 200. */
function once(): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(input.body) },
      },
      (res) => {
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
        });
        res.on('end', () => {
          if (res.statusCode === 200) resolve([performance.now() - started, size]);
          else reject(new Error(`status ${res.statusCode}`));
        });
      },
    );
    req.on('error', reject);
    req.end(input.body);
  });
}

async function run(): Promise<HttpLoadResult> {
  const latencies: number[] = [];
  let bytes = 0;
  const measureFrom = performance.now() + input.warmupMs;
  const end = measureFrom + input.durationMs;
  let first = 0;
  let last = 0;
  await Promise.all(
    Array.from({ length: input.clients }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const [ms, size] = await once();
        if (t >= measureFrom) {
          latencies.push(ms);
          bytes = size;
          if (!first) first = t;
          last = performance.now();
        }
      }
    }),
  );
  agent.destroy();
  return { latencies, seconds: (last - first) / 1000, bytes };
}

run().then(
  (done) => parentPort?.postMessage({ done }),
  (error: unknown) => {
    const done: HttpLoadResult = { error: String(error), latencies: [], seconds: 1, bytes: 0 };
    parentPort?.postMessage({ done });
  },
);
