import { updateMoments } from './moments.js';
import type { OptimizerMath, Slots } from '../definition.js';

/** Resolved Adam / AdamW hyperparameters for one step. */
export interface AdamHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** AdamW: decay the weights directly (`p *= 1 - lr wd`) instead of adding `wd p` to the gradient. */
  readonly decoupledWeightDecay: boolean;
  readonly amsgrad: boolean;
  readonly maximize: boolean;
  readonly useWeightDecay: boolean;
}

type AdamScalar =
  | 'beta1'
  | 'oneMinusBeta1'
  | 'beta2'
  | 'oneMinusBeta2'
  | 'epsilon'
  | 'weightDecay'
  | 'decayFactor'
  | 'negativeStepSize'
  | 'biasCorrection2Sqrt';

/**
 * Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) as PyTorch's
 * single-tensor code: `g (+ wd p)` (L2) or `p *= 1 - lr wd` (decoupled);
 * `m = b1 m + (1 - b1) g`; `v = b2 v + (1 - b2) g²`; with amsgrad
 * `vmax = max(vmax, v)`; `p = p - (lr / (1 - b1^t)) m / (√v / √(1 - b2^t) + eps)`.
 */
export const adamMath: OptimizerMath<AdamHyper, AdamScalar> = {
  slots: (h) => (h.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq']),
  init: (ops, param, h) => {
    const slots: Slots<typeof param> = { expAvg: ops.zerosLike(param), expAvgSq: ops.zerosLike(param) };
    if (h.amsgrad) slots.maxExpAvgSq = ops.zerosLike(param);
    return slots;
  },
  scalars: (h, step, host) => {
    const biasCorrection1 = 1 - h.beta1 ** step;
    const biasCorrection2 = 1 - h.beta2 ** step;
    return {
      values: {
        beta1: h.beta1,
        oneMinusBeta1: 1 - h.beta1,
        beta2: h.beta2,
        oneMinusBeta2: 1 - h.beta2,
        epsilon: h.epsilon,
        weightDecay: h.weightDecay,
        decayFactor: 1 - h.learningRate * h.weightDecay,
        negativeStepSize: -(h.learningRate / biasCorrection1),
        biasCorrection2Sqrt: Math.sqrt(biasCorrection2),
      },
      host,
    };
  },
  update: ({ ops, s, h, param, grad, slots }) => {
    let g = h.maximize ? ops.neg(grad) : grad;
    let p = param;
    if (h.useWeightDecay) {
      if (h.decoupledWeightDecay) p = ops.mul(p, s.decayFactor);
      else g = ops.addScaled(g, p, s.weightDecay);
    }
    const { expAvg, expAvgSq } = updateMoments(ops, s, g, slots.expAvg as typeof p, slots.expAvgSq as typeof p);
    const next: Slots<typeof p> = { expAvg, expAvgSq };
    let second = expAvgSq;
    if (h.amsgrad) {
      second = ops.maximum(slots.maxExpAvgSq as typeof p, expAvgSq);
      next.maxExpAvgSq = second;
    }
    const denominator = ops.add(ops.div(ops.sqrt(second), s.biasCorrection2Sqrt), s.epsilon);
    // addcdiv_(m, denom, value=-stepSize): value · t1 / t2, then add.
    return { param: ops.add(p, ops.div(ops.mul(expAvg, s.negativeStepSize), denominator)), slots: next };
  },
};
