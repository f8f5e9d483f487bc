import { updateMoments } from './moments.js';
import type { OptimizerMath, Slots } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import type { OptionSpec } from '../../schedules/options.js';
import { beta, define, epsilon, flag, learningRate, weightDecay, numberValue, booleanValue } from './options.js';

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

/** Adam and AdamW's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type AdamScalar =
  | 'beta1'
  | 'oneMinusBeta1'
  | 'beta2'
  | 'oneMinusBeta2'
  | 'epsilon'
  | 'weightDecay'
  | 'decayFactor'
  | 'negativeStepSize'
  | 'biasCorrection2Sqrt';

/** The structural flags of Adam and AdamW: the part of {@link AdamHyper} a fused kernel branches on. */
export type AdamFlags = Pick<AdamHyper, 'decoupledWeightDecay' | 'amsgrad' | 'maximize' | 'useWeightDecay'>;

/** Adam and AdamW's state slots per parameter. */
export type AdamSlot = 'expAvg' | 'expAvgSq' | 'maxExpAvgSq';

/**
 * Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) as PyTorch's
 * single-tensor code: `g (+ wd p)` (L2) or `p *= 1 - lr wd` (decoupled);
 * `m = b1 m + (1 - b1) g`; `v = b2 v + (1 - b2) g²`; with amsgrad
 * `vmax = max(vmax, v)`; `p = p - (lr / (1 - b1^t)) m / (√v / √(1 - b2^t) + eps)`.
 */
export const adamMath: OptimizerMath<AdamHyper, AdamScalar, AdamSlot> = {
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

const adamOptions = (decay: number): Record<string, OptionSpec> => ({
  learningRate: learningRate(1e-3),
  beta1: beta(0.9, 'decay of the first moment'),
  beta2: beta(0.999, 'decay of the second moment'),
  epsilon: epsilon(1e-8),
  weightDecay: weightDecay(decay),
  amsgrad: flag('AMSGrad: normalise by the running maximum of the second moment'),
  maximize: flag('maximize the objective'),
});

const adamHyper = (decoupled: boolean) => (v: Record<string, unknown>, o: Record<string, unknown>) => ({
  learningRate: numberValue(v, 'learningRate'),
  beta1: numberValue(v, 'beta1'),
  beta2: numberValue(v, 'beta2'),
  epsilon: numberValue(v, 'epsilon'),
  weightDecay: numberValue(v, 'weightDecay'),
  decoupledWeightDecay: decoupled,
  amsgrad: booleanValue(v, 'amsgrad'),
  maximize: booleanValue(v, 'maximize'),
  useWeightDecay: isActive(o.weightDecay),
});

export const adamDefinition = define(
  'adam',
  'Adam with L2 weight decay and AMSGrad (PyTorch Adam).',
  adamOptions(0),
  adamMath,
  adamHyper(false),
);

export const adamWDefinition = define(
  'adamW',
  'Adam with decoupled weight decay (PyTorch AdamW).',
  adamOptions(1e-2),
  adamMath,
  adamHyper(true),
);

/** Options of {@link adam} and {@link adamW}. */
export interface AdamOptions extends CommonOptimizerOptions {
  /** Learning rate. Default 1e-3. */
  readonly learningRate?: Hyperparameter;
  /** First-moment decay, in [0, 1). Default 0.9. */
  readonly beta1?: Hyperparameter;
  /** Second-moment decay, in [0, 1). Default 0.999. */
  readonly beta2?: Hyperparameter;
  /** Denominator term. Default 1e-8. */
  readonly epsilon?: number;
  /** Weight decay: L2 (adam, default 0) or decoupled (adamW, default 1e-2). */
  readonly weightDecay?: Hyperparameter;
  /** AMSGrad variant (Reddi et al. 2018). Default false. */
  readonly amsgrad?: boolean;
  /** Maximize the objective. Default false. */
  readonly maximize?: boolean;
}

/**
 * Adam (Kingma & Ba 2015), exactly PyTorch's `torch.optim.Adam`:
 * `g = g + wd p` (L2), `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g²`,
 * `p = p - lr / (1 - b1^t) · m / (√v / √(1 - b2^t) + eps)`; AMSGrad uses the
 * running maximum of `v`.
 *
 * Defaults as PyTorch: learningRate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8,
 * weightDecay 0. (tfjs's Adam uses epsilon 1e-7 and no bias-corrected epsilon.)
 *
 * @example
 * ```ts
 * const optimizer = adam({ learningRate: warmup({ steps: 100, schedule: cosineAnnealing({ initialValue: 1e-3, steps: 900 }) }) });
 * ```
 */
export function adam(options: AdamOptions = {}): Optimizer {
  return createOptimizer(adamDefinition, options);
}

/**
 * AdamW (Loshchilov & Hutter 2019), exactly PyTorch's `torch.optim.AdamW`:
 * Adam whose weight decay is decoupled from the gradient: `p = p (1 - lr wd)`
 * before the Adam step. Default weightDecay 1e-2 (PyTorch); other defaults as {@link adam}.
 * For no decay on biases, give them a group with `weightDecay: 0`.
 *
 * @example
 * ```ts
 * const optimizer = adamW({ learningRate: 3e-4, groups: [{ params: ['*.bias'], weightDecay: 0 }] });
 * ```
 */
export function adamW(options: AdamOptions = {}): Optimizer {
  return createOptimizer(adamWDefinition, options);
}
