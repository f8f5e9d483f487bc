import type { OptimizerMath, Slots } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { define, epsilon, flag, learningRate, weightDecay, numberValue, booleanValue } from './options.js';

/** Resolved RMSprop hyperparameters for one step. */
export interface RmspropHyper {
  readonly learningRate: number;
  readonly alpha: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly centered: boolean;
  readonly maximize: boolean;
  readonly useMomentum: boolean;
  readonly useWeightDecay: boolean;
}

/** RMSprop's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type RmspropScalar = 'alpha' | 'oneMinusAlpha' | 'epsilon' | 'weightDecay' | 'momentum' | 'negativeLearningRate';

/** The structural flags of RMSprop: the part of {@link RmspropHyper} a fused kernel branches on. */
export type RmspropFlags = Pick<RmspropHyper, 'centered' | 'maximize' | 'useMomentum' | 'useWeightDecay'>;

/** RMSprop's state slots per parameter. */
export type RmspropSlot = 'squareAvg' | 'momentumBuffer' | 'gradAvg';

/**
 * RMSprop (Hinton, Coursera lecture 6e; centered: Graves 2013) as PyTorch:
 * `v = a v + (1 - a) g²`; centered: `gAvg = a gAvg + (1 - a) g`,
 * `avg = √max(v - gAvg², 0) + eps` (PyTorch has no max: NaN where rounding makes
 * the difference negative), else `avg = √v + eps`; with momentum
 * `b = mu b + g / avg`, `p -= lr b`, else `p -= lr g / avg`.
 */
export const rmspropMath: OptimizerMath<RmspropHyper, RmspropScalar, RmspropSlot> = {
  slots: (h) => ['squareAvg', ...(h.useMomentum ? ['momentumBuffer' as const] : []), ...(h.centered ? ['gradAvg' as const] : [])],
  init: (ops, param, h) => {
    const slots: Slots<typeof param> = { squareAvg: ops.zerosLike(param) };
    if (h.useMomentum) slots.momentumBuffer = ops.zerosLike(param);
    if (h.centered) slots.gradAvg = ops.zerosLike(param);
    return slots;
  },
  scalars: (h, _step, host) => ({
    values: {
      alpha: h.alpha,
      oneMinusAlpha: 1 - h.alpha,
      epsilon: h.epsilon,
      weightDecay: h.weightDecay,
      momentum: h.momentum,
      negativeLearningRate: -h.learningRate,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    let g = h.maximize ? ops.neg(grad) : grad;
    if (h.useWeightDecay) g = ops.addScaled(g, param, s.weightDecay);
    const squareAvg = ops.addScaled(ops.mul(slots.squareAvg as typeof param, s.alpha), ops.mul(g, s.oneMinusAlpha), g);
    const next: Slots<typeof param> = { squareAvg };
    let variance = squareAvg;
    if (h.centered) {
      const gradAvg = ops.addScaled(ops.mul(slots.gradAvg as typeof param, s.alpha), g, s.oneMinusAlpha);
      next.gradAvg = gradAvg;
      // v - gAvg² is >= 0 in exact arithmetic; rounding can make it slightly negative (e.g. alpha = 0
      // at a step), where PyTorch's sqrt gives NaN. Clamped at 0 here: identical whenever PyTorch is finite.
      variance = ops.maximum(ops.addScaled(squareAvg, ops.neg(gradAvg), gradAvg), ops.scalar(0));
    }
    const avg = ops.add(ops.sqrt(variance), s.epsilon);
    if (h.useMomentum) {
      const buffer = ops.add(ops.mul(slots.momentumBuffer as typeof param, s.momentum), ops.div(g, avg));
      next.momentumBuffer = buffer;
      return { param: ops.addScaled(param, buffer, s.negativeLearningRate), slots: next };
    }
    return { param: ops.add(param, ops.div(ops.mul(g, s.negativeLearningRate), avg)), slots: next };
  },
};

export const rmspropDefinition = define(
  'rmsprop',
  'RMSprop, centered or not, with momentum (PyTorch RMSprop).',
  {
    learningRate: learningRate(1e-2),
    alpha: { kind: 'hyperparameter', min: 0, max: 1, default: 0.99, description: 'smoothing constant' },
    epsilon: epsilon(1e-8),
    weightDecay: weightDecay(0),
    momentum: { kind: 'hyperparameter', min: 0, default: 0, description: 'momentum factor' },
    centered: flag('normalise by the estimated variance'),
    maximize: flag('maximize the objective'),
  },
  rmspropMath,
  (v, o) => ({
    learningRate: numberValue(v, 'learningRate'),
    alpha: numberValue(v, 'alpha'),
    epsilon: numberValue(v, 'epsilon'),
    weightDecay: numberValue(v, 'weightDecay'),
    momentum: numberValue(v, 'momentum'),
    centered: booleanValue(v, 'centered'),
    maximize: booleanValue(v, 'maximize'),
    useMomentum: isActive(o.momentum),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link rmsprop}. */
export interface RmspropOptions extends CommonOptimizerOptions {
  /** Default 1e-2. */
  readonly learningRate?: Hyperparameter;
  /** Smoothing constant. Default 0.99. */
  readonly alpha?: Hyperparameter;
  /** Default 1e-8. */
  readonly epsilon?: number;
  /** L2 weight decay. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Default 0. */
  readonly momentum?: Hyperparameter;
  /** Default false. */
  readonly centered?: boolean;
  /** Default false. */
  readonly maximize?: boolean;
}

/**
 * RMSprop (Hinton's lecture 6e; centered as Graves 2013), as PyTorch
 * `torch.optim.RMSprop`: `v = a v + (1 - a) g²`, `avg = √(v - gAvg²) + eps`
 * (centered) or `√v + eps`; `b = mu b + g / avg`, `p -= lr b` (momentum) or
 * `p -= lr g / avg`. Defaults as PyTorch: learningRate 1e-2, alpha 0.99,
 * epsilon 1e-8 (Keras and tfjs put epsilon inside the square root).
 *
 * @example
 * ```ts
 * const optimizer = rmsprop({ learningRate: 1e-3, centered: true, momentum: 0.9 });
 * ```
 */
export function rmsprop(options: RmspropOptions = {}): Optimizer {
  return createOptimizer(rmspropDefinition, options);
}
