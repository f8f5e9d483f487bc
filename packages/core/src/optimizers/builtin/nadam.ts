import { updateMoments } from './moments.js';
import type { OptimizerMath } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { beta, define, epsilon, learningRate, weightDecay, numberValue } from './options.js';

/** Resolved NAdam hyperparameters for one step. */
export interface NadamHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly momentumDecay: number;
  readonly useWeightDecay: boolean;
}

/** NAdam's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type NadamScalar =
  | 'beta1'
  | 'oneMinusBeta1'
  | 'beta2'
  | 'oneMinusBeta2'
  | 'epsilon'
  | 'weightDecay'
  | 'biasCorrection2'
  | 'gradientStep'
  | 'momentumStep';

/** The structural flags of NAdam: the part of {@link NadamHyper} a fused kernel branches on. */
export type NadamFlags = Pick<NadamHyper, 'useWeightDecay'>;

/** NAdam's state slots per parameter. */
export type NadamSlot = 'expAvg' | 'expAvgSq';

/**
 * NAdam (Dozat 2016) as PyTorch: `mu_t = b1 (1 - 0.5 · 0.96^(t · momentumDecay))`,
 * `muProduct *= mu_t` (host state), `m`, `v` as Adam,
 * `denom = √(v / (1 - b2^t)) + eps`,
 * `p -= lr (1 - mu_t) / (1 - muProduct) · g / denom`,
 * `p -= lr mu_{t+1} / (1 - muProduct · mu_{t+1}) · m / denom`.
 */
export const nadamMath: OptimizerMath<NadamHyper, NadamScalar, NadamSlot> = {
  slots: () => ['expAvg', 'expAvgSq'],
  init: (ops, param) => ({ expAvg: ops.zerosLike(param), expAvgSq: ops.zerosLike(param) }),
  initHost: () => ({ muProduct: 1 }),
  scalars: (h, step, host) => {
    const mu = h.beta1 * (1 - 0.5 * 0.96 ** (step * h.momentumDecay));
    const muNext = h.beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * h.momentumDecay));
    // PyTorch keeps mu_product as a float32 tensor: round it the same way.
    const muProduct = Math.fround((host.muProduct ?? 1) * Math.fround(mu));
    // PyTorch 1.13 multiplies mu in twice here (pytorch issue 92699, fixed in 2.0); we follow 1.13.
    const muProductNext = Math.fround(Math.fround(muProduct * Math.fround(mu)) * Math.fround(muNext));
    return {
      values: {
        beta1: h.beta1,
        oneMinusBeta1: 1 - h.beta1,
        beta2: h.beta2,
        oneMinusBeta2: 1 - h.beta2,
        epsilon: h.epsilon,
        weightDecay: h.weightDecay,
        biasCorrection2: 1 - h.beta2 ** step,
        gradientStep: (-h.learningRate * (1 - mu)) / (1 - muProduct),
        momentumStep: (-h.learningRate * muNext) / (1 - muProductNext),
      },
      host: { muProduct },
    };
  },
  update: ({ ops, s, h, param, grad, slots }) => {
    const g = h.useWeightDecay ? ops.addScaled(grad, param, s.weightDecay) : grad;
    const { expAvg, expAvgSq } = updateMoments(ops, s, g, slots.expAvg as typeof param, slots.expAvgSq as typeof param);
    const denominator = ops.add(ops.sqrt(ops.div(expAvgSq, s.biasCorrection2)), s.epsilon);
    const afterGradient = ops.add(param, ops.div(ops.mul(g, s.gradientStep), denominator));
    return {
      param: ops.add(afterGradient, ops.div(ops.mul(expAvg, s.momentumStep), denominator)),
      slots: { expAvg, expAvgSq },
    };
  },
};

export const nadamDefinition = define(
  'nadam',
  'NAdam: Adam with Nesterov momentum and momentum decay (PyTorch NAdam).',
  {
    learningRate: learningRate(2e-3),
    beta1: beta(0.9, 'decay of the first moment'),
    beta2: beta(0.999, 'decay of the second moment'),
    epsilon: epsilon(1e-8),
    weightDecay: weightDecay(0),
    momentumDecay: { kind: 'number', min: 0, default: 4e-3, description: 'momentum decay psi' },
  },
  nadamMath,
  (v, o) => ({
    learningRate: numberValue(v, 'learningRate'),
    beta1: numberValue(v, 'beta1'),
    beta2: numberValue(v, 'beta2'),
    epsilon: numberValue(v, 'epsilon'),
    weightDecay: numberValue(v, 'weightDecay'),
    momentumDecay: numberValue(v, 'momentumDecay'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link nadam}. */
export interface NadamOptions extends CommonOptimizerOptions {
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
  /** Momentum decay psi. Default 4e-3. */
  readonly momentumDecay?: number;
}

/**
 * NAdam (Dozat 2016, "Incorporating Nesterov Momentum into Adam"), as PyTorch
 * `torch.optim.NAdam`: momentum schedule `mu_t = b1 (1 - 0.5 · 0.96^(t psi))`,
 * `p -= lr (1 - mu_t) / (1 - Π mu) · g / d + lr mu_{t+1} / (1 - Π mu · mu_{t+1}) · m / d`
 * with `d = √(v / (1 - b2^t)) + eps`. Defaults as PyTorch: learningRate 2e-3,
 * beta1 0.9, beta2 0.999, epsilon 1e-8, momentumDecay 4e-3.
 *
 * @example
 * ```ts
 * const optimizer = nadam({ learningRate: 0.002 });
 * ```
 */
export function nadam(options: NadamOptions = {}): Optimizer {
  return createOptimizer(nadamDefinition, options);
}
