/** One float64 and its two 32-bit words, to read and nudge the last bit of a float64. */
const wide = new Float64Array(1);
const words = new Uint32Array(wide.buffer);
/** Index of the low word: 0 on little-endian machines (every current one), 1 on big-endian. */
const LOW = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HIGH = 1 - LOW;

/**
 * `a + b · c` rounded once to float32, for float32 `a`, `b` and `c`: what a hardware fused
 * multiply-add (`fmaf`, WebAssembly's fused `f32x4.relaxed_madd`) returns, and what PyTorch's
 * CPU `add(b, alpha=c)`, `addcmul` and `lerp` kernels compute.
 *
 * Rounding `a + b · c` to float64 and then to float32 is not enough: it rounds twice, and about
 * one case in 2^29 lands on a float32 tie that the exact value does not. For example with
 * `a = 1 + 2^-23`, `b = 2^-12 (1 + 2^-23)`, `c = 2^-12 (1 - 2^-23)` the exact value lies just
 * below the tie between `1 + 2^-23` and `1 + 2^-22`: float64 rounds it onto the tie, and the tie
 * goes to `1 + 2^-22`; the single rounding, and PyTorch 1.13 (`tooling/goldens/torch_fma_ties.py`),
 * give `1 + 2^-23`.
 *
 * Method: `b · c` is exact in float64 (48 significant bits); the float64 sum `s` and its exact
 * error `e` come from Knuth's TwoSum; when `e ≠ 0`, `s` is rounded to odd (moved one float64 unit
 * toward `e` if its last bit is even). Rounding to odd in a format of at least two more bits and
 * then to nearest equals one rounding to nearest (Boldo and Melquiond 2008), so the result is the
 * correctly rounded float32 for every input, subnormal, infinite or NaN included.
 *
 * @param a - the addend (a float32 value)
 * @param b - the first factor (a float32 value)
 * @param c - the second factor (a float32 value)
 * @returns the float32 nearest to the exact `a + b · c` (ties to even), as a number
 * @example
 * ```ts
 * import { fmaFloat32 } from '@stepsize/core';
 * fmaFloat32(1 + 2 ** -23, 2 ** -12 * (1 + 2 ** -23), 2 ** -12 * (1 - 2 ** -23)); // 1 + 2 ** -23
 * ```
 */
export function fmaFloat32(a: number, b: number, c: number): number {
  const product = b * c;
  const sum = a + product;
  const rounded = Math.fround(sum);
  // A float32 sum, or an exact float64 one, has nothing left to round twice.
  if (rounded === sum) return rounded;
  const back = sum - a;
  const error = a - (sum - back) + (product - back);
  if (error === 0 || Number.isNaN(error)) return rounded;
  wide[0] = sum;
  const low = words[LOW] as number;
  if ((low & 1) !== 0) return rounded;
  // Even: the neighbour toward the error is odd. Same signs grow the magnitude, else shrink it.
  if (sum > 0 === error > 0) words[LOW] = low + 1;
  else if (low !== 0) words[LOW] = low - 1;
  else {
    words[LOW] = 0xffffffff;
    words[HIGH] = (words[HIGH] as number) - 1;
  }
  return Math.fround(wide[0] as number);
}
