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
 * `decay^count` as jax's `lax.integer_pow` computes it in float32: binary exponentiation
 * from the lowest bit (`result *= x` for each set bit, `x *= x` between bits), each product
 * rounded to float32. That is what `jnp.power` runs when the exponent is a concrete integer.
 */
export function integerPowerFloat32(decay: number, count: number): number {
  let square = Math.fround(decay);
  let result: number | undefined;
  for (let bits = count; bits > 0; bits = Math.floor(bits / 2)) {
    if (bits % 2 === 1) result = result === undefined ? square : Math.fround(result * square);
    if (bits > 1) square = Math.fround(square * square);
  }
  return result ?? 1;
}

/**
 * The learning-rate-free step size's bias correction `√(1 - b2^t) / (1 - b1^t)` as optax
 * computes it in float32 (Prodigy, D-Adaptation). Those two write `beta2**count_inc`
 * inline in their update (not through the jitted `tree_bias_correction`), so when the
 * update runs eagerly, as the reference trajectories were made, the count is concrete and
 * jax takes `lax.integer_pow` ({@link integerPowerFloat32}); under `jax.jit` it would be
 * XLA's `pow`, as {@link optaxBiasCorrection}. Measured against optax 0.2.8 over 60
 * updates: 3.0e-5 (Prodigy) and 2.1e-5 (D-Adaptation) with the integer power, 2.6e-3 and
 * 1.8e-3 with the correctly rounded one. A decay that rounds the difference to 0 takes
 * {@link optaxBiasCorrection}'s guard.
 */
export function optaxRateCorrection(beta1: number, beta2: number, count: number): number {
  const correction = (decay: number): number => {
    const float32 = Math.fround(1 - integerPowerFloat32(decay, count));
    return float32 > 0 ? float32 : optaxBiasCorrection(decay, count);
  };
  return Math.fround(Math.fround(Math.sqrt(correction(beta2))) / correction(beta1));
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
