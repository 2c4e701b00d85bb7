/**
 * Load generator of the durable-ingest benchmark (a worker thread of bench/durable.ts): `clients`
 * keep-alive HTTP clients, each sending its own `ingestBars` batches one after another as fast as
 * the answers come. Posts one {@link IngestClientsResult} when every batch is acknowledged.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

/** What the worker is given. */
export interface IngestClientsInput {
  readonly url: string;
  readonly token: string;
  /** Per client, its request bodies (JSON of the mutation and its 500 bars), in order. */
  readonly bodies: readonly (readonly string[])[];
}

/** What the worker posts once, as `{ done }`. */
export interface IngestClientsResult {
  /** Bars acknowledged (accepted in answered mutations). */
  readonly acknowledged: number;
  /** From the first request to the last answer. */
  readonly seconds: number;
  /** Milliseconds per request. */
  readonly latencies: number[];
  readonly error?: string;
}

const input = workerData as IngestClientsInput;
const agent = new Agent({ keepAlive: true, maxSockets: input.bodies.length });
const target = new URL(input.url);

/** One mutation: how many bars it acknowledged. */
function send(body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${input.token}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString()) as {
            data?: { ingestBars: { accepted: number; rejected?: { code: string; message: string }[] } };
            errors?: unknown;
          };
          if (!answer.data) reject(new Error(`refused: ${JSON.stringify(answer.errors)}`));
          else {
            const refused = answer.data.ingestBars.rejected ?? [];
            if (refused.length > 0)
              firstRefusal ??= `${refused.length} refused, first: ${JSON.stringify(refused[0])}`;
            resolve(answer.data.ingestBars.accepted);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const latencies: number[] = [];
/** The first refused item seen (a benchmark's bars should all be good). */
let firstRefusal: string | undefined;
let acknowledged = 0;
const started = performance.now();
try {
  await Promise.all(
    input.bodies.map(async (bodies) => {
      for (const body of bodies) {
        const t = performance.now();
        const accepted = await send(body);
        acknowledged += accepted;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const result: IngestClientsResult = {
    acknowledged,
    seconds: (performance.now() - started) / 1000,
    latencies,
    ...(firstRefusal === undefined ? {} : { error: firstRefusal }),
  };
  parentPort!.postMessage({ done: result });
} catch (error) {
  const result: IngestClientsResult = { acknowledged, seconds: 0, latencies, error: String(error) };
  parentPort!.postMessage({ done: result });
}
agent.destroy();
