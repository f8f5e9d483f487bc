import { updateMoments } from './moments.js';
import type { OptimizerMath } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { beta, define, epsilon, learningRate, weightDecay, numberValue } from './options.js';

/** Resolved RAdam hyperparameters for one step. */
export interface RadamHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly useWeightDecay: boolean;
}

/** RAdam's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type RadamScalar =
  | 'beta1'
  | 'oneMinusBeta1'
  | 'beta2'
  | 'oneMinusBeta2'
  | 'epsilon'
  | 'weightDecay'
  | 'biasCorrection1'
  | 'rectified'
  | 'adaptiveScale'
  | 'learningRate'
  | 'rectification';

/** The structural flags of RAdam: the part of {@link RadamHyper} a fused kernel branches on. */
export type RadamFlags = Pick<RadamHyper, 'useWeightDecay'>;

/** RAdam's state slots per parameter. */
export type RadamSlot = 'expAvg' | 'expAvgSq';

/**
 * RAdam (Liu et al. 2020, "On the Variance of the Adaptive Learning Rate and
 * Beyond") as PyTorch: `m`, `v` as Adam; `rho_inf = 2 / (1 - b2) - 1`,
 * `rho_t = rho_inf - 2 t b2^t / (1 - b2^t)`; if `rho_t > 5`:
 * `p -= lr · m̂ · r_t · √(1 - b2^t) / (√v + eps)` with the rectification
 * `r_t = √((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))`;
 * else `p -= lr · m̂` (`m̂ = m / (1 - b1^t)`).
 */
export const radamMath: OptimizerMath<RadamHyper, RadamScalar, RadamSlot> = {
  slots: () => ['expAvg', 'expAvgSq'],
  init: (ops, param) => ({ expAvg: ops.zerosLike(param), expAvgSq: ops.zerosLike(param) }),
  scalars: (h, step, host) => {
    const biasCorrection2 = 1 - h.beta2 ** step;
    const rhoInfinity = 2 / (1 - h.beta2) - 1;
    const rho = rhoInfinity - (2 * step * h.beta2 ** step) / biasCorrection2;
    const rectified = rho > 5;
    const rectification = rectified ? Math.sqrt(((rho - 4) * (rho - 2) * rhoInfinity) / ((rhoInfinity - 4) * (rhoInfinity - 2) * rho)) : 0;
    return {
      values: {
        beta1: h.beta1,
        oneMinusBeta1: 1 - h.beta1,
        beta2: h.beta2,
        oneMinusBeta2: 1 - h.beta2,
        epsilon: h.epsilon,
        weightDecay: h.weightDecay,
        biasCorrection1: 1 - h.beta1 ** step,
        rectified: rectified ? 1 : 0,
        adaptiveScale: Math.sqrt(biasCorrection2),
        learningRate: h.learningRate,
        rectification,
      },
      host,
    };
  },
  update: ({ ops, s, h, param, grad, slots }) => {
    const g = h.useWeightDecay ? ops.addScaled(grad, param, s.weightDecay) : grad;
    const { expAvg, expAvgSq } = updateMoments(ops, s, g, slots.expAvg as typeof param, slots.expAvgSq as typeof param);
    // PyTorch: p.add_(m̂ · lr · adaptive · rect, alpha=-1) when rectified, else p.add_(m̂ · lr, alpha=-1).
    const scaled = ops.mul(ops.div(expAvg, s.biasCorrection1), s.learningRate);
    // Both branches are computed and selected by the host-side scalar, so the graph is static.
    // scalar / tensor is computed by PyTorch as round(1 / tensor) · scalar.
    const adaptive = ops.mul(ops.div(ops.scalar(1), ops.add(ops.sqrt(expAvgSq), s.epsilon)), s.adaptiveScale);
    const rectifiedStep = ops.mul(ops.mul(scaled, adaptive), s.rectification);
    return {
      param: ops.sub(param, ops.where(s.rectified, rectifiedStep, scaled)),
      slots: { expAvg, expAvgSq },
    };
  },
};

export const radamDefinition = define(
  'radam',
  'RAdam: Adam with a rectified adaptive learning rate (PyTorch RAdam).',
  {
    learningRate: learningRate(1e-3),
    beta1: beta(0.9, 'decay of the first moment'),
    beta2: beta(0.999, 'decay of the second moment'),
    epsilon: epsilon(1e-8),
    weightDecay: weightDecay(0),
  },
  radamMath,
  (v, o) => ({
    learningRate: numberValue(v, 'learningRate'),
    beta1: numberValue(v, 'beta1'),
    beta2: numberValue(v, 'beta2'),
    epsilon: numberValue(v, 'epsilon'),
    weightDecay: numberValue(v, 'weightDecay'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link radam}. */
export interface RadamOptions extends CommonOptimizerOptions {
  /** Default 1e-3. */
  readonly learningRate?: Hyperparameter;
  /** Default 0.9. */
  readonly beta1?: Hyperparameter;
  /** Default 0.999. */
  readonly beta2?: Hyperparameter;
  /** Default 1e-8. */
  readonly epsilon?: number;
  /** L2 weight decay. Default 0. */
  readonly weightDecay?: Hyperparameter;
}

/**
 * RAdam (Liu et al. 2020), as PyTorch `torch.optim.RAdam`: SGD with momentum
 * while the variance of the adaptive rate is intractable (`rho_t <= 5`), then
 * Adam with the rectification term `r_t`. Defaults as PyTorch: learningRate
 * 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8.
 *
 * @example
 * ```ts
 * const optimizer = radam({ learningRate: 1e-3 });
 * ```
 */
export function radam(options: RadamOptions = {}): Optimizer {
  return createOptimizer(radamDefinition, options);
}
