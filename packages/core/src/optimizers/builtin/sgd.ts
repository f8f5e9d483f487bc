import type { OptimizerMath, Slots } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { fail } from '../../schedules/options.js';
import { define, flag, learningRate, weightDecay, numberValue, booleanValue } from './options.js';

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

/** SGD's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type SgdScalar = 'negativeLearningRate' | 'weightDecay' | 'momentum' | 'bufferDecay' | 'gradientWeight';

/** The structural flags of SGD: the part of {@link SgdHyper} a fused kernel branches on. */
export type SgdFlags = Pick<SgdHyper, 'nesterov' | 'maximize' | 'useMomentum' | 'useWeightDecay' | 'useDampening'>;

/** SGD's state slots per parameter. */
export type SgdSlot = 'momentumBuffer';

/**
 * SGD as PyTorch's `_single_tensor_sgd`: `d = g (+ wd p)`; with momentum,
 * `b = d` on the first step, else `b = momentum b + (1 - dampening) d`;
 * `d = d + momentum b` (nesterov) or `d = b`; `p = p - lr d`.
 */
export const sgdMath: OptimizerMath<SgdHyper, SgdScalar, SgdSlot> = {
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

export const sgdDefinition = define(
  'sgd',
  'SGD with momentum, dampening, Nesterov, L2 weight decay, maximize (PyTorch SGD).',
  {
    learningRate: learningRate(),
    momentum: { kind: 'hyperparameter', min: 0, default: 0, description: 'momentum factor' },
    dampening: { kind: 'number', min: 0, max: 1, default: 0, description: 'dampening of the momentum' },
    weightDecay: weightDecay(0),
    nesterov: flag('Nesterov momentum'),
    maximize: flag('maximize the objective'),
  },
  sgdMath,
  (v, o) => ({
    learningRate: numberValue(v, 'learningRate'),
    momentum: numberValue(v, 'momentum'),
    dampening: numberValue(v, 'dampening'),
    weightDecay: numberValue(v, 'weightDecay'),
    nesterov: booleanValue(v, 'nesterov'),
    maximize: booleanValue(v, 'maximize'),
    useMomentum: isActive(o.momentum),
    useWeightDecay: isActive(o.weightDecay),
    useDampening: isActive(o.dampening),
  }),
  (o, path) => {
    if (o.nesterov === true && (!isActive(o.momentum) || o.dampening !== 0)) {
      fail(`${path}.nesterov`, 'requires a non-zero momentum and zero dampening (as PyTorch)', o.nesterov);
    }
  },
);

/** Options of {@link sgd}. */
export interface SgdOptions extends CommonOptimizerOptions {
  /** Learning rate (required, as PyTorch). */
  readonly learningRate: Hyperparameter;
  /** Momentum factor. Default 0. */
  readonly momentum?: Hyperparameter;
  /** Dampening of the momentum, in [0, 1]. Default 0. */
  readonly dampening?: number;
  /** L2 penalty added to the gradient. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  readonly nesterov?: boolean;
  /** Maximize the objective. Default false. */
  readonly maximize?: boolean;
}

/**
 * Stochastic gradient descent, exactly PyTorch's `torch.optim.SGD`:
 * `d = g + wd p`; with momentum `b = d` (first step) then
 * `b = momentum b + (1 - dampening) d`, `d = d + momentum b` (Nesterov) or
 * `d = b`; `p = p - lr d`.
 *
 * Defaults as PyTorch: momentum 0, dampening 0, weightDecay 0, nesterov and
 * maximize false; `learningRate` is required. Any hyperparameter may be a
 * schedule (e.g. momentum from {@link oneCycleMomentum}).
 *
 * @example
 * ```ts
 * const optimizer = sgd({ learningRate: stepDecay({ initialValue: 0.1, stepSize: 30 }), momentum: 0.9, nesterov: true });
 * ```
 */
export function sgd(options: SgdOptions): Optimizer {
  return createOptimizer(sgdDefinition, options);
}
