import type { OptimizerMath } from '../definition.js';
import { createOptimizer, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { optaxMoment, optaxSquareMoment } from './optax-moments.js';
import { beta, booleanValue, define, epsilon, flag, learningRate, numberValue } from './options.js';

/** Resolved ADOPT hyperparameters for one step. */
export interface AdoptHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly clipping: boolean;
  readonly clipExponent: number;
  readonly nesterov: boolean;
}

/** ADOPT's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type AdoptScalar =
  | 'beta1'
  | 'oneMinusBeta1'
  | 'beta2'
  | 'oneMinusBeta2'
  | 'epsilon'
  | 'clipValue'
  | 'negativeClipValue'
  | 'negativeLearningRate';

/** The structural flags of ADOPT: the part of {@link AdoptHyper} a fused kernel branches on. */
export type AdoptFlags = Pick<AdoptHyper, 'clipping' | 'nesterov'>;

/** ADOPT's state slots per parameter. */
export type AdoptSlot = 'expAvg' | 'expAvgSq';

/**
 * ADOPT (Taniguchi et al. 2024) as optax `contrib.adopt`: the gradient is
 * normalised by the second moment of the *previous* steps, then averaged:
 * `u = clip(g / max(√v, eps), ±(t-1)^clipExponent)`; `m = (1 - b1) u + b1 m`;
 * `v = (1 - b2) g² + b2 v`; `p = p - lr m` (Nesterov: `p = p - lr ((1 - b1) u + b1 m)`).
 * The first step only initialises `v = g²` (`b1` is 1 and `b2` 0 there), so it
 * moves nothing.
 */
export const adoptMath: OptimizerMath<AdoptHyper, AdoptScalar, AdoptSlot> = {
  slots: () => ['expAvg', 'expAvgSq'],
  init: (ops, param) => ({ expAvg: ops.zerosLike(param), expAvgSq: ops.zerosLike(param) }),
  scalars: (h, step, host) => {
    // optax's count is the number of updates before this one (step - 1).
    const first = step === 1;
    // optax picks them with jnp.where, so they are float32 arrays and 1 - b is a float32 difference.
    const beta1 = first ? 1 : Math.fround(h.beta1);
    const beta2 = first ? 0 : Math.fround(h.beta2);
    const clipValue = Math.fround((step - 1) ** h.clipExponent);
    return {
      values: {
        beta1,
        oneMinusBeta1: Math.fround(1 - beta1),
        beta2,
        oneMinusBeta2: Math.fround(1 - beta2),
        epsilon: h.epsilon,
        clipValue,
        negativeClipValue: -clipValue,
        negativeLearningRate: -h.learningRate,
      },
      host,
    };
  },
  update: ({ ops, s, h, param, grad, slots }) => {
    const previous = slots.expAvgSq as typeof param;
    const normalised = ops.div(grad, ops.maximum(ops.sqrt(previous), s.epsilon));
    const u = h.clipping ? ops.minimum(ops.maximum(normalised, s.negativeClipValue), s.clipValue) : normalised;
    const expAvg = optaxMoment(ops, u, slots.expAvg as typeof param, s.beta1, s.oneMinusBeta1);
    const expAvgSq = optaxSquareMoment(ops, grad, previous, s.beta2, s.oneMinusBeta2);
    const update = h.nesterov ? optaxMoment(ops, u, expAvg, s.beta1, s.oneMinusBeta1) : expAvg;
    return { param: ops.add(param, ops.mul(update, s.negativeLearningRate)), slots: { expAvg, expAvgSq } };
  },
};

export const adoptDefinition = define(
  'adopt',
  'ADOPT: Adam with the gradient normalised by the previous second moment, clipped (optax contrib.adopt).',
  {
    learningRate: learningRate(1e-3),
    beta1: beta(0.9, 'decay of the first moment'),
    beta2: beta(0.9999, 'decay of the second moment'),
    epsilon: epsilon(1e-6),
    clipping: { kind: 'boolean', default: true, description: 'clip the normalised gradient to ±(t-1)^clipExponent' },
    clipExponent: { kind: 'number', min: 0, default: 0.25, description: 'exponent of the clip bound (optax clip_value_fn x**0.25)' },
    nesterov: flag('Nesterov momentum (optax nesterov)'),
  },
  adoptMath,
  (v) => ({
    learningRate: numberValue(v, 'learningRate'),
    beta1: numberValue(v, 'beta1'),
    beta2: numberValue(v, 'beta2'),
    epsilon: numberValue(v, 'epsilon'),
    clipping: booleanValue(v, 'clipping'),
    clipExponent: numberValue(v, 'clipExponent'),
    nesterov: booleanValue(v, 'nesterov'),
  }),
);

/** Options of {@link adopt}. */
export interface AdoptOptions extends CommonOptimizerOptions {
  /** Default 1e-3. */
  readonly learningRate?: Hyperparameter;
  /** Default 0.9. */
  readonly beta1?: Hyperparameter;
  /** Default 0.9999. */
  readonly beta2?: Hyperparameter;
  /** Floor of `√v` in the normalisation `g / max(√v, eps)`. Default 1e-6. */
  readonly epsilon?: number;
  /** Clip the normalised gradient to `±(t-1)^clipExponent` at update `t` (optax `use_clipping`). Default true. */
  readonly clipping?: boolean;
  /** Exponent of the clip bound (optax's default `clip_value_fn` is `x ** 0.25`). Default 0.25. */
  readonly clipExponent?: number;
  /** Nesterov momentum (optax `nesterov=True`). Default false. */
  readonly nesterov?: boolean;
}

/**
 * ADOPT (Taniguchi et al. 2024, "ADOPT: Modified Adam Can Converge with Any β2
 * with the Optimal Rate"), exactly optax's `optax.contrib.adopt`: at update `t`,
 * `u = clip(g / max(√v, eps), -(t-1)^0.25, (t-1)^0.25)` with the second moment `v` of
 * the steps before, `m = (1 - b1) u + b1 m`, `v = (1 - b2) g² + b2 v`, `p = p - lr m`.
 * The first update only sets `v = g²`. Defaults as optax: beta1 0.9, beta2 0.9999,
 * epsilon 1e-6, clipping on; learningRate 1e-3 (optax has no default).
 *
 * @example
 * ```ts
 * const optimizer = adopt({ learningRate: 1e-3 });
 * ```
 */
export function adopt(options: AdoptOptions = {}): Optimizer {
  return createOptimizer(adoptDefinition, options);
}
