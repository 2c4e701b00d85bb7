/**
 * The service as its own process (`node --import tsx src/server.ts …`, or `npm start` in a process
 * group of its own, as a terminal or systemd runs it), as a user starts it: spawned with a given
 * environment, ready once it prints `listening on http://…`, its output kept for assertions. A
 * {@link Leftovers} given to it kills the process (SIGKILL) if a test leaves it running.
 * {@link processStore} gives such a process a store of its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/store/database.ts';
import { createScratchDatabase, migratedImage, type TestDriver, testDatabaseUrl } from './db.ts';
import type { Leftovers } from './leftovers.ts';
import { scratchFolder } from './scratch.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A running server process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** Its base URL, from the banner (`http://host:port`). */
  readonly url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Sends `signal` (default SIGKILL) and resolves with the exit code once it exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Sends `signal` without waiting (to the whole process group when started with `group`). */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code once it exited. */
  readonly exited: Promise<number | null>;
  /** Whether it still runs. */
  alive(): boolean;
}

/** Options of {@link spawnServer}. */
export interface SpawnServerOptions {
  /** Arguments after `src/server.ts`. */
  readonly args?: readonly string[];
  /** The whole environment of the process (default: this one's). */
  readonly env?: NodeJS.ProcessEnv;
  /** How long it may take to print its URL (default 30 s). */
  readonly startTimeoutMs?: number;
  /**
   * What in its output says it is ready, the base URL as the first group (default: the banner's
   * `listening on http://host:port`).
   */
  readonly ready?: RegExp;
  readonly leftovers?: Leftovers;
  /**
   * Starts `npm start -- <args>` as the leader of its own process group: signals then go to the
   * group (npm relays them to the server again, as it does under a terminal or systemd).
   */
  readonly group?: boolean;
}

/** Starts the server and resolves once it listens; rejects with its output if it exits or is late. */
export function spawnServer(options: SpawnServerOptions = {}): Promise<ServerProcess> {
  const group = options.group === true;
  const child = group
    ? spawn('npm', ['start', '--silent', '--', ...(options.args ?? [])], {
        cwd: ROOT,
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
    : spawn(process.execPath, ['--import', 'tsx', 'src/server.ts', ...(options.args ?? [])], {
        cwd: ROOT,
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let out = '';
  let started = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const signal = (sig: NodeJS.Signals) => {
    if (!alive()) return;
    if (group && child.pid !== undefined) process.kill(-child.pid, sig);
    else child.kill(sig);
  };
  const stop = async (sig: NodeJS.Signals = 'SIGKILL') => {
    signal(sig);
    return exited;
  };
  options.leftovers?.defer(() => stop());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${out}`)),
      options.startTimeoutMs ?? 30_000,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = (options.ready ?? /listening on (http:\/\/[^\s/]+)/).exec(out);
      if (match && !started) {
        started = true;
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        resolve({ child, url: match[1]!, output: () => out, stop, signal, exited, alive });
      }
    };
    const onEarlyExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onEarlyExit);
  });
}

/** A store for server processes, and how to remove it. */
export interface ProcessStore {
  /** What to add to the environment (DATA_DIR, or DATABASE_URL of a scratch database). */
  readonly env: Record<string, string>;
  readonly driver: TestDriver;
  drop(): Promise<void>;
}

/**
 * A fresh store on `driver`: a scratch database on DATABASE_URL's server, or a PGlite folder, made
 * from the migrated image unless `empty` (the start on an empty folder is test/e2e/demo.test.ts's:
 * initdb in every process-based test would cost seconds each).
 */
export async function processStore(
  driver: TestDriver,
  prefix: string,
  { empty = false }: { readonly empty?: boolean } = {},
): Promise<ProcessStore> {
  if (driver === 'postgres') {
    const scratch = await createScratchDatabase(testDatabaseUrl()!, prefix);
    return { env: { DATABASE_URL: scratch.url }, driver, drop: () => scratch.drop() };
  }
  const dir = await scratchFolder(prefix);
  if (!empty)
    await (await openDatabase({ dataDir: join(dir, 'data'), image: await migratedImage() })).close();
  return {
    env: { DATA_DIR: join(dir, 'data'), DATABASE_URL: '' },
    driver,
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}
