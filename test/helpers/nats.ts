/**
 * A private NATS server with JetStream for one test file: `/usr/sbin/nats-server -js -sd <tmpdir>
 * -p <free port>` (NATS_SERVER overrides the binary). `.ci/run` installs Debian's `nats-server`
 * package when it is missing; elsewhere the tests that need it skip with a line saying why.
 *
 * describe.skipIf(natsServer === null)('…', () => { … const nats = await startNats(); … });
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function findServer(): string | null {
  const candidates = [process.env['NATS_SERVER'], '/usr/sbin/nats-server', '/usr/bin/nats-server'];
  const found = candidates.find((path): path is string => path !== undefined && existsSync(path)) ?? null;
  if (found === null) {
    console.warn(
      'NATS tests skipped: no nats-server binary (apt-get install -y nats-server, or set NATS_SERVER)',
    );
  }
  return found;
}

/** The nats-server binary, or null (after printing why the NATS tests skip). */
export const natsServer: string | null = findServer();

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A running private server: stop it, start it again on the same port and store, remove it. */
export interface PrivateNats {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again (same port, same JetStream store). */
  start(): Promise<void>;
  /** Stops it and deletes its store. */
  remove(): Promise<void>;
}

/** Starts a private nats-server (see the module comment). */
export async function startNats(): Promise<PrivateNats> {
  if (natsServer === null) throw new Error('no nats-server binary');
  const binary = natsServer;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nats-'));
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    const proc = spawn(binary, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child = proc;
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        throw new Error(`nats-server did not start on port ${port}: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop,
    start,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
