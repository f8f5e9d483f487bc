import type { OptimizerMath } from '../definition.js';

/** Resolved Adagrad hyperparameters for one step. */
export interface AdagradHyper {
  readonly learningRate: number;
  readonly learningRateDecay: number;
  readonly weightDecay: number;
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  readonly maximize: boolean;
  readonly useWeightDecay: boolean;
}

type AdagradScalar = 'weightDecay' | 'epsilon' | 'negativeStepSize' | 'initialAccumulatorValue';

/**
 * Adagrad (Duchi et al. 2011) as PyTorch: `g (+ wd p)`; `sum += g²`;
 * `p -= lr / (1 + (t - 1) lrDecay) · g / (√sum + eps)`; the accumulator
 * starts at `initialAccumulatorValue`.
 */
export const adagradMath: OptimizerMath<AdagradHyper, AdagradScalar> = {
  slots: () => ['sum'],
  init: (ops, param, h) => ({ sum: ops.fullLike(param, ops.scalar(h.initialAccumulatorValue)) }),
  scalars: (h, step, host) => ({
    values: {
      weightDecay: h.weightDecay,
      epsilon: h.epsilon,
      negativeStepSize: -(h.learningRate / (1 + (step - 1) * h.learningRateDecay)),
      initialAccumulatorValue: h.initialAccumulatorValue,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    let g = h.maximize ? ops.neg(grad) : grad;
    if (h.useWeightDecay) g = ops.addScaled(g, param, s.weightDecay);
    const sum = ops.addScaled(slots.sum as typeof param, g, g);
    const std = ops.add(ops.sqrt(sum), s.epsilon);
    return { param: ops.add(param, ops.div(ops.mul(g, s.negativeStepSize), std)), slots: { sum } };
  },
};
