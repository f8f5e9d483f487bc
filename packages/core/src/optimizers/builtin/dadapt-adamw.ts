import type { OptimizerMath } from '../definition.js';
import { createOptimizer, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { optaxRateCorrection, MIN_INITIAL_ESTIMATE } from './optax-moments.js';
import { beta, define, epsilon, learningRate, numberValue, weightDecay } from './options.js';

/** Resolved D-Adaptation AdamW hyperparameters for one step. */
export interface DadaptAdamWHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly initialEstimate: number;
  readonly weightDecay: number;
}

/** D-Adaptation AdamW's per-step scalars (from its math's `scalars`): the names fused kernels would read. */
export type DadaptAdamWScalar =
  | 'beta1'
  | 'scaledOneMinusBeta1'
  | 'beta2'
  | 'oneMinusBeta2'
  | 'sqrtBeta2'
  | 'scaledOneMinusSqrtBeta2'
  | 'epsilon'
  | 'decay';

/** The structural flags of D-Adaptation AdamW (none: its options change numbers only). */
export type DadaptAdamWFlags = Record<never, never>;

/** D-Adaptation AdamW's state slots per parameter. */
export type DadaptAdamWSlot = 'expAvg' | 'expAvgSq' | 'gradSum';

const f = Math.fround;

/**
 * D-Adaptation AdamW (Defazio and Mishchenko 2023) as optax `contrib.dadapt_adamw`, with
 * the estimate `d` and its weighted numerator as host state per group (optax: one group):
 * `dlr = d lr √(1 - b2^t) / (1 - b1^t)`; per parameter, with `√b2 = sb2`,
 * `r += Σ g · s / (√v + eps)` (the previous `s` and `v`), `m = b1 m + (1 - b1) dlr g`,
 * `v = b2 v + (1 - b2) g²`, `s = sb2 s + (1 - sb2) dlr g`, `p = p - wd dlr p - m / (√v + eps)`;
 * after the step `r = sb2 r + (1 - sb2) dlr Σ…` and `d = max(d, r / ((1 - sb2) Σ|s|))`.
 */
export const dadaptAdamWMath: OptimizerMath<DadaptAdamWHyper, DadaptAdamWScalar, DadaptAdamWSlot> = {
  slots: () => ['expAvg', 'expAvgSq', 'gradSum'],
  init: (ops, param) => ({ expAvg: ops.zerosLike(param), expAvgSq: ops.zerosLike(param), gradSum: ops.zerosLike(param) }),
  initHost: (h) => ({ estimate: f(h.initialEstimate), numerator: 0 }),
  scalars: (h, step, host) => {
    const estimate = host.estimate ?? f(h.initialEstimate);
    const stepSize = f(f(estimate * f(h.learningRate)) * optaxRateCorrection(h.beta1, h.beta2, step));
    const sqrtBeta2 = h.beta2 ** 0.5;
    return {
      values: {
        beta1: h.beta1,
        // optax: (1 - b1) * dlr * g, the product of the two scalars first.
        scaledOneMinusBeta1: f(f(1 - h.beta1) * stepSize),
        beta2: h.beta2,
        oneMinusBeta2: 1 - h.beta2,
        sqrtBeta2,
        scaledOneMinusSqrtBeta2: f(f(1 - sqrtBeta2) * stepSize),
        epsilon: h.epsilon,
        decay: f(f(-h.weightDecay) * stepSize),
      },
      host: { ...host, estimate, stepSize },
    };
  },
  update: ({ ops, s, param, grad, slots }) => {
    const previousSum = slots.gradSum as typeof param;
    const previousSq = slots.expAvgSq as typeof param;
    const weighted = ops.div(previousSum, ops.add(ops.sqrt(previousSq), s.epsilon));
    const numerator = ops.sum(ops.mul(grad, weighted));
    const expAvg = ops.add(ops.mul(slots.expAvg as typeof param, s.beta1), ops.mul(grad, s.scaledOneMinusBeta1));
    const expAvgSq = ops.add(ops.mul(previousSq, s.beta2), ops.mul(ops.mul(grad, s.oneMinusBeta2), grad));
    const gradSum = ops.add(ops.mul(previousSum, s.sqrtBeta2), ops.mul(grad, s.scaledOneMinusSqrtBeta2));
    const update = ops.sub(ops.mul(param, s.decay), ops.div(expAvg, ops.add(ops.sqrt(expAvgSq), s.epsilon)));
    return {
      param: ops.add(param, update),
      slots: { expAvg, expAvgSq, gradSum },
      reduce: { numerator, denominator: ops.sum(ops.abs(gradSum)) },
    };
  },
  absorb: (h, host, totals) => {
    const estimate = host.estimate as number;
    const stepSize = host.stepSize as number;
    const sqrtBeta2 = h.beta2 ** 0.5;
    const numerator = f(f(f(sqrtBeta2) * (host.numerator as number)) + f(f(f(1 - sqrtBeta2) * stepSize) * f(totals.numerator as number)));
    const denominator = f(f(1 - sqrtBeta2) * f(totals.denominator as number));
    // optax divides as it is (0 / 0 is NaN there); with no gradient sum yet the estimate stays.
    const proposed = denominator > 0 ? f(numerator / denominator) : estimate;
    return { estimate: Math.max(estimate, proposed), numerator };
  },
};

export const dadaptAdamWDefinition = define(
  'dAdaptAdamW',
  'D-Adaptation AdamW: AdamW whose step size is estimated from the data (optax contrib.dadapt_adamw).',
  {
    learningRate: learningRate(1),
    beta1: beta(0.9, 'decay of the first moment'),
    beta2: beta(0.999, 'decay of the second moment'),
    epsilon: epsilon(1e-8),
    initialEstimate: { kind: 'number', min: MIN_INITIAL_ESTIMATE, default: 1e-6, description: 'initial estimate d0 (optax estim_lr0)' },
    weightDecay: weightDecay(0),
  },
  dadaptAdamWMath,
  (v) => ({
    learningRate: numberValue(v, 'learningRate'),
    beta1: numberValue(v, 'beta1'),
    beta2: numberValue(v, 'beta2'),
    epsilon: numberValue(v, 'epsilon'),
    initialEstimate: numberValue(v, 'initialEstimate'),
    weightDecay: numberValue(v, 'weightDecay'),
  }),
);

/** Options of {@link dAdaptAdamW}. */
export interface DadaptAdamWOptions extends CommonOptimizerOptions {
  /** A factor on the estimated rate (keep 1; a schedule shapes it). Default 1. */
  readonly learningRate?: Hyperparameter;
  /** Default 0.9. */
  readonly beta1?: Hyperparameter;
  /** Default 0.999. */
  readonly beta2?: Hyperparameter;
  /** Default 1e-8. */
  readonly epsilon?: number;
  /** The first estimate `d0` (optax `estim_lr0`). Default 1e-6. */
  readonly initialEstimate?: number;
  /** Decoupled weight decay, scaled by the estimated rate: `p -= wd dlr p`. Default 0. */
  readonly weightDecay?: Hyperparameter;
}

/**
 * D-Adaptation AdamW (Defazio and Mishchenko 2023, "Learning-Rate-Free Learning by
 * D-Adaptation"), exactly optax's `optax.contrib.dadapt_adamw`: AdamW whose step size
 * `d` is estimated from the data, so `learningRate` stays 1:
 * `dlr = d lr √(1 - b2^t) / (1 - b1^t)`, `m = b1 m + (1 - b1) dlr g`,
 * `v = b2 v + (1 - b2) g²`, `p = p - wd dlr p - m / (√v + eps)`, and after each update
 * `d = max(d, r / ((1 - √b2) Σ|s|))` with `s` the `√b2`-average of `dlr g` and `r` the
 * weighted sum of `g · s / (√v + eps)`. The estimate is per parameter group (optax: one
 * group), host state read back after each update. Defaults as optax: learningRate 1,
 * beta1 0.9, beta2 0.999, epsilon 1e-8, initialEstimate 1e-6, weightDecay 0.
 *
 * @example
 * ```ts
 * const optimizer = dAdaptAdamW({ weightDecay: 0.01 });
 * ```
 */
export function dAdaptAdamW(options: DadaptAdamWOptions = {}): Optimizer {
  return createOptimizer(dadaptAdamWDefinition, options);
}
