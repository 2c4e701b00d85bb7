/**
 * Entry of every benchmark worker thread: registers tsx's loader in this thread, then imports the
 * TypeScript worker named by `workerData.entry`. Node 20 does not apply loaders given to a worker
 * (`execArgv: ['--import', 'tsx']`) to the worker's own entry file (nodejs/node#47747), so the entry
 * is this plain module and the worker itself stays checked TypeScript.
 */
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
