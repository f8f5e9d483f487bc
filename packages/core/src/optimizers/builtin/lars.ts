import type { OptimizerMath } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { booleanValue, define, flag, learningRate, numberValue, weightDecay } from './options.js';

/** Resolved LARS hyperparameters for one step. */
export interface LarsHyper {
  readonly learningRate: number;
  readonly weightDecay: number;
  readonly trustCoefficient: number;
  readonly epsilon: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly trustRatio: boolean;
  readonly useWeightDecay: boolean;
}

/** LARS's per-step scalars (from its math's `scalars`): the names its fused kernels read. */
export type LarsScalar = 'weightDecay' | 'trustCoefficient' | 'epsilon' | 'momentum' | 'negativeLearningRate' | 'zero' | 'one';

/** The structural flags of LARS: the part of {@link LarsHyper} a fused kernel branches on. */
export type LarsFlags = Pick<LarsHyper, 'nesterov' | 'trustRatio' | 'useWeightDecay'>;

/** LARS's state slot per parameter: the momentum of the scaled updates (optax `trace`). */
export type LarsSlot = 'momentumBuffer';

/**
 * LARS (You et al. 2017) as optax `lars` (`add_decayed_weights`, `scale_by_trust_ratio`,
 * `-lr`, then `trace`): `u = g + wd p`; per tensor `φ = tc ‖p‖ / (‖u‖ + eps)`
 * (1 when either norm is 0); `b = -lr φ u + momentum b`; `p = p + b`
 * (Nesterov: `p = p - lr φ u + momentum b`). The momentum holds rate-scaled updates,
 * as optax's chain does.
 */
export const larsMath: OptimizerMath<LarsHyper, LarsScalar, LarsSlot> = {
  slots: () => ['momentumBuffer'],
  init: (ops, param) => ({ momentumBuffer: ops.zerosLike(param) }),
  scalars: (h, _step, host) => ({
    values: {
      weightDecay: h.weightDecay,
      trustCoefficient: h.trustCoefficient,
      epsilon: h.epsilon,
      momentum: h.momentum,
      negativeLearningRate: -h.learningRate,
      zero: 0,
      one: 1,
    },
    host,
  }),
  update: ({ ops, s, h, param, grad, slots }) => {
    let u = h.useWeightDecay ? ops.add(grad, ops.mul(param, s.weightDecay)) : grad;
    if (h.trustRatio) {
      const paramNorm = ops.sqrt(ops.sum(ops.mul(param, param)));
      const updateNorm = ops.sqrt(ops.sum(ops.mul(u, u)));
      const ratio = ops.div(ops.mul(s.trustCoefficient, paramNorm), ops.add(updateNorm, s.epsilon));
      const bothPositive = ops.mul(ops.greater(paramNorm, s.zero), ops.greater(updateNorm, s.zero));
      u = ops.mul(u, ops.where(bothPositive, ratio, s.one));
    }
    const scaled = ops.mul(u, s.negativeLearningRate);
    const momentumBuffer = ops.add(scaled, ops.mul(slots.momentumBuffer as typeof param, s.momentum));
    const update = h.nesterov ? ops.add(scaled, ops.mul(momentumBuffer, s.momentum)) : momentumBuffer;
    return { param: ops.add(param, update), slots: { momentumBuffer } };
  },
};

export const larsDefinition = define(
  'lars',
  'LARS: SGD with momentum and a layer-wise trust ratio (optax lars).',
  {
    learningRate: learningRate(0.1),
    weightDecay: weightDecay(0),
    trustCoefficient: { kind: 'number', min: 0, default: 0.001, description: 'trust coefficient (optax trust_coefficient)' },
    epsilon: { kind: 'number', min: 0, default: 0, description: 'added to the update norm in the trust ratio' },
    momentum: { kind: 'hyperparameter', min: 0, max: 1, default: 0.9, description: 'momentum of the scaled updates' },
    nesterov: flag('Nesterov momentum'),
    trustRatio: { kind: 'boolean', default: true, description: 'scale by the trust ratio (off for e.g. biases, optax trust_ratio_mask)' },
  },
  larsMath,
  (v, o) => ({
    learningRate: numberValue(v, 'learningRate'),
    weightDecay: numberValue(v, 'weightDecay'),
    trustCoefficient: numberValue(v, 'trustCoefficient'),
    epsilon: numberValue(v, 'epsilon'),
    momentum: numberValue(v, 'momentum'),
    nesterov: booleanValue(v, 'nesterov'),
    trustRatio: booleanValue(v, 'trustRatio'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link lars}. */
export interface LarsOptions extends CommonOptimizerOptions {
  /** Default 0.1. */
  readonly learningRate?: Hyperparameter;
  /** L2 weight decay added to the gradient before the trust ratio. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Trust coefficient `tc`. Default 0.001 (optax). */
  readonly trustCoefficient?: number;
  /** Added to the update norm in the trust ratio. Default 0 (optax). */
  readonly epsilon?: number;
  /** Momentum. Default 0.9. */
  readonly momentum?: Hyperparameter;
  /** Nesterov momentum. Default false. */
  readonly nesterov?: boolean;
  /** Scale by the trust ratio; turn it off in a group for biases and norms (optax `trust_ratio_mask`). Default true. */
  readonly trustRatio?: boolean;
}

/**
 * LARS (You et al. 2017, "Large Batch Training of Convolutional Networks"),
 * exactly optax's `optax.lars`: `u = g + wd p`, scaled per tensor by
 * `tc ‖p‖ / (‖u‖ + eps)` (1 when either norm is 0), then momentum on the
 * rate-scaled update: `b = -lr φ u + momentum b`, `p = p + b`. Defaults as optax:
 * weightDecay 0, trustCoefficient 0.001, epsilon 0, momentum 0.9, nesterov false;
 * learningRate 0.1 (optax has no default). Exclude biases with a group
 * (`{ params: ['*bias'], weightDecay: 0, trustRatio: false }`), as optax's masks do.
 *
 * @example
 * ```ts
 * const optimizer = lars({ learningRate: 1, weightDecay: 1e-4, groups: [{ params: ['*bias'], weightDecay: 0, trustRatio: false }] });
 * ```
 */
export function lars(options: LarsOptions = {}): Optimizer {
  return createOptimizer(larsDefinition, options);
}
