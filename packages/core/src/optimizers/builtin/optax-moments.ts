import type { Ops } from '../ops.js';

/**
 * optax's `update_moment` (order 1): `(1 - decay) g + decay m`, in that operation order
 * (two products, then the sum), as `optax.tree.update_moment` computes it.
 */
export function optaxMoment<T>(ops: Ops<T>, g: T, m: T, decay: T, oneMinusDecay: T): T {
  return ops.add(ops.mul(g, oneMinusDecay), ops.mul(m, decay));
}

/** optax's `update_moment_per_elem_norm` (order 2): `(1 - decay) g² + decay v`. */
export function optaxSquareMoment<T>(ops: Ops<T>, g: T, v: T, decay: T, oneMinusDecay: T): T {
  return ops.add(ops.mul(ops.mul(g, g), oneMinusDecay), ops.mul(v, decay));
}

/**
 * optax's bias correction denominator `1 - decay^count` as jax computes it for float32
 * state: the power of the float32 decay, rounded to float32, then the difference rounded.
 * A decay so close to 1 that float32 rounds it to 1 would make that 0 (and the update
 * 0 / 0, as in optax); then the float64 value is used instead.
 */
export function optaxBiasCorrection(decay: number, count: number): number {
  const float32 = Math.fround(1 - Math.fround(Math.fround(decay) ** count));
  return float32 > 0 ? float32 : 1 - decay ** count;
}

/**
 * The learning-rate-free step size's bias correction `√(1 - b2^t) / (1 - b1^t)` as optax
 * computes it in float32 (Prodigy, D-Adaptation), with {@link optaxBiasCorrection}'s guard.
 */
export function optaxRateCorrection(beta1: number, beta2: number, count: number): number {
  return Math.fround(Math.fround(Math.sqrt(optaxBiasCorrection(beta2, count))) / optaxBiasCorrection(beta1, count));
}

/**
 * The smallest initial estimate `d0` the learning-rate-free optimizers take: below it,
 * `d0 · eps` and `d0 · g` underflow float32 and a zero gradient gives 0 / 0.
 */
export const MIN_INITIAL_ESTIMATE = 1e-30;

/**
 * The scalars of an optax Adam-style step shared by its optimizers: both decays and their
 * complements, and the bias corrections `1 - b^t` of update `step`.
 */
export function optaxAdamScalars(h: { readonly beta1: number; readonly beta2: number }, step: number) {
  return {
    beta1: h.beta1,
    oneMinusBeta1: 1 - h.beta1,
    beta2: h.beta2,
    oneMinusBeta2: 1 - h.beta2,
    biasCorrection1: optaxBiasCorrection(h.beta1, step),
    biasCorrection2: optaxBiasCorrection(h.beta2, step),
  };
}
