import { updateMoments } from './moments.js';
import type { OptimizerMath } from '../definition.js';

/** Resolved LAMB hyperparameters for one step. */
export interface LambHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly biasCorrection: boolean;
  readonly maximize: boolean;
  readonly useWeightDecay: boolean;
}

type LambScalar =
  | 'beta1'
  | 'oneMinusBeta1'
  | 'beta2'
  | 'oneMinusBeta2'
  | 'epsilon'
  | 'weightDecay'
  | 'biasCorrection1'
  | 'biasCorrection2'
  | 'negativeLearningRate'
  | 'zero'
  | 'one';

/**
 * LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning: Training
 * BERT in 76 minutes", Algorithm 2): `m`, `v` as Adam (bias-corrected unless
 * `biasCorrection` is off); `r = m̂ / (√v̂ + eps) + wd p`;
 * trust ratio `φ = ‖p‖ / ‖r‖` (1 when either norm is 0); `p -= lr φ r`.
 */
export const lambMath: OptimizerMath<LambHyper, LambScalar> = {
  slots: () => ['expAvg', 'expAvgSq'],
  init: (ops, param) => ({ expAvg: ops.zerosLike(param), expAvgSq: ops.zerosLike(param) }),
  scalars: (h, step, host) => ({
    values: {
      beta1: h.beta1,
      oneMinusBeta1: 1 - h.beta1,
      beta2: h.beta2,
      oneMinusBeta2: 1 - h.beta2,
      epsilon: h.epsilon,
      weightDecay: h.weightDecay,
      biasCorrection1: h.biasCorrection ? 1 - h.beta1 ** step : 1,
      biasCorrection2: h.biasCorrection ? 1 - h.beta2 ** step : 1,
      negativeLearningRate: -h.learningRate,
      zero: 0,
      one: 1,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    const g = h.maximize ? ops.neg(grad) : grad;
    const { expAvg, expAvgSq } = updateMoments(ops, s, g, slots.expAvg as typeof param, slots.expAvgSq as typeof param);
    const adamStep = ops.div(ops.div(expAvg, s.biasCorrection1), ops.add(ops.sqrt(ops.div(expAvgSq, s.biasCorrection2)), s.epsilon));
    const r = h.useWeightDecay ? ops.add(adamStep, ops.mul(param, s.weightDecay)) : adamStep;
    const weightNorm = ops.sqrt(ops.sum(ops.mul(param, param)));
    const updateNorm = ops.sqrt(ops.sum(ops.mul(r, r)));
    const bothPositive = ops.mul(ops.greater(weightNorm, s.zero), ops.greater(updateNorm, s.zero));
    const trust = ops.where(bothPositive, ops.div(weightNorm, updateNorm), s.one);
    return {
      param: ops.add(param, ops.mul(r, ops.mul(trust, s.negativeLearningRate))),
      slots: { expAvg, expAvgSq },
    };
  },
};
