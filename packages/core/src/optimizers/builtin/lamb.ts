import { updateMoments } from './moments.js';
import { optaxBiasCorrection, optaxMoment, optaxSquareMoment } from './optax-moments.js';
import type { OptimizerMath } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { beta, define, epsilon, flag, learningRate, weightDecay, numberValue, booleanValue } from './options.js';

/** Whose rounding: PyTorch-style moments (the paper's Algorithm 2) or optax's `lamb` operation by operation. */
export type LambConvention = 'paper' | 'optax';

/** Resolved LAMB hyperparameters for one step. */
export interface LambHyper {
  readonly convention: LambConvention;
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly epsilonRoot: number;
  readonly weightDecay: number;
  readonly biasCorrection: boolean;
  readonly maximize: boolean;
  readonly useWeightDecay: boolean;
}

/** LAMB's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type LambScalar =
  | 'beta1'
  | 'oneMinusBeta1'
  | 'beta2'
  | 'oneMinusBeta2'
  | 'epsilon'
  | 'epsilonRoot'
  | 'weightDecay'
  | 'biasCorrection1'
  | 'biasCorrection2'
  | 'negativeLearningRate'
  | 'zero'
  | 'one';

/** The structural flags of LAMB: the part of {@link LambHyper} a fused kernel branches on. */
export type LambFlags = Pick<LambHyper, 'biasCorrection' | 'maximize' | 'useWeightDecay' | 'convention'>;

/** LAMB's state slots per parameter. */
export type LambSlot = 'expAvg' | 'expAvgSq';

/**
 * LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning: Training
 * BERT in 76 minutes", Algorithm 2): `m`, `v` as Adam (bias-corrected unless
 * `biasCorrection` is off); `r = m̂ / (√(v̂ + epsRoot) + eps) + wd p` (optax `eps_root`);
 * trust ratio `φ = ‖p‖ / ‖r‖` (1 when either norm is 0); `p -= lr φ r`.
 */
export const lambMath: OptimizerMath<LambHyper, LambScalar, LambSlot> = {
  slots: () => ['expAvg', 'expAvgSq'],
  init: (ops, param) => ({ expAvg: ops.zerosLike(param), expAvgSq: ops.zerosLike(param) }),
  scalars: (h, step, host) => ({
    values: {
      beta1: h.beta1,
      oneMinusBeta1: 1 - h.beta1,
      beta2: h.beta2,
      oneMinusBeta2: 1 - h.beta2,
      epsilon: h.epsilon,
      epsilonRoot: h.epsilonRoot,
      weightDecay: h.weightDecay,
      biasCorrection1: h.biasCorrection ? (h.convention === 'optax' ? optaxBiasCorrection(h.beta1, step) : 1 - h.beta1 ** step) : 1,
      biasCorrection2: h.biasCorrection ? (h.convention === 'optax' ? optaxBiasCorrection(h.beta2, step) : 1 - h.beta2 ** step) : 1,
      negativeLearningRate: -h.learningRate,
      zero: 0,
      one: 1,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    const g = h.maximize ? ops.neg(grad) : grad;
    const optax = h.convention === 'optax';
    const m = slots.expAvg as typeof param;
    const v = slots.expAvgSq as typeof param;
    const { expAvg, expAvgSq } = optax
      ? { expAvg: optaxMoment(ops, g, m, s.beta1, s.oneMinusBeta1), expAvgSq: optaxSquareMoment(ops, g, v, s.beta2, s.oneMinusBeta2) }
      : updateMoments(ops, s, g, m, v);
    const adamStep = ops.div(
      ops.div(expAvg, s.biasCorrection1),
      ops.add(ops.sqrt(ops.add(ops.div(expAvgSq, s.biasCorrection2), s.epsilonRoot)), s.epsilon),
    );
    const r = h.useWeightDecay ? ops.add(adamStep, ops.mul(param, s.weightDecay)) : adamStep;
    const weightNorm = ops.sqrt(ops.sum(ops.mul(param, param)));
    const updateNorm = ops.sqrt(ops.sum(ops.mul(r, r)));
    const bothPositive = ops.mul(ops.greater(weightNorm, s.zero), ops.greater(updateNorm, s.zero));
    const trust = ops.where(bothPositive, ops.div(weightNorm, updateNorm), s.one);
    // optax scales by the trust ratio, then by -lr (scale_by_trust_ratio, scale_by_learning_rate).
    const step = optax ? ops.mul(ops.mul(r, trust), s.negativeLearningRate) : ops.mul(r, ops.mul(trust, s.negativeLearningRate));
    return {
      param: ops.add(param, step),
      slots: { expAvg, expAvgSq },
    };
  },
};

export const lambDefinition = define(
  'lamb',
  'LAMB: Adam with a layer-wise trust ratio (You et al. 2020).',
  {
    learningRate: learningRate(1e-3),
    beta1: beta(0.9, 'decay of the first moment'),
    beta2: beta(0.999, 'decay of the second moment'),
    epsilon: epsilon(1e-6),
    epsilonRoot: { kind: 'number', min: 0, default: 0, description: 'added to v̂ inside the square root (optax eps_root)' },
    weightDecay: weightDecay(0),
    biasCorrection: { kind: 'boolean', default: true, description: 'bias-correct the moments' },
    maximize: flag('maximize the objective'),
    convention: {
      kind: 'enum',
      values: ['paper', 'optax'],
      default: 'paper',
      description: "rounding: PyTorch-style moments (the paper's), or optax's lamb operation by operation",
    },
  },
  lambMath,
  (v, o) => ({
    convention: v.convention as LambConvention,
    learningRate: numberValue(v, 'learningRate'),
    beta1: numberValue(v, 'beta1'),
    beta2: numberValue(v, 'beta2'),
    epsilon: numberValue(v, 'epsilon'),
    epsilonRoot: numberValue(v, 'epsilonRoot'),
    weightDecay: numberValue(v, 'weightDecay'),
    biasCorrection: booleanValue(v, 'biasCorrection'),
    maximize: booleanValue(v, 'maximize'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link lamb}. */
export interface LambOptions extends CommonOptimizerOptions {
  /** Default 1e-3. */
  readonly learningRate?: Hyperparameter;
  /** Default 0.9. */
  readonly beta1?: Hyperparameter;
  /** Default 0.999. */
  readonly beta2?: Hyperparameter;
  /** Default 1e-6. */
  readonly epsilon?: number;
  /** Added to `v̂` inside the square root, as optax's `eps_root`. Default 0. */
  readonly epsilonRoot?: number;
  /** Weight decay inside the trust-ratio update. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Bias-correct the moments (Algorithm 2 of the paper). Default true. */
  readonly biasCorrection?: boolean;
  /** Default false. */
  readonly maximize?: boolean;
  /**
   * `'paper'` (default): moments as PyTorch rounds them (`m b1 + (1 - b1) g` as one fused
   * multiply-add), bias corrections in float64, `p + r (φ · -lr)`; `'optax'`: optax's `lamb`
   * operation by operation (`(1 - b1) g + b1 m`, float32 bias corrections, `p + (r φ) · -lr`).
   * Equal but for float32 rounding.
   */
  readonly convention?: LambConvention;
}

/**
 * LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning",
 * Algorithm 2): Adam's direction `r = m̂ / (√(v̂ + epsRoot) + eps) + wd p`, scaled per
 * parameter tensor by the trust ratio `‖p‖ / ‖r‖` (1 if either is 0):
 * `p -= lr ‖p‖ / ‖r‖ · r`. Defaults: learningRate 1e-3, beta1 0.9, beta2 0.999,
 * epsilon 1e-6, epsilonRoot 0 (optax `eps_root`), weightDecay 0, biasCorrection true.
 *
 * @example
 * ```ts
 * const optimizer = lamb({ learningRate: 2e-3, weightDecay: 0.01 });
 * ```
 */
export function lamb(options: LambOptions = {}): Optimizer {
  return createOptimizer(lambDefinition, options);
}
