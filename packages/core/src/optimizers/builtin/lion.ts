import type { OptimizerMath } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { beta, define, flag, learningRate, weightDecay, numberValue, booleanValue } from './options.js';

/** Whose rounding of the decoupled weight decay: the paper's `p (1 - lr wd) - lr sign(c)` or optax's `p - lr (sign(c) + wd p)`. */
export type LionConvention = 'paper' | 'optax';

/** Resolved Lion hyperparameters for one step. */
export interface LionHyper {
  readonly convention: LionConvention;
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;
  readonly maximize: boolean;
  readonly useWeightDecay: boolean;
}

/** Lion's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type LionScalar = 'beta1' | 'oneMinusBeta1' | 'beta2' | 'oneMinusBeta2' | 'decayFactor' | 'weightDecay' | 'negativeLearningRate';

/** The structural flags of Lion: the part of {@link LionHyper} a fused kernel branches on. */
export type LionFlags = Pick<LionHyper, 'maximize' | 'useWeightDecay' | 'convention'>;

/** Lion's state slots per parameter. */
export type LionSlot = 'expAvg';

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms",
 * Algorithm 2): `u = sign(b1 m + (1 - b1) g)`; `p = p (1 - lr wd) - lr u`
 * (decoupled weight decay); `m = b2 m + (1 - b2) g`.
 */
export const lionMath: OptimizerMath<LionHyper, LionScalar, LionSlot> = {
  slots: () => ['expAvg'],
  init: (ops, param) => ({ expAvg: ops.zerosLike(param) }),
  scalars: (h, _step, host) => ({
    values: {
      beta1: h.beta1,
      oneMinusBeta1: 1 - h.beta1,
      beta2: h.beta2,
      oneMinusBeta2: 1 - h.beta2,
      decayFactor: 1 - h.learningRate * h.weightDecay,
      weightDecay: h.weightDecay,
      negativeLearningRate: -h.learningRate,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    const g = h.maximize ? ops.neg(grad) : grad;
    const m = slots.expAvg as typeof param;
    const direction = ops.sign(ops.add(ops.mul(m, s.beta1), ops.mul(g, s.oneMinusBeta1)));
    let next: typeof param;
    if (h.convention === 'optax') {
      // optax: add_decayed_weights then scale_by_learning_rate, p + (-lr) (sign(c) + wd p).
      const update = h.useWeightDecay ? ops.add(direction, ops.mul(param, s.weightDecay)) : direction;
      next = ops.add(param, ops.mul(update, s.negativeLearningRate));
    } else {
      const decayed = h.useWeightDecay ? ops.mul(param, s.decayFactor) : param;
      next = ops.add(decayed, ops.mul(direction, s.negativeLearningRate));
    }
    return {
      param: next,
      slots: { expAvg: ops.add(ops.mul(m, s.beta2), ops.mul(g, s.oneMinusBeta2)) },
    };
  },
};

export const lionDefinition = define(
  'lion',
  'Lion: sign of an interpolated momentum, decoupled weight decay (Chen et al. 2023).',
  {
    learningRate: learningRate(1e-4),
    beta1: beta(0.9, 'interpolation for the update direction'),
    beta2: beta(0.99, 'decay of the momentum'),
    weightDecay: weightDecay(0),
    maximize: flag('maximize the objective'),
    convention: {
      kind: 'enum',
      values: ['paper', 'optax'],
      default: 'paper',
      description: "the weight decay's rounding: the paper's p (1 - lr wd) - lr sign(c), or optax's p - lr (sign(c) + wd p)",
    },
  },
  lionMath,
  (v, o) => ({
    convention: v.convention as LionConvention,
    learningRate: numberValue(v, 'learningRate'),
    beta1: numberValue(v, 'beta1'),
    beta2: numberValue(v, 'beta2'),
    weightDecay: numberValue(v, 'weightDecay'),
    maximize: booleanValue(v, 'maximize'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link lion}. */
export interface LionOptions extends CommonOptimizerOptions {
  /** Default 1e-4 (Lion wants a 3-10x smaller rate than AdamW). */
  readonly learningRate?: Hyperparameter;
  /** Default 0.9. */
  readonly beta1?: Hyperparameter;
  /** Default 0.99. */
  readonly beta2?: Hyperparameter;
  /** Decoupled weight decay. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Default false. */
  readonly maximize?: boolean;
  /**
   * `'paper'` (default): `p = p (1 - lr wd) - lr sign(c)`; `'optax'`: optax's order,
   * `p = p + (-lr) (sign(c) + wd p)`. Equal but for float32 rounding (and equal without weight decay).
   */
  readonly convention?: LionConvention;
}

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms",
 * Algorithm 2): `u = sign(b1 m + (1 - b1) g)`, `p = p (1 - lr wd) - lr u`,
 * `m = b2 m + (1 - b2) g`. Defaults from the paper: learningRate 1e-4,
 * beta1 0.9, beta2 0.99, weightDecay 0.
 *
 * @example
 * ```ts
 * const optimizer = lion({ learningRate: 3e-5, weightDecay: 1 });
 * ```
 */
export function lion(options: LionOptions = {}): Optimizer {
  return createOptimizer(lionDefinition, options);
}
