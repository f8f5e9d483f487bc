import type { OptimizerMath } from '../definition.js';

/** Resolved Adamax hyperparameters for one step. */
export interface AdamaxHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly maximize: boolean;
  readonly useWeightDecay: boolean;
}

type AdamaxScalar = 'beta1' | 'oneMinusBeta1' | 'beta2' | 'epsilon' | 'weightDecay' | 'negativeStepSize';

/**
 * Adamax (Kingma & Ba 2015, section 7.1) as PyTorch: `m = b1 m + (1 - b1) g`;
 * `u = max(b2 u, |g| + eps)`; `p = p - (lr / (1 - b1^t)) m / u`.
 */
export const adamaxMath: OptimizerMath<AdamaxHyper, AdamaxScalar> = {
  slots: () => ['expAvg', 'expInf'],
  init: (ops, param) => ({ expAvg: ops.zerosLike(param), expInf: ops.zerosLike(param) }),
  scalars: (h, step, host) => ({
    values: {
      beta1: h.beta1,
      oneMinusBeta1: 1 - h.beta1,
      beta2: h.beta2,
      epsilon: h.epsilon,
      weightDecay: h.weightDecay,
      negativeStepSize: -(h.learningRate / (1 - h.beta1 ** step)),
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    let g = h.maximize ? ops.neg(grad) : grad;
    if (h.useWeightDecay) g = ops.addScaled(g, param, s.weightDecay);
    const expAvg = ops.addScaled(ops.mul(slots.expAvg as typeof param, s.beta1), g, s.oneMinusBeta1);
    const expInf = ops.maximum(ops.mul(slots.expInf as typeof param, s.beta2), ops.add(ops.abs(g), s.epsilon));
    return {
      param: ops.add(param, ops.div(ops.mul(expAvg, s.negativeStepSize), expInf)),
      slots: { expAvg, expInf },
    };
  },
};
