import type { OptimizerMath } from '../definition.js';
import { createOptimizer, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { fail } from '../../schedules/options.js';
import { define, flag, learningRate, numberValue, booleanValue } from './options.js';

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

/** Rprop's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type RpropScalar = 'etaMinus' | 'etaPlus' | 'one' | 'zero' | 'minStepSize' | 'maxStepSize';

/** The structural flags of Rprop: the part of {@link RpropHyper} a fused kernel branches on. */
export type RpropFlags = Pick<RpropHyper, 'maximize'>;

/** Rprop's state slots per parameter. */
export type RpropSlot = 'prev' | 'stepSize';

/**
 * Rprop (Riedmiller & Braun 1993), the variant PyTorch implements: per weight,
 * `s = sign(g · gPrev)`; the step size is multiplied by `etaPlus` (s > 0),
 * `etaMinus` (s < 0) or 1, clamped to `[minStepSize, maxStepSize]`; where
 * s < 0 the gradient is zeroed; `p -= sign(g) · stepSize`; `gPrev = g`.
 */
export const rpropMath: OptimizerMath<RpropHyper, RpropScalar, RpropSlot> = {
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

export const rpropDefinition = define(
  'rprop',
  'Resilient backpropagation (PyTorch Rprop).',
  {
    learningRate: learningRate(1e-2),
    etas: {
      kind: 'numberList',
      min: 0,
      exclusiveMin: true,
      minLength: 2,
      default: [0.5, 1.2],
      description: '[etaMinus, etaPlus]',
    },
    stepSizes: {
      kind: 'numberList',
      min: 0,
      minLength: 2,
      order: 'nondecreasing',
      default: [1e-6, 50],
      description: '[minimum, maximum] step size',
    },
    maximize: flag('maximize the objective'),
  },
  rpropMath,
  (v) => {
    const etas = v.etas as number[];
    const sizes = v.stepSizes as number[];
    return {
      learningRate: numberValue(v, 'learningRate'),
      etaMinus: etas[0] as number,
      etaPlus: etas[1] as number,
      minStepSize: sizes[0] as number,
      maxStepSize: sizes[1] as number,
      maximize: booleanValue(v, 'maximize'),
    };
  },
  (o, path) => {
    const etas = o.etas as number[];
    if (etas.length !== 2 || !((etas[0] as number) < 1 && 1 < (etas[1] as number))) {
      fail(`${path}.etas`, 'must be [etaMinus, etaPlus] with 0 < etaMinus < 1 < etaPlus', etas);
    }
    if ((o.stepSizes as number[]).length !== 2) fail(`${path}.stepSizes`, 'must be [minimum, maximum]', o.stepSizes);
  },
);

/** Options of {@link rprop}. */
export interface RpropOptions extends CommonOptimizerOptions {
  /** Initial step size of every weight. Default 1e-2. */
  readonly learningRate?: Hyperparameter;
  /** `[etaMinus, etaPlus]`, 0 < etaMinus < 1 < etaPlus. Default [0.5, 1.2]. */
  readonly etas?: readonly [number, number];
  /** `[minimum, maximum]` step size. Default [1e-6, 50]. */
  readonly stepSizes?: readonly [number, number];
  /** Default false. */
  readonly maximize?: boolean;
}

/**
 * Rprop (Riedmiller & Braun 1993), as PyTorch `torch.optim.Rprop`: each
 * weight's step size grows by `etaPlus` while its gradient keeps its sign,
 * shrinks by `etaMinus` when it flips (and that step is skipped), within
 * `stepSizes`; `p -= sign(g) · stepSize`. As in PyTorch the learning rate is
 * only the initial step size (a schedule is read at step 0 only). Defaults as
 * PyTorch: learningRate 1e-2, etas [0.5, 1.2], stepSizes [1e-6, 50].
 *
 * @example
 * ```ts
 * const optimizer = rprop({ etas: [0.3, 1.5] });
 * ```
 */
export function rprop(options: RpropOptions = {}): Optimizer {
  return createOptimizer(rpropDefinition, options);
}
