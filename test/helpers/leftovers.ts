/**
 * Leftovers: what a test started and must stop however it ends (servers, child processes, apps,
 * streams, temp folders). `useLeftovers()` registers the hooks; then
 *
 * ```ts
 * const leftovers = useLeftovers();
 * it('…', async () => {
 *   const api = leftovers.keep(await createTestApi(), (a) => a.dispose());
 *   leftovers.defer(() => rm(dir, { recursive: true, force: true }));
 *   …
 * });
 * ```
 *
 * A cleanup registered during a test (or its beforeEach / afterEach hooks) runs after that test,
 * passed or failed; one registered in a beforeAll hook (or at collection) runs after the suite's last
 * test. Cleanups run newest first; every one runs even when another throws, and their errors fail
 * the test (or the suite), so a leak never goes unnoticed and a failure never leaks.
 */
import { afterAll, afterEach, beforeEach } from 'vitest';

/** Something to undo. */
export type Cleanup = () => unknown;

/** See the module comment. */
export interface Leftovers {
  /** Registers `cleanup`. */
  defer(cleanup: Cleanup): void;
  /** Registers `dispose(value)` and returns `value`. */
  keep<T>(value: T, dispose: (value: T) => unknown): T;
}

async function drain(stack: Cleanup[]): Promise<void> {
  const errors: unknown[] = [];
  while (stack.length > 0) {
    const cleanup = stack.pop()!;
    try {
      await cleanup();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cleanups failed`);
}

/** Registers the hooks of a leftovers disposer for the enclosing suite (call it at the top). */
export function useLeftovers(): Leftovers {
  const ofTest: Cleanup[] = [];
  const ofSuite: Cleanup[] = [];
  let inTest = false;
  beforeEach(() => {
    inTest = true;
  });
  afterEach(async () => {
    inTest = false;
    await drain(ofTest);
  });
  afterAll(async () => {
    await drain(ofTest);
    await drain(ofSuite);
  });
  const leftovers: Leftovers = {
    defer(cleanup) {
      (inTest ? ofTest : ofSuite).push(cleanup);
    },
    keep(value, dispose) {
      leftovers.defer(() => dispose(value));
      return value;
    },
  };
  return leftovers;
}
