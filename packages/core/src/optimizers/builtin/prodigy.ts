import type { OptimizerMath } from '../definition.js';
import type { Ops } from '../ops.js';
import { createOptimizer, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { optaxRateCorrection, MIN_INITIAL_ESTIMATE } from './optax-moments.js';
import { beta, booleanValue, define, epsilon, flag, learningRate, numberValue, weightDecay } from './options.js';

/** Resolved Prodigy hyperparameters for one step. */
export interface ProdigyHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly beta3: number;
  readonly epsilon: number;
  readonly initialEstimate: number;
  readonly estimateCoefficient: number;
  readonly weightDecay: number;
  readonly safeguardWarmup: boolean;
}

/** Prodigy's per-step scalars (from its math's `scalars`): the names fused kernels would read. */
export type ProdigyScalar =
  | 'estimate'
  | 'negativeStepSize'
  | 'beta1'
  | 'oneMinusBeta1'
  | 'beta2'
  | 'oneMinusBeta2'
  | 'beta3'
  | 'sumScale'
  | 'initialEstimate'
  | 'epsilon'
  | 'previousNumerator'
  | 'numeratorScale'
  | 'estimateCoefficient'
  | 'decay'
  | 'zero';

/** The structural flags of Prodigy (none: its options change numbers only). */
export type ProdigyFlags = Record<never, never>;

/** Prodigy's state slots per parameter. */
export type ProdigySlot = 'expAvg' | 'expAvgSq' | 'gradSum' | 'initialParam';

/** float32 arithmetic on the host, as optax keeps Prodigy's scalar state. */
const f = Math.fround;

/** `s = b3 s + dlr d g / d0` (`safeguardWarmup`: `d d g / d0`), the sum of scaled gradients. */
function nextGradSum<T>(ops: Ops<T>, s: Readonly<Record<ProdigyScalar, T>>, grad: T, gradSum: T): T {
  return ops.add(ops.mul(gradSum, s.beta3), ops.div(ops.mul(ops.mul(grad, s.estimate), s.sumScale), s.initialEstimate));
}

/**
 * Prodigy (Mishchenko and Defazio 2023) as optax `contrib.prodigy`, with the
 * distance estimate `d` (and its weighted numerator) as host state, per group (optax: all
 * parameters form one): `dlr = d lr √(1 - b2^t) / (1 - b1^t)`; per parameter
 * `m = b1 m + (1 - b1) d g`, `v = b2 v + (1 - b2) (d g)²`, `s = b3 s + dlr d g / d0`
 * (`safeguardWarmup`: `d d g / d0`); `r = b3 r + (d / d0) dlr Σ g·(p0 - p)` and
 * `d' = max(d, coef r / Σ|s|)` (on the backend, within the step, as optax takes `d'`
 * into this update's epsilon term); `p = p - dlr m / (√v + d' eps) - wd dlr p`.
 */
export const prodigyMath: OptimizerMath<ProdigyHyper, ProdigyScalar, ProdigySlot> = {
  slots: () => ['expAvg', 'expAvgSq', 'gradSum', 'initialParam'],
  init: (ops, param) => ({
    expAvg: ops.zerosLike(param),
    expAvgSq: ops.zerosLike(param),
    gradSum: ops.zerosLike(param),
    initialParam: ops.add(param, ops.scalar(0)),
  }),
  initHost: (h) => ({ estimate: f(h.initialEstimate), numerator: 0 }),
  scalars: (h, step, host) => {
    const estimate = host.estimate ?? f(h.initialEstimate);
    const stepSize = f(f(estimate * f(h.learningRate)) * optaxRateCorrection(h.beta1, h.beta2, step));
    return {
      values: {
        estimate,
        negativeStepSize: -stepSize,
        beta1: h.beta1,
        oneMinusBeta1: 1 - h.beta1,
        beta2: h.beta2,
        oneMinusBeta2: 1 - h.beta2,
        beta3: h.beta3,
        sumScale: h.safeguardWarmup ? estimate : stepSize,
        initialEstimate: h.initialEstimate,
        epsilon: h.epsilon,
        previousNumerator: host.numerator ?? 0,
        numeratorScale: f(f(estimate / f(h.initialEstimate)) * stepSize),
        estimateCoefficient: h.estimateCoefficient,
        decay: f(f(h.weightDecay) * stepSize),
        zero: 0,
      },
      host: { ...host, estimate },
    };
  },
  prepare: ({ ops, s, param, grad, slots }) => ({
    numerator: ops.sum(ops.mul(grad, ops.sub(slots.initialParam as typeof param, param))),
    denominator: ops.sum(ops.abs(nextGradSum(ops, s, grad, slots.gradSum as typeof param))),
  }),
  // optax takes the new estimate into this update's epsilon term: computed here, on the backend.
  share: ({ ops, s, totals }) => {
    const { numerator: sum, denominator } = totals as Record<'numerator' | 'denominator', typeof s.zero>;
    const numerator = ops.add(ops.mul(s.previousNumerator, s.beta3), ops.mul(s.numeratorScale, sum));
    const proposed = ops.div(ops.mul(s.estimateCoefficient, numerator), denominator);
    // optax divides as it is (0 / 0 is NaN there); with no gradient sum yet the estimate stays.
    const estimate = ops.where(ops.greater(denominator, s.zero), ops.maximum(s.estimate, proposed), s.estimate);
    return { estimate, numerator };
  },
  update: ({ ops, s, param, grad, slots, shared }) => {
    const dg = ops.mul(grad, s.estimate);
    const expAvg = ops.add(ops.mul(slots.expAvg as typeof param, s.beta1), ops.mul(dg, s.oneMinusBeta1));
    const expAvgSq = ops.add(ops.mul(slots.expAvgSq as typeof param, s.beta2), ops.mul(ops.mul(dg, s.oneMinusBeta2), dg));
    const gradSum = nextGradSum(ops, s, grad, slots.gradSum as typeof param);
    const next = (shared as Record<'estimate', typeof param>).estimate;
    const step = ops.div(ops.mul(expAvg, s.negativeStepSize), ops.add(ops.sqrt(expAvgSq), ops.mul(next, s.epsilon)));
    const update = ops.sub(step, ops.mul(param, s.decay));
    return {
      param: ops.add(param, update),
      slots: { expAvg, expAvgSq, gradSum, initialParam: slots.initialParam as typeof param },
    };
  },
  absorb: (_h, _host, totals) => ({ estimate: totals.estimate as number, numerator: totals.numerator as number }),
};

export const prodigyDefinition = define(
  'prodigy',
  'Prodigy: Adam whose step size is estimated from the distance travelled (optax contrib.prodigy).',
  {
    learningRate: learningRate(1),
    beta1: beta(0.9, 'decay of the first moment'),
    beta2: beta(0.999, 'decay of the second moment'),
    beta3: {
      kind: 'number',
      min: 0,
      max: 1,
      exclusiveMax: true,
      optional: true,
      description: 'decay of the estimate sums (default √beta2)',
    },
    epsilon: epsilon(1e-8),
    initialEstimate: {
      kind: 'number',
      min: MIN_INITIAL_ESTIMATE,
      default: 1e-6,
      description: 'initial distance estimate d0 (optax estim_lr0)',
    },
    estimateCoefficient: {
      kind: 'number',
      min: 0,
      exclusiveMin: true,
      default: 1,
      description: 'scales each new estimate (optax estim_lr_coef)',
    },
    weightDecay: weightDecay(0),
    safeguardWarmup: flag('leave the rate out of the estimate sums (optax safeguard_warmup)'),
  },
  prodigyMath,
  (v) => ({
    learningRate: numberValue(v, 'learningRate'),
    beta1: numberValue(v, 'beta1'),
    beta2: numberValue(v, 'beta2'),
    beta3: (v.beta3 as number | undefined) ?? Math.sqrt(numberValue(v, 'beta2')),
    epsilon: numberValue(v, 'epsilon'),
    initialEstimate: numberValue(v, 'initialEstimate'),
    estimateCoefficient: numberValue(v, 'estimateCoefficient'),
    weightDecay: numberValue(v, 'weightDecay'),
    safeguardWarmup: booleanValue(v, 'safeguardWarmup'),
  }),
);

/** Options of {@link prodigy}. */
export interface ProdigyOptions extends CommonOptimizerOptions {
  /** A factor on the estimated rate (keep 1; a schedule shapes it). Default 1. */
  readonly learningRate?: Hyperparameter;
  /** Default 0.9. */
  readonly beta1?: Hyperparameter;
  /** Default 0.999. */
  readonly beta2?: Hyperparameter;
  /** Decay of the estimate's sums. Default √beta2 (optax). */
  readonly beta3?: number;
  /** Scaled by the estimate `d` in the denominator. Default 1e-8. */
  readonly epsilon?: number;
  /** The first distance estimate `d0` (optax `estim_lr0`). Default 1e-6. */
  readonly initialEstimate?: number;
  /** Multiplies each new estimate (optax `estim_lr_coef`). Default 1. */
  readonly estimateCoefficient?: number;
  /** Decoupled weight decay, scaled by the estimated rate: `p -= wd dlr p`. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Keep the rate out of the gradient sum (optax `safeguard_warmup`, for warmups). Default false. */
  readonly safeguardWarmup?: boolean;
}

/**
 * Prodigy (Mishchenko and Defazio 2023, "Prodigy: An Expeditiously Adaptive
 * Parameter-Free Learner"), exactly optax's `optax.contrib.prodigy`: Adam whose step
 * size `d` is estimated from the data, so `learningRate` stays 1 (a schedule may still
 * shape it): `dlr = d lr √(1 - b2^t) / (1 - b1^t)`, `m = b1 m + (1 - b1) d g`,
 * `v = b2 v + (1 - b2) d² g²`, `p = p - dlr m / (√v + d eps) - wd dlr p`; after each
 * update `d` grows to `coef r / Σ|s|` when that is larger (`r`, `s`: the weighted sums
 * of `g·(p0 - p)` and of `d g`). The estimate is per parameter group (optax: one group);
 * it is host state, read back after each update (one scalar read per group). Defaults as
 * optax: learningRate 1, beta1 0.9, beta2 0.999, beta3 √beta2, epsilon 1e-8,
 * initialEstimate 1e-6, estimateCoefficient 1, weightDecay 0.
 *
 * @example
 * ```ts
 * const optimizer = prodigy({ weightDecay: 0.01 });
 * ```
 */
export function prodigy(options: ProdigyOptions = {}): Optimizer {
  return createOptimizer(prodigyDefinition, options);
}
