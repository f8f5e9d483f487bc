import type { OptimizerMath } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { define, epsilon, flag, learningRate, weightDecay, numberValue, booleanValue } from './options.js';

/** Resolved Adagrad hyperparameters for one step. */
export interface AdagradHyper {
  readonly learningRate: number;
  readonly learningRateDecay: number;
  readonly weightDecay: number;
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  readonly maximize: boolean;
  readonly useWeightDecay: boolean;
}

/** Adagrad's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type AdagradScalar = 'weightDecay' | 'epsilon' | 'negativeStepSize' | 'initialAccumulatorValue';

/** The structural flags of Adagrad: the part of {@link AdagradHyper} a fused kernel branches on. */
export type AdagradFlags = Pick<AdagradHyper, 'maximize' | 'useWeightDecay'>;

/** Adagrad's state slots per parameter. */
export type AdagradSlot = 'sum';

/**
 * Adagrad (Duchi et al. 2011) as PyTorch: `g (+ wd p)`; `sum += g²`;
 * `p -= lr / (1 + (t - 1) lrDecay) · g / (√sum + eps)`; the accumulator
 * starts at `initialAccumulatorValue`.
 */
export const adagradMath: OptimizerMath<AdagradHyper, AdagradScalar, AdagradSlot> = {
  slots: () => ['sum'],
  init: (ops, param, h) => ({ sum: ops.fullLike(param, ops.scalar(h.initialAccumulatorValue)) }),
  scalars: (h, step, host) => ({
    values: {
      weightDecay: h.weightDecay,
      epsilon: h.epsilon,
      negativeStepSize: -(h.learningRate / (1 + (step - 1) * h.learningRateDecay)),
      initialAccumulatorValue: h.initialAccumulatorValue,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    let g = h.maximize ? ops.neg(grad) : grad;
    if (h.useWeightDecay) g = ops.addScaled(g, param, s.weightDecay);
    const sum = ops.addScaled(slots.sum as typeof param, g, g);
    const std = ops.add(ops.sqrt(sum), s.epsilon);
    return { param: ops.add(param, ops.div(ops.mul(g, s.negativeStepSize), std)), slots: { sum } };
  },
};

export const adagradDefinition = define(
  'adagrad',
  'Adagrad with learning-rate decay and an initial accumulator (PyTorch Adagrad).',
  {
    learningRate: learningRate(1e-2),
    learningRateDecay: { kind: 'number', min: 0, default: 0, description: 'lr / (1 + (t - 1) decay)' },
    weightDecay: weightDecay(0),
    initialAccumulatorValue: { kind: 'number', min: 0, default: 0, description: 'start of the accumulator' },
    epsilon: epsilon(1e-10),
    maximize: flag('maximize the objective'),
  },
  adagradMath,
  (v, o) => ({
    learningRate: numberValue(v, 'learningRate'),
    learningRateDecay: numberValue(v, 'learningRateDecay'),
    weightDecay: numberValue(v, 'weightDecay'),
    initialAccumulatorValue: numberValue(v, 'initialAccumulatorValue'),
    epsilon: numberValue(v, 'epsilon'),
    maximize: booleanValue(v, 'maximize'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link adagrad}. */
export interface AdagradOptions extends CommonOptimizerOptions {
  /** Default 1e-2. */
  readonly learningRate?: Hyperparameter;
  /** PyTorch `lr_decay`. Default 0. */
  readonly learningRateDecay?: number;
  /** L2 weight decay. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Default 0. */
  readonly initialAccumulatorValue?: number;
  /** Default 1e-10. */
  readonly epsilon?: number;
  /** Default false. */
  readonly maximize?: boolean;
}

/**
 * Adagrad (Duchi, Hazan & Singer 2011), as PyTorch `torch.optim.Adagrad`:
 * `sum += g²`, `p -= lr / (1 + (t - 1) lrDecay) · g / (√sum + eps)`.
 * Defaults as PyTorch: learningRate 1e-2, learningRateDecay 0,
 * initialAccumulatorValue 0, epsilon 1e-10.
 *
 * @example
 * ```ts
 * const optimizer = adagrad({ learningRate: 0.01, initialAccumulatorValue: 0.1 });
 * ```
 */
export function adagrad(options: AdagradOptions = {}): Optimizer {
  return createOptimizer(adagradDefinition, options);
}
