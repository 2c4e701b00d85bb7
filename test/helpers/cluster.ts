/**
 * Replicas as real child processes (`src/server.ts` with BUS_URL, DATABASE_URL and REPLICA_ID) on
 * real ports: start, GraphQL over HTTP, `/ready` and `/export`, SIGKILL. Used by the cluster tests
 * and bench/cluster.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export const CLUSTER_TOKEN = 'cluster-test-token';

/** A replica process. */
export interface ReplicaProcess {
  readonly id: string;
  readonly child: ChildProcess;
  readonly url: string;
  /** Output so far (for failures). */
  output(): string;
}

/**
 * Starts `src/server.ts` as replica `id` with `env` (BUS_URL, DATABASE_URL, …). REPLICA_NODE_FLAGS
 * in this process's environment adds node flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
export function startReplica(id: string, env: Record<string, string>): Promise<ReplicaProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env['REPLICA_NODE_FLAGS'] ?? '').split(' ').filter(Boolean),
      '--import',
      'tsx',
      'src/server.ts',
      '--no-demo',
      '--port',
      '0',
    ],
    {
      env: { ...process.env, ADMIN_TOKEN: CLUSTER_TOKEN, LOG_LEVEL: 'warn', REPLICA_ID: id, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica ${id} did not start:\n${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-20_000);
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ id, child, url: match[1]!, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica ${id} exited with ${code}:\n${out}`));
    });
  });
}

/** Kills a replica (SIGKILL by default) and waits for it to exit. */
export async function killReplica(
  replica: ReplicaProcess,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<void> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => replica.child.once('exit', () => resolve()));
  replica.child.kill(signal);
  await exited;
}

/** A GraphQL answer: data and the codes of its errors. */
export interface Answer<T> {
  readonly data: T | null;
  readonly codes: string[];
}

/** Posts a GraphQL operation with the admin token. */
export async function graphql<T = Record<string, unknown>>(
  replica: ReplicaProcess,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Answer<T>> {
  const response = await fetch(`${replica.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLUSTER_TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { extensions?: { code?: string } }[] };
  return { data: body.data ?? null, codes: (body.errors ?? []).map((e) => e.extensions?.code ?? 'UNKNOWN') };
}

/** Like {@link graphql}, throwing on any error. */
export async function mutate<T = Record<string, unknown>>(
  replica: ReplicaProcess,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const answer = await graphql<T>(replica, query, variables);
  if (answer.codes.length > 0) throw new Error(`${replica.id}: ${answer.codes.join(', ')}`);
  return answer.data as T;
}

/** `/ready`: its status code and body (the replication section). */
export async function readiness(replica: ReplicaProcess): Promise<{
  status: number;
  replication?: { applied: number; lag: number; holder: boolean; caughtUp: boolean };
}> {
  const response = await fetch(`${replica.url}/ready`);
  return { ...((await response.json()) as object), status: response.status };
}

/** Waits until every replica is ready, has the same applied position and no lag. */
export async function waitConverged(
  replicas: readonly ReplicaProcess[],
  timeoutMs = 30_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(replicas.map((r) => readiness(r).catch(() => null)));
    const applied = states.map((s) => (s?.status === 200 ? (s.replication?.applied ?? -1) : -1));
    if (applied.every((a) => a >= 0 && a === applied[0]) && states.every((s) => s?.replication?.lag === 0)) {
      return applied[0]!;
    }
    if (Date.now() > deadline) throw new Error(`replicas did not converge: ${JSON.stringify(states)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The full `/export` document, as the bytes the replica sent. */
export async function exportText(replica: ReplicaProcess): Promise<string> {
  return (await fetch(`${replica.url}/export`, { headers: { 'accept-encoding': 'identity' } })).text();
}
