import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { seededRandom } from '@stepsize/core';

/**
 * A seeded random source for a test (mulberry32, core's `seededRandom`), its
 * seed printed with `what`: `STEPSIZE_TEST_SEED=<seed>` repeats a run exactly;
 * without it each run draws a new seed.
 *
 * @example
 * ```ts
 * const at = 1 + Math.floor(testRandom('resume step')() * 48);
 * ```
 */
export function testRandom(what: string): () => number {
  const given = process.env.STEPSIZE_TEST_SEED;
  const seed = given === undefined ? Math.floor(Date.now() % 2 ** 31) : Number(given);
  if (!Number.isSafeInteger(seed)) throw new Error(`STEPSIZE_TEST_SEED must be an integer, got ${JSON.stringify(given)}`);
  console.log(`${what}: seed ${seed} (STEPSIZE_TEST_SEED=${seed} repeats it)`);
  return seededRandom(seed);
}

let collector: (() => void) | undefined;

/**
 * Runs a full garbage collection (V8's `gc`, exposed at run time), so that memory
 * measured around a long loop counts what the loop kept, not when the collector ran.
 *
 * @example
 * ```ts
 * collectGarbage();
 * const before = process.memoryUsage().heapUsed;
 * ```
 */
export function collectGarbage(): void {
  if (collector === undefined) {
    setFlagsFromString('--expose-gc');
    collector = runInNewContext('gc') as () => void;
  }
  collector();
}
