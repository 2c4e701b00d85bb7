/**
 * The real server as a child process (`node --import tsx src/server.ts`, or `npm start` in its own
 * process group, as a terminal or systemd runs it), on a free port, with its own store: a fresh
 * PGlite folder, or a scratch database on the PostgreSQL server of DATABASE_URL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase, type TestDriver, testDatabaseUrl } from './db.ts';

/** A running server process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Everything it printed (stdout and stderr). */
  output(): string;
  /** Whether it still runs. */
  alive(): boolean;
  /** Resolves with how it ended (at once if it already has). */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal: to the process, or to its whole process group when started with `group`. */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL (the group's when started with `group`), resolved once it has ended. */
  kill(): Promise<void>;
}

/** How to start it. */
export interface ServerProcessOptions {
  /** Environment on top of the test's (ADMIN_TOKEN, LOG_LEVEL=warn and the store are set here too). */
  readonly env: Record<string, string>;
  readonly token: string;
  /** `npm start` in its own process group instead of `node --import tsx src/server.ts`. */
  readonly npmStart?: boolean;
  /** Longest wait for the banner (default 60 s). */
  readonly startTimeoutMs?: number;
}

/** Starts the server and resolves once it listens. */
export function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const args = ['--no-demo', '--port', '0'];
  const group = options.npmStart === true;
  const child = group
    ? spawn('npm', ['start', '--silent', '--', ...args], {
        env: { ...process.env, LOG_LEVEL: 'warn', ...options.env, ADMIN_TOKEN: options.token },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
    : spawn(process.execPath, ['--import', 'tsx', 'src/server.ts', ...args], {
        env: { ...process.env, LOG_LEVEL: 'warn', ...options.env, ADMIN_TOKEN: options.token },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let out = '';
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const send = (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (group && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      send('SIGKILL');
      reject(new Error(`server did not start:\n${out}`));
    }, options.startTimeoutMs ?? 60_000);
    const poll = setInterval(() => {
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (!match) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve({
        child,
        url: match[1]!,
        output: () => out,
        alive: () => child.exitCode === null && child.signalCode === null,
        exited: () => ended,
        signal: send,
        async kill() {
          send('SIGKILL');
          await ended;
        },
      });
    }, 20);
    void ended.then(({ code, signal }) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
}

/** A store for server processes, and how to remove it. */
export interface ProcessStore {
  /** What to add to the environment (DATA_DIR, or DATABASE_URL of a scratch database). */
  readonly env: Record<string, string>;
  readonly driver: TestDriver;
  drop(): Promise<void>;
}

/** A fresh store on `driver` (postgres needs DATABASE_URL). */
export async function processStore(driver: TestDriver, prefix: string): Promise<ProcessStore> {
  if (driver === 'postgres') {
    const scratch = await createScratchDatabase(testDatabaseUrl()!, prefix);
    return { env: { DATABASE_URL: scratch.url }, driver, drop: () => scratch.drop() };
  }
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return {
    env: { DATA_DIR: join(dir, 'data'), DATABASE_URL: '' },
    driver,
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}
