import type { Ops } from '../ops.js';

/**
 * PyTorch's CPU `lerp(start, end, w)`: `fma(w, end - start, start)` when `|w| < 0.5`, else
 * `fma(w - 1, end - start, end)` (ATen's vectorized lerp). `small` and `coefficient` are
 * those choices as scalars, from {@link torchLerpScalars}, so the traced structure does not
 * depend on `w`.
 */
export function torchLerp<T>(ops: Ops<T>, start: T, end: T, small: T, coefficient: T): T {
  return ops.addScaled(ops.where(small, start, end), ops.sub(end, start), coefficient);
}

/** The host half of {@link torchLerp} for a weight `w` (float32, as PyTorch's opmath): `small` 1 or 0 and the coefficient. */
export function torchLerpScalars(weight: number): { readonly small: number; readonly coefficient: number } {
  const w = Math.fround(weight);
  return w < 0.5 ? { small: 1, coefficient: w } : { small: 0, coefficient: Math.fround(w - 1) };
}
