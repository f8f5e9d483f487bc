import type { OptimizerMath } from '../definition.js';

/** Resolved Lion hyperparameters for one step. */
export interface LionHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;
  readonly maximize: boolean;
  readonly useWeightDecay: boolean;
}

type LionScalar = 'beta1' | 'oneMinusBeta1' | 'beta2' | 'oneMinusBeta2' | 'decayFactor' | 'negativeLearningRate';

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms",
 * Algorithm 2): `u = sign(b1 m + (1 - b1) g)`; `p = p (1 - lr wd) - lr u`
 * (decoupled weight decay); `m = b2 m + (1 - b2) g`.
 */
export const lionMath: OptimizerMath<LionHyper, LionScalar> = {
  slots: () => ['expAvg'],
  init: (ops, param) => ({ expAvg: ops.zerosLike(param) }),
  scalars: (h, _step, host) => ({
    values: {
      beta1: h.beta1,
      oneMinusBeta1: 1 - h.beta1,
      beta2: h.beta2,
      oneMinusBeta2: 1 - h.beta2,
      decayFactor: 1 - h.learningRate * h.weightDecay,
      negativeLearningRate: -h.learningRate,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    const g = h.maximize ? ops.neg(grad) : grad;
    const m = slots.expAvg as typeof param;
    const direction = ops.sign(ops.add(ops.mul(m, s.beta1), ops.mul(g, s.oneMinusBeta1)));
    const decayed = h.useWeightDecay ? ops.mul(param, s.decayFactor) : param;
    return {
      param: ops.add(decayed, ops.mul(direction, s.negativeLearningRate)),
      slots: { expAvg: ops.add(ops.mul(m, s.beta2), ops.mul(g, s.oneMinusBeta2)) },
    };
  },
};
