import type { OptimizerMath } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { optaxAdamScalars, optaxMoment, optaxSquareMoment } from './optax-moments.js';
import { beta, define, epsilon, learningRate, numberValue, weightDecay } from './options.js';

/** Resolved AdEMAMix hyperparameters for one step. */
export interface AdemamixHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly beta3: number;
  readonly alpha: number;
  readonly epsilon: number;
  readonly epsilonRoot: number;
  readonly weightDecay: number;
  readonly useWeightDecay: boolean;
}

/** AdEMAMix's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type AdemamixScalar =
  | 'beta1'
  | 'oneMinusBeta1'
  | 'beta2'
  | 'oneMinusBeta2'
  | 'beta3'
  | 'oneMinusBeta3'
  | 'alpha'
  | 'epsilon'
  | 'epsilonRoot'
  | 'weightDecay'
  | 'biasCorrection1'
  | 'biasCorrection2'
  | 'negativeLearningRate';

/** The structural flags of AdEMAMix: the part of {@link AdemamixHyper} a fused kernel branches on. */
export type AdemamixFlags = Pick<AdemamixHyper, 'useWeightDecay'>;

/** AdEMAMix's state slots per parameter: the fast and slow gradient averages and the second moment. */
export type AdemamixSlot = 'expAvgFast' | 'expAvgSlow' | 'expAvgSq';

/**
 * AdEMAMix (Pagliardini et al. 2024) as optax `contrib.ademamix`: a fast EMA
 * `m1 = (1 - b1) g + b1 m1` (bias-corrected), a slow EMA `m2 = (1 - b3) g + b3 m2`
 * (not corrected), `v = (1 - b2) g² + b2 v`;
 * `p = p - lr ((m1 / (1 - b1^t) + alpha m2) / (√(v / (1 - b2^t) + epsRoot) + eps) + wd p)`.
 */
export const ademamixMath: OptimizerMath<AdemamixHyper, AdemamixScalar, AdemamixSlot> = {
  slots: () => ['expAvgFast', 'expAvgSlow', 'expAvgSq'],
  init: (ops, param) => ({ expAvgFast: ops.zerosLike(param), expAvgSlow: ops.zerosLike(param), expAvgSq: ops.zerosLike(param) }),
  scalars: (h, step, host) => ({
    values: {
      ...optaxAdamScalars(h, step),
      beta3: h.beta3,
      oneMinusBeta3: 1 - h.beta3,
      alpha: h.alpha,
      epsilon: h.epsilon,
      epsilonRoot: h.epsilonRoot,
      weightDecay: h.weightDecay,
      negativeLearningRate: -h.learningRate,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    const expAvgFast = optaxMoment(ops, grad, slots.expAvgFast as typeof param, s.beta1, s.oneMinusBeta1);
    const expAvgSlow = optaxMoment(ops, grad, slots.expAvgSlow as typeof param, s.beta3, s.oneMinusBeta3);
    const expAvgSq = optaxSquareMoment(ops, grad, slots.expAvgSq as typeof param, s.beta2, s.oneMinusBeta2);
    const numerator = ops.add(ops.div(expAvgFast, s.biasCorrection1), ops.mul(expAvgSlow, s.alpha));
    const denominator = ops.add(ops.sqrt(ops.add(ops.div(expAvgSq, s.biasCorrection2), s.epsilonRoot)), s.epsilon);
    const direction = ops.div(numerator, denominator);
    const update = h.useWeightDecay ? ops.add(direction, ops.mul(param, s.weightDecay)) : direction;
    return { param: ops.add(param, ops.mul(update, s.negativeLearningRate)), slots: { expAvgFast, expAvgSlow, expAvgSq } };
  },
};

export const ademamixDefinition = define(
  'ademamix',
  'AdEMAMix: Adam with a second, slow gradient average mixed in (optax contrib.ademamix).',
  {
    learningRate: learningRate(1e-3),
    beta1: beta(0.9, 'decay of the fast first moment'),
    beta2: beta(0.999, 'decay of the second moment'),
    beta3: beta(0.9999, 'decay of the slow first moment'),
    alpha: { kind: 'hyperparameter', min: 0, default: 5, description: 'weight of the slow first moment' },
    epsilon: epsilon(1e-8),
    epsilonRoot: { kind: 'number', min: 0, default: 0, description: 'added inside the square root (optax eps_root)' },
    weightDecay: weightDecay(0),
  },
  ademamixMath,
  (v, o) => ({
    learningRate: numberValue(v, 'learningRate'),
    beta1: numberValue(v, 'beta1'),
    beta2: numberValue(v, 'beta2'),
    beta3: numberValue(v, 'beta3'),
    alpha: numberValue(v, 'alpha'),
    epsilon: numberValue(v, 'epsilon'),
    epsilonRoot: numberValue(v, 'epsilonRoot'),
    weightDecay: numberValue(v, 'weightDecay'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link ademamix}. */
export interface AdemamixOptions extends CommonOptimizerOptions {
  /** Default 1e-3. */
  readonly learningRate?: Hyperparameter;
  /** Decay of the fast average. Default 0.9. */
  readonly beta1?: Hyperparameter;
  /** Decay of the second moment. Default 0.999. */
  readonly beta2?: Hyperparameter;
  /** Decay of the slow average; the paper warms it up with a schedule. Default 0.9999. */
  readonly beta3?: Hyperparameter;
  /** Weight of the slow average; the paper warms it up with a schedule. Default 5 (optax). */
  readonly alpha?: Hyperparameter;
  /** Default 1e-8. */
  readonly epsilon?: number;
  /** Added inside the square root (optax `eps_root`). Default 0. */
  readonly epsilonRoot?: number;
  /** Decoupled weight decay, scaled by the learning rate: `p -= lr wd p`. Default 0. */
  readonly weightDecay?: Hyperparameter;
}

/**
 * AdEMAMix (Pagliardini et al. 2024, "The AdEMAMix Optimizer: Better, Faster,
 * Older"), exactly optax's `optax.contrib.ademamix`:
 * `m1 = (1 - b1) g + b1 m1`, `m2 = (1 - b3) g + b3 m2`, `v = (1 - b2) g² + b2 v`,
 * `p = p - lr ((m1 / (1 - b1^t) + alpha m2) / (√(v / (1 - b2^t) + epsRoot) + eps) + wd p)`.
 * `beta3` and `alpha` may be schedules (the paper's warmups, evaluated at the update
 * count as optax does). Defaults as optax: beta1 0.9, beta2 0.999, beta3 0.9999,
 * alpha 5, epsilon 1e-8, epsilonRoot 0, weightDecay 0; learningRate 1e-3.
 *
 * @example
 * ```ts
 * const optimizer = ademamix({ learningRate: 1e-3, alpha: linear({ initialValue: 0, endValue: 5, steps: 1000 }) });
 * ```
 */
export function ademamix(options: AdemamixOptions = {}): Optimizer {
  return createOptimizer(ademamixDefinition, options);
}
