import type { OptimizerMath } from '../definition.js';

/** Resolved Adadelta hyperparameters for one step. */
export interface AdadeltaHyper {
  readonly learningRate: number;
  readonly rho: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly maximize: boolean;
  readonly useWeightDecay: boolean;
}

type AdadeltaScalar = 'rho' | 'oneMinusRho' | 'epsilon' | 'weightDecay' | 'negativeLearningRate';

/**
 * Adadelta (Zeiler 2012) as PyTorch: `g (+ wd p)`; `v = rho v + (1 - rho) g²`;
 * `delta = √(u + eps) / √(v + eps) · g`; `u = rho u + (1 - rho) delta²`;
 * `p -= lr · delta` (PyTorch's `lr`, default 1, scales the paper's update).
 */
export const adadeltaMath: OptimizerMath<AdadeltaHyper, AdadeltaScalar> = {
  slots: () => ['squareAvg', 'accDelta'],
  init: (ops, param) => ({ squareAvg: ops.zerosLike(param), accDelta: ops.zerosLike(param) }),
  scalars: (h, _step, host) => ({
    values: {
      rho: h.rho,
      oneMinusRho: 1 - h.rho,
      epsilon: h.epsilon,
      weightDecay: h.weightDecay,
      negativeLearningRate: -h.learningRate,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    let g = h.maximize ? ops.neg(grad) : grad;
    if (h.useWeightDecay) g = ops.addScaled(g, param, s.weightDecay);
    const squareAvg = ops.addScaled(ops.mul(slots.squareAvg as typeof param, s.rho), ops.mul(g, s.oneMinusRho), g);
    const std = ops.sqrt(ops.add(squareAvg, s.epsilon));
    const delta = ops.mul(ops.div(ops.sqrt(ops.add(slots.accDelta as typeof param, s.epsilon)), std), g);
    const accDelta = ops.addScaled(ops.mul(slots.accDelta as typeof param, s.rho), ops.mul(delta, s.oneMinusRho), delta);
    return { param: ops.addScaled(param, delta, s.negativeLearningRate), slots: { squareAvg, accDelta } };
  },
};
