import type { OptimizerMath } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { define, epsilon, flag, learningRate, weightDecay, numberValue, booleanValue } from './options.js';

/** Resolved Adadelta hyperparameters for one step. */
export interface AdadeltaHyper {
  readonly learningRate: number;
  readonly rho: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly maximize: boolean;
  readonly useWeightDecay: boolean;
}

/** Adadelta's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type AdadeltaScalar = 'rho' | 'oneMinusRho' | 'epsilon' | 'weightDecay' | 'negativeLearningRate';

/** The structural flags of Adadelta: the part of {@link AdadeltaHyper} a fused kernel branches on. */
export type AdadeltaFlags = Pick<AdadeltaHyper, 'maximize' | 'useWeightDecay'>;

/** Adadelta's state slots per parameter. */
export type AdadeltaSlot = 'squareAvg' | 'accDelta';

/**
 * Adadelta (Zeiler 2012) as PyTorch: `g (+ wd p)`; `v = rho v + (1 - rho) g²`;
 * `delta = √(u + eps) / √(v + eps) · g`; `u = rho u + (1 - rho) delta²`;
 * `p -= lr · delta` (PyTorch's `lr`, default 1, scales the paper's update).
 */
export const adadeltaMath: OptimizerMath<AdadeltaHyper, AdadeltaScalar, AdadeltaSlot> = {
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

export const adadeltaDefinition = define(
  'adadelta',
  'Adadelta (PyTorch Adadelta).',
  {
    learningRate: learningRate(1),
    rho: { kind: 'hyperparameter', min: 0, max: 1, default: 0.9, description: 'decay of the running averages' },
    epsilon: epsilon(1e-6),
    weightDecay: weightDecay(0),
    maximize: flag('maximize the objective'),
  },
  adadeltaMath,
  (v, o) => ({
    learningRate: numberValue(v, 'learningRate'),
    rho: numberValue(v, 'rho'),
    epsilon: numberValue(v, 'epsilon'),
    weightDecay: numberValue(v, 'weightDecay'),
    maximize: booleanValue(v, 'maximize'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link adadelta}. */
export interface AdadeltaOptions extends CommonOptimizerOptions {
  /** Scales the update. Default 1. */
  readonly learningRate?: Hyperparameter;
  /** Decay of the running averages, in [0, 1]. Default 0.9. */
  readonly rho?: Hyperparameter;
  /** Default 1e-6. */
  readonly epsilon?: number;
  /** L2 weight decay. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Default false. */
  readonly maximize?: boolean;
}

/**
 * Adadelta (Zeiler 2012), as PyTorch `torch.optim.Adadelta`:
 * `v = rho v + (1 - rho) g²`, `delta = √(u + eps) / √(v + eps) · g`,
 * `u = rho u + (1 - rho) delta²`, `p -= lr delta`. Defaults as PyTorch:
 * learningRate 1, rho 0.9, epsilon 1e-6.
 *
 * @example
 * ```ts
 * const optimizer = adadelta();
 * ```
 */
export function adadelta(options: AdadeltaOptions = {}): Optimizer {
  return createOptimizer(adadeltaDefinition, options);
}
