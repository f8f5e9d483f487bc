import type { OptimizerMath, Slots } from '../definition.js';

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

type RmspropScalar = 'alpha' | 'oneMinusAlpha' | 'epsilon' | 'weightDecay' | 'momentum' | 'negativeLearningRate';

/**
 * RMSprop (Hinton, Coursera lecture 6e; centered: Graves 2013) as PyTorch:
 * `v = a v + (1 - a) g²`; centered: `gAvg = a gAvg + (1 - a) g`,
 * `avg = √max(v - gAvg², 0) + eps` (PyTorch has no max: NaN where rounding makes
 * the difference negative), else `avg = √v + eps`; with momentum
 * `b = mu b + g / avg`, `p -= lr b`, else `p -= lr g / avg`.
 */
export const rmspropMath: OptimizerMath<RmspropHyper, RmspropScalar> = {
  slots: (h) => ['squareAvg', ...(h.useMomentum ? ['momentumBuffer'] : []), ...(h.centered ? ['gradAvg'] : [])],
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
