import fc from 'fast-check';
import { afterAll } from 'vitest';

/**
 * Seeds fast-check for one property-test file and counts the cases it runs (printed after the
 * file). CI runs a fixed seed (a submission must not fail on a case it never saw before); local
 * runs explore new seeds; FC_SEED=<n> replays a reported failure.
 */
export function propertyRun(label: string): {
  readonly seed: number;
  /** Adds `cases` to the count (for checks run outside `counted`). */
  count(cases?: number): void;
  /** Wraps a property body (receiving its arguments as one tuple) so that each call is counted. */
  counted<T extends unknown[]>(check: (values: T) => void): (...values: T) => void;
} {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : process.env.CI ? 20261122 : Date.now() % 2 ** 31;
  fc.configureGlobal({ seed });
  let cases = 0;
  afterAll(() => console.log(`${label}: ${cases} cases run (fast-check seed ${seed})`));
  return {
    seed,
    count: (n = 1) => {
      cases += n;
    },
    counted:
      <T extends unknown[]>(check: (values: T) => void) =>
      (...values: T): void => {
        cases += 1;
        check(values);
      },
  };
}
