import type { OptimizerMath } from '../definition.js';

/** Resolved Rprop hyperparameters for one step. */
export interface RpropHyper {
  /** Initial step size of every weight (PyTorch: the learning rate, read once at initialisation). */
  readonly learningRate: number;
  readonly etaMinus: number;
  readonly etaPlus: number;
  readonly minStepSize: number;
  readonly maxStepSize: number;
  readonly maximize: boolean;
}

type RpropScalar = 'etaMinus' | 'etaPlus' | 'one' | 'zero' | 'minStepSize' | 'maxStepSize';

/**
 * Rprop (Riedmiller & Braun 1993), the variant PyTorch implements: per weight,
 * `s = sign(g · gPrev)`; the step size is multiplied by `etaPlus` (s > 0),
 * `etaMinus` (s < 0) or 1, clamped to `[minStepSize, maxStepSize]`; where
 * s < 0 the gradient is zeroed; `p -= sign(g) · stepSize`; `gPrev = g`.
 */
export const rpropMath: OptimizerMath<RpropHyper, RpropScalar> = {
  slots: () => ['prev', 'stepSize'],
  init: (ops, param, h) => ({ prev: ops.zerosLike(param), stepSize: ops.fullLike(param, ops.scalar(h.learningRate)) }),
  scalars: (h, _step, host) => ({
    values: {
      etaMinus: h.etaMinus,
      etaPlus: h.etaPlus,
      one: 1,
      zero: 0,
      minStepSize: h.minStepSize,
      maxStepSize: h.maxStepSize,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    const g = h.maximize ? ops.neg(grad) : grad;
    const agreement = ops.mul(g, slots.prev as typeof param);
    const decreasing = ops.less(agreement, s.zero);
    const factor = ops.where(ops.greater(agreement, s.zero), s.etaPlus, ops.where(decreasing, s.etaMinus, s.one));
    const stepSize = ops.minimum(ops.maximum(ops.mul(slots.stepSize as typeof param, factor), s.minStepSize), s.maxStepSize);
    const kept = ops.where(decreasing, s.zero, g);
    return {
      param: ops.sub(param, ops.mul(ops.sign(kept), stepSize)),
      slots: { prev: kept, stepSize },
    };
  },
};
