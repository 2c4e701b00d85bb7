/** Helpers of the benchmarks that drive load from worker threads (`bench/workers/`). */
import { Worker } from 'node:worker_threads';

/** The p-th percentile (nearest rank) of `values`; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Runs one of `bench/workers/` in a worker thread (TypeScript through tsx's loader, registered by
 * `tsx-bootstrap.mjs`): resolves with the `{ done }` message it posts; any other message goes to
 * `onMessage`. The worker reads `data` as its `workerData`.
 */
export function runWorker<T>(
  file: string,
  data: object,
  onMessage?: (message: unknown, worker: Worker) => void,
): Promise<T> {
  const entry = new URL(`./workers/${file}`, import.meta.url).href;
  const worker = new Worker(new URL('./workers/tsx-bootstrap.mjs', import.meta.url), {
    workerData: { ...data, entry },
  });
  return new Promise<T>((resolve, reject) => {
    worker.on('message', (message: { done?: T }) => {
      if (message && typeof message === 'object' && 'done' in message) {
        resolve(message.done as T);
        void worker.terminate();
      } else onMessage?.(message, worker);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code !== 0 && code !== 1) reject(new Error(`worker exited with ${code}`));
    });
  });
}
