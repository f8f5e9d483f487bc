import type { OptimizerMath } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { beta, define, epsilon, flag, learningRate, weightDecay, numberValue, booleanValue } from './options.js';

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

/** Adamax's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type AdamaxScalar = 'beta1' | 'oneMinusBeta1' | 'beta2' | 'epsilon' | 'weightDecay' | 'negativeStepSize';

/** The structural flags of Adamax: the part of {@link AdamaxHyper} a fused kernel branches on. */
export type AdamaxFlags = Pick<AdamaxHyper, 'maximize' | 'useWeightDecay'>;

/** Adamax's state slots per parameter. */
export type AdamaxSlot = 'expAvg' | 'expInf';

/**
 * Adamax (Kingma & Ba 2015, section 7.1) as PyTorch: `m = b1 m + (1 - b1) g`;
 * `u = max(b2 u, |g| + eps)`; `p = p - (lr / (1 - b1^t)) m / u`.
 */
export const adamaxMath: OptimizerMath<AdamaxHyper, AdamaxScalar, AdamaxSlot> = {
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

export const adamaxDefinition = define(
  'adamax',
  'Adamax: Adam with an infinity norm (PyTorch Adamax).',
  {
    learningRate: learningRate(2e-3),
    beta1: beta(0.9, 'decay of the first moment'),
    beta2: beta(0.999, 'decay of the infinity norm'),
    epsilon: epsilon(1e-8),
    weightDecay: weightDecay(0),
    maximize: flag('maximize the objective'),
  },
  adamaxMath,
  (v, o) => ({
    learningRate: numberValue(v, 'learningRate'),
    beta1: numberValue(v, 'beta1'),
    beta2: numberValue(v, 'beta2'),
    epsilon: numberValue(v, 'epsilon'),
    weightDecay: numberValue(v, 'weightDecay'),
    maximize: booleanValue(v, 'maximize'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link adamax}. */
export interface AdamaxOptions extends CommonOptimizerOptions {
  /** Default 2e-3. */
  readonly learningRate?: Hyperparameter;
  /** Default 0.9. */
  readonly beta1?: Hyperparameter;
  /** Default 0.999. */
  readonly beta2?: Hyperparameter;
  /** Default 1e-8. */
  readonly epsilon?: number;
  /** L2 weight decay. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Default false. */
  readonly maximize?: boolean;
}

/**
 * Adamax (Kingma & Ba 2015, section 7.1), as PyTorch `torch.optim.Adamax`:
 * `m = b1 m + (1 - b1) g`, `u = max(b2 u, |g| + eps)`, `p = p - lr / (1 - b1^t) · m / u`.
 * Defaults as PyTorch: learningRate 2e-3, beta1 0.9, beta2 0.999, epsilon 1e-8.
 *
 * @example
 * ```ts
 * const optimizer = adamax({ learningRate: 0.002 });
 * ```
 */
export function adamax(options: AdamaxOptions = {}): Optimizer {
  return createOptimizer(adamaxDefinition, options);
}
