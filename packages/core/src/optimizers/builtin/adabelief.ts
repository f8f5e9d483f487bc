import type { OptimizerMath } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { optaxAdamScalars, optaxBiasCorrection, optaxMoment, optaxSquareMoment } from './optax-moments.js';
import { beta, booleanValue, define, epsilon, flag, learningRate, numberValue, weightDecay } from './options.js';

/** Resolved AdaBelief hyperparameters for one step. */
export interface AdabeliefHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly epsilonRoot: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly useWeightDecay: boolean;
}

/** AdaBelief's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type AdabeliefScalar =
  | 'beta1'
  | 'oneMinusBeta1'
  | 'beta2'
  | 'oneMinusBeta2'
  | 'epsilon'
  | 'epsilonRoot'
  | 'weightDecay'
  | 'biasCorrection1'
  | 'biasCorrection1Next'
  | 'biasCorrection2'
  | 'negativeLearningRate';

/** The structural flags of AdaBelief: the part of {@link AdabeliefHyper} a fused kernel branches on. */
export type AdabeliefFlags = Pick<AdabeliefHyper, 'nesterov' | 'useWeightDecay'>;

/** AdaBelief's state slots per parameter: the first moment and the second central moment (the "belief"). */
export type AdabeliefSlot = 'expAvg' | 'expAvgVar';

/**
 * AdaBelief (Zhuang et al. 2020) as optax `adabelief` (`scale_by_belief`, then
 * `add_decayed_weights`, then `-lr`): `m = (1 - b1) g + b1 m`;
 * `s = (1 - b2) (g - m)² + b2 s + epsRoot`; `m̂ = m / (1 - b1^t)` (Nesterov:
 * `b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t)`); `ŝ = s / (1 - b2^t)`;
 * `p = p - lr (m̂ / (√ŝ + eps) + wd p)`.
 */
export const adabeliefMath: OptimizerMath<AdabeliefHyper, AdabeliefScalar, AdabeliefSlot> = {
  slots: () => ['expAvg', 'expAvgVar'],
  init: (ops, param) => ({ expAvg: ops.zerosLike(param), expAvgVar: ops.zerosLike(param) }),
  scalars: (h, step, host) => ({
    values: {
      ...optaxAdamScalars(h, step),
      epsilon: h.epsilon,
      epsilonRoot: h.epsilonRoot,
      weightDecay: h.weightDecay,
      biasCorrection1Next: optaxBiasCorrection(h.beta1, step + 1),
      negativeLearningRate: -h.learningRate,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    const expAvg = optaxMoment(ops, grad, slots.expAvg as typeof param, s.beta1, s.oneMinusBeta1);
    const belief = optaxSquareMoment(ops, ops.sub(grad, expAvg), slots.expAvgVar as typeof param, s.beta2, s.oneMinusBeta2);
    const expAvgVar = ops.add(belief, s.epsilonRoot);
    const first = h.nesterov
      ? ops.add(ops.mul(ops.div(expAvg, s.biasCorrection1Next), s.beta1), ops.mul(ops.div(grad, s.biasCorrection1), s.oneMinusBeta1))
      : ops.div(expAvg, s.biasCorrection1);
    const direction = ops.div(first, ops.add(ops.sqrt(ops.div(expAvgVar, s.biasCorrection2)), s.epsilon));
    const update = h.useWeightDecay ? ops.add(direction, ops.mul(param, s.weightDecay)) : direction;
    return { param: ops.add(param, ops.mul(update, s.negativeLearningRate)), slots: { expAvg, expAvgVar } };
  },
};

export const adabeliefDefinition = define(
  'adabelief',
  'AdaBelief: Adam whose second moment tracks the variance of the gradient around its mean (optax adabelief).',
  {
    learningRate: learningRate(1e-3),
    beta1: beta(0.9, 'decay of the first moment'),
    beta2: beta(0.999, 'decay of the second central moment'),
    epsilon: epsilon(1e-16),
    epsilonRoot: { kind: 'number', min: 0, default: 1e-16, description: 'added to the second central moment (optax eps_root)' },
    weightDecay: weightDecay(0),
    nesterov: flag('Nesterov momentum (optax nesterov)'),
  },
  adabeliefMath,
  (v, o) => ({
    learningRate: numberValue(v, 'learningRate'),
    beta1: numberValue(v, 'beta1'),
    beta2: numberValue(v, 'beta2'),
    epsilon: numberValue(v, 'epsilon'),
    epsilonRoot: numberValue(v, 'epsilonRoot'),
    weightDecay: numberValue(v, 'weightDecay'),
    nesterov: booleanValue(v, 'nesterov'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link adabelief}. */
export interface AdabeliefOptions extends CommonOptimizerOptions {
  /** Default 1e-3. */
  readonly learningRate?: Hyperparameter;
  /** Default 0.9. */
  readonly beta1?: Hyperparameter;
  /** Default 0.999. */
  readonly beta2?: Hyperparameter;
  /** Added to `√ŝ`. Default 1e-16 (optax; the paper uses 1e-8 with epsilonRoot 0). */
  readonly epsilon?: number;
  /** Added to the second central moment each step (optax `eps_root`). Default 1e-16. */
  readonly epsilonRoot?: number;
  /** Decoupled weight decay, scaled by the learning rate: `p -= lr wd p` (optax `add_decayed_weights`). Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Nesterov momentum (optax `nesterov=True`). Default false. */
  readonly nesterov?: boolean;
}

/**
 * AdaBelief (Zhuang et al. 2020, "AdaBelief Optimizer: Adapting Stepsizes by the
 * Belief in Observed Gradients"), exactly optax's `optax.adabelief`:
 * `m = (1 - b1) g + b1 m`, `s = (1 - b2) (g - m)² + b2 s + epsRoot`,
 * `p = p - lr (m / (1 - b1^t) / (√(s / (1 - b2^t)) + eps) + wd p)`.
 * Defaults as optax: beta1 0.9, beta2 0.999, epsilon 1e-16, epsilonRoot 1e-16,
 * weightDecay 0 (optax `None`); learningRate 1e-3 (optax has no default).
 *
 * @example
 * ```ts
 * const optimizer = adabelief({ learningRate: 1e-3, weightDecay: 1e-4 });
 * ```
 */
export function adabelief(options: AdabeliefOptions = {}): Optimizer {
  return createOptimizer(adabeliefDefinition, options);
}
