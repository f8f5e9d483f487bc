/**
 * A small seeded generator (mulberry32): same seed, same numbers, on every
 * platform. Used for weight initialisation and shuffling.
 *
 * @example
 * ```ts
 * const next = seededRandom(42);
 * next(); // a number in [0, 1)
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A permutation of `0..n-1` from a seed (Fisher-Yates). */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const next = seededRandom(seed);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i += 1) order[i] = i;
  for (let i = n - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
  return order;
}
