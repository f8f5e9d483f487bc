/**
 * Scalar helpers of the fused kernels (kernels.ts, kernels-optax.ts): each
 * matches the corresponding `float32Ops` primitive on one element, so the
 * kernels stay bit for bit equal to the generic math.
 */

/** `Ops.addScaled` on one element: `a + b·c` rounded once to float32 (a true fused multiply-add). */
export { fmaFloat32 as fma32 } from '@stepsize/core';

/** Rounds to float32, as storing into a Float32Array does (one rounding per operation). */
export const r = Math.fround;

/** `Ops.sign` on one element: -1, 0 (+0 for either zero), 1, or NaN. */
export const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN);

/** True for NaN only. */
// biome-ignore lint/suspicious/noSelfCompare: the fastest NaN test in the update loops (Number.isNaN costs a call)
export const isNaN32 = (x: number): boolean => x !== x;

// biome-ignore-start lint/complexity/useMathMinMax: Math.max/Math.min give +0/-0 for a tie of -0 and +0 whatever the order; these return y on a tie, as the generic ops do, so the results stay bit for bit equal
/** `Ops.maximum` on one element: NaN if either is NaN, `y` on a tie. */
export const max32 = (x: number, y: number): number => (isNaN32(x) || isNaN32(y) ? NaN : x > y ? x : y);
/** `Ops.minimum` on one element: NaN if either is NaN, `y` on a tie. */
export const min32 = (x: number, y: number): number => (isNaN32(x) || isNaN32(y) ? NaN : x < y ? x : y);
// biome-ignore-end lint/complexity/useMathMinMax: see above
