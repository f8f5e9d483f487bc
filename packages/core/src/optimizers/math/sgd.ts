import type { OptimizerMath, Slots } from '../definition.js';

/** Resolved SGD hyperparameters for one step. */
export interface SgdHyper {
  readonly learningRate: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly maximize: boolean;
  /** Structural: a momentum buffer exists (momentum is a schedule or non-zero). */
  readonly useMomentum: boolean;
  /** Structural: weight decay is a schedule or non-zero. */
  readonly useWeightDecay: boolean;
  /** Structural: dampening is non-zero (otherwise the gradient enters the buffer unscaled). */
  readonly useDampening: boolean;
}

type SgdScalar = 'negativeLearningRate' | 'weightDecay' | 'momentum' | 'bufferDecay' | 'gradientWeight';

/**
 * SGD as PyTorch's `_single_tensor_sgd`: `d = g (+ wd p)`; with momentum,
 * `b = d` on the first step, else `b = momentum b + (1 - dampening) d`;
 * `d = d + momentum b` (nesterov) or `d = b`; `p = p - lr d`.
 */
export const sgdMath: OptimizerMath<SgdHyper, SgdScalar> = {
  slots: (h) => (h.useMomentum ? ['momentumBuffer'] : []),
  init: (ops, param, h) => (h.useMomentum ? { momentumBuffer: ops.zerosLike(param) } : {}),
  scalars: (h, step, host) => ({
    values: {
      negativeLearningRate: -h.learningRate,
      weightDecay: h.weightDecay,
      momentum: h.momentum,
      // First step: the buffer starts as a copy of d (0 * 0 + 1 * d), as PyTorch clones it.
      bufferDecay: step === 1 ? 0 : h.momentum,
      gradientWeight: step === 1 ? 1 : 1 - h.dampening,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    let d = h.maximize ? ops.neg(grad) : grad;
    if (h.useWeightDecay) d = ops.addScaled(d, param, s.weightDecay);
    const next: Slots<typeof param> = {};
    if (h.useMomentum) {
      // PyTorch: buf.mul_(momentum).add_(d, alpha=1 - dampening) (the first step copies d).
      const decayed = ops.mul(slots.momentumBuffer as typeof param, s.bufferDecay);
      // With dampening 0 the gradient weight is 1 on every step: a plain add.
      const buffer = h.useDampening ? ops.addScaled(decayed, d, s.gradientWeight) : ops.add(decayed, d);
      next.momentumBuffer = buffer;
      d = h.nesterov ? ops.addScaled(d, buffer, s.momentum) : buffer;
    }
    return { param: ops.addScaled(param, d, s.negativeLearningRate), slots: next };
  },
};
