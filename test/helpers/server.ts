/**
 * The service as its own process (`node --import tsx src/server.ts …`), as a user starts it: spawned
 * with a given environment, ready once it prints `listening on http://…`, its output kept for
 * assertions. A {@link Leftovers} given to it kills the process (SIGKILL) if a test leaves it running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Leftovers } from './leftovers.ts';

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
}

/** Options of {@link spawnServer}. */
export interface SpawnServerOptions {
  /** Arguments after `src/server.ts`. */
  readonly args?: readonly string[];
  /** The whole environment of the process (default: this one's). */
  readonly env?: NodeJS.ProcessEnv;
  /** How long it may take to print its URL (default 30 s). */
  readonly startTimeoutMs?: number;
  readonly leftovers?: Leftovers;
}

/** Starts the server and resolves once it listens; rejects with its output if it exits or is late. */
export function spawnServer(options: SpawnServerOptions = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts', ...(options.args ?? [])], {
    cwd: ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let started = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
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
      const match = /listening on (http:\/\/[^\s/]+)/.exec(out);
      if (match && !started) {
        started = true;
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        resolve({ child, url: match[1]!, output: () => out, stop });
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
