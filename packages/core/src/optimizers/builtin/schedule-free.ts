import type { HostState, OptimizerMath, Slots } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import type { Ops } from '../ops.js';
import { optaxBiasCorrection, optaxSquareMoment } from './optax-moments.js';
import { beta, define, epsilon, learningRate, numberValue, weightDecay } from './options.js';

/** Resolved schedule-free hyperparameters for one step (AdamW and SGD). */
export interface ScheduleFreeHyper {
  readonly learningRate: number;
  readonly beta1: number;
  /** AdamW only (0 for SGD). */
  readonly beta2: number;
  /** AdamW only (0 for SGD). */
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly weightLearningRatePower: number;
  /** AdamW: scale by the second moment; SGD: the plain gradient. */
  readonly adaptive: boolean;
  readonly useWeightDecay: boolean;
}

/** The schedule-free optimizers' per-step scalars (from their math's `scalars`): the names fused kernels read. */
export type ScheduleFreeScalar =
  | 'beta1'
  | 'oneMinusBeta1'
  | 'averageWeight'
  | 'oneMinusAverageWeight'
  | 'beta2'
  | 'oneMinusBeta2'
  | 'biasCorrection2'
  | 'epsilon'
  | 'weightDecay'
  | 'negativeLearningRate'
  | 'one';

/** The structural flags of the schedule-free optimizers: the part of {@link ScheduleFreeHyper} a fused kernel branches on. */
export type ScheduleFreeFlags = Pick<ScheduleFreeHyper, 'adaptive' | 'useWeightDecay'>;

/** The schedule-free optimizers' state slots per parameter: `z` (the base iterate) and, for AdamW, the second moment. */
export type ScheduleFreeSlot = 'z' | 'expAvgSq';

/** `x = (y - (1 - b1) z) / b1`, the evaluation point, from the gradient point `y` and the base iterate `z`. */
function evaluationPoint<T>(ops: Ops<T>, y: T, z: T, beta1: T, oneMinusBeta1: T): T {
  return ops.div(ops.sub(y, ops.mul(z, oneMinusBeta1)), beta1);
}

/**
 * Schedule-free AdamW and SGD (Defazio et al. 2024, "The Road Less Scheduled") as
 * optax `contrib.schedule_free` over `scale_by_rms` + decay + `-lr` (AdamW) or
 * decay + `sgd` (SGD). The parameters are the gradient point `y`; the state holds
 * `z`, and the evaluation point is `x = (y - (1 - b1) z) / b1`. At update `t`
 * (rates `γ_t` of this update and `γ_{t+1}` for the weights, as optax counts them):
 * `u = g / (√(v / (1 - b2^t)) + eps) + wd y` (SGD: `u = g + wd y`);
 * `z' = z - γ_t u`; `c = w / Σw` with `w = (max γ)^power`;
 * `x' = (1 - c) x + c z'`; `y' = b1 x' + (1 - b1) z'`.
 */
export const scheduleFreeMath: OptimizerMath<ScheduleFreeHyper, ScheduleFreeScalar, ScheduleFreeSlot> = {
  slots: (h) => (h.adaptive ? ['z', 'expAvgSq'] : ['z']),
  init: (ops, param, h) => {
    const slots: Slots<typeof param> = { z: ops.add(param, ops.scalar(0)) };
    if (h.adaptive) slots.expAvgSq = ops.zerosLike(param);
    return slots;
  },
  initHost: () => ({ maxLearningRate: 0, weightSum: 0 }),
  scalars: (h, step, host, upcoming) => {
    // optax weighs update t by the rate its schedule gives at t (the update's own rate is at t - 1).
    const weightRate = Math.fround(upcoming().learningRate);
    const maxLearningRate = Math.fround(Math.max(host.maxLearningRate ?? 0, weightRate));
    const weight = Math.fround(maxLearningRate ** h.weightLearningRatePower);
    const weightSum = Math.fround((host.weightSum ?? 0) + weight);
    // nan_to_num(weight / weightSum, nan=0): no weight yet (every rate 0) gives 0.
    const averageWeight = weightSum === 0 ? 0 : Math.fround(weight / weightSum);
    const next: HostState = { maxLearningRate, weightSum };
    return {
      values: {
        beta1: h.beta1,
        oneMinusBeta1: 1 - h.beta1,
        averageWeight,
        oneMinusAverageWeight: 1 - averageWeight,
        beta2: h.beta2,
        oneMinusBeta2: 1 - h.beta2,
        biasCorrection2: h.adaptive ? optaxBiasCorrection(h.beta2, step) : 1,
        epsilon: h.epsilon,
        weightDecay: h.weightDecay,
        negativeLearningRate: -h.learningRate,
        one: 1,
      },
      host: next,
    };
  },
  update: ({ ops, s, h, param, grad, slots }) => {
    const z = slots.z as typeof param;
    let direction = grad;
    const next: Slots<typeof param> = {};
    if (h.adaptive) {
      const expAvgSq = optaxSquareMoment(ops, grad, slots.expAvgSq as typeof param, s.beta2, s.oneMinusBeta2);
      const scaling = ops.div(s.one, ops.add(ops.sqrt(ops.div(expAvgSq, s.biasCorrection2)), s.epsilon));
      direction = ops.mul(scaling, grad);
      next.expAvgSq = expAvgSq;
    }
    if (h.useWeightDecay) direction = ops.add(direction, ops.mul(param, s.weightDecay));
    const nextZ = ops.add(z, ops.mul(direction, s.negativeLearningRate));
    const previousX = evaluationPoint(ops, param, z, s.beta1, s.oneMinusBeta1);
    const x = ops.add(ops.mul(previousX, s.oneMinusAverageWeight), ops.mul(nextZ, s.averageWeight));
    next.z = nextZ;
    return { param: ops.add(ops.mul(x, s.beta1), ops.mul(nextZ, s.oneMinusBeta1)), slots: next };
  },
  evaluate: ({ ops, h, param, slots }) =>
    evaluationPoint(ops, param, slots.z as typeof param, ops.scalar(h.beta1), ops.scalar(1 - h.beta1)),
};

const interpolation = {
  kind: 'number',
  min: 0,
  exclusiveMin: true,
  max: 1,
  exclusiveMax: true,
  default: 0.9,
  description: 'interpolation y = b1 x + (1 - b1) z (x is recovered by dividing by b1, so 0 is excluded)',
} as const;

const power = {
  kind: 'number',
  min: 0,
  default: 2,
  description: 'the average weighs update t by (max rate so far)^power (optax weight_lr_power)',
} as const;

const hyperOf = (adaptive: boolean) => (v: Record<string, unknown>, o: Record<string, unknown>) => ({
  learningRate: numberValue(v, 'learningRate'),
  beta1: numberValue(v, 'beta1'),
  beta2: adaptive ? numberValue(v, 'beta2') : 0,
  epsilon: adaptive ? numberValue(v, 'epsilon') : 0,
  weightDecay: numberValue(v, 'weightDecay'),
  weightLearningRatePower: numberValue(v, 'weightLearningRatePower'),
  adaptive,
  useWeightDecay: isActive(o.weightDecay),
});

export const scheduleFreeAdamWDefinition = define(
  'scheduleFreeAdamW',
  'Schedule-free AdamW: no learning-rate decay needed, evaluate at the averaged point x (optax contrib.schedule_free_adamw).',
  {
    learningRate: learningRate(0.0025),
    beta1: interpolation,
    beta2: beta(0.999, 'decay of the second moment'),
    epsilon: epsilon(1e-8),
    weightDecay: weightDecay(0),
    weightLearningRatePower: power,
  },
  scheduleFreeMath,
  hyperOf(true),
);

export const scheduleFreeSgdDefinition = define(
  'scheduleFreeSgd',
  'Schedule-free SGD: no learning-rate decay needed, evaluate at the averaged point x (optax contrib.schedule_free_sgd).',
  {
    learningRate: learningRate(1),
    beta1: interpolation,
    weightDecay: weightDecay(0),
    weightLearningRatePower: power,
  },
  scheduleFreeMath,
  hyperOf(false),
);

/** Options of {@link scheduleFreeSgd}. */
export interface ScheduleFreeSgdOptions extends CommonOptimizerOptions {
  /**
   * The rate of the base iterate `z` (a number or a schedule). optax's `warmup_steps=W`
   * is `linear({ initialValue: 0, endValue: rate, steps: W })`. Default 1 (optax).
   */
  readonly learningRate?: Hyperparameter;
  /** Interpolation `y = b1 x + (1 - b1) z`, in (0, 1) (a number, as optax's `b1`). Default 0.9. */
  readonly beta1?: number;
  /** L2 weight decay at `y`, added to the gradient: `u = g + wd y`. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** The average weighs update `t` by `(max rate so far)^power`. Default 2 (optax `weight_lr_power`). */
  readonly weightLearningRatePower?: number;
}

/** Options of {@link scheduleFreeAdamW}. */
export interface ScheduleFreeAdamWOptions extends ScheduleFreeSgdOptions {
  /** Default 0.0025 (optax). */
  readonly learningRate?: Hyperparameter;
  /** Decay of the second moment. Default 0.999. */
  readonly beta2?: Hyperparameter;
  /** Default 1e-8. */
  readonly epsilon?: number;
  /** Decoupled weight decay at `y`, scaled by the rate: `u = g / (√v̂ + eps) + wd y`. Default 0. */
  readonly weightDecay?: Hyperparameter;
}

/**
 * Schedule-free AdamW (Defazio et al. 2024, "The Road Less Scheduled"), exactly
 * optax's `optax.contrib.schedule_free_adamw`: train at `y`, evaluate at
 * `x = (y - (1 - b1) z) / b1` — `train()` evaluates, checkpoints and returns `x`
 * by itself; elsewhere read it with `evaluationParams`. Per update `t`:
 * `z = z - γ_t (g / (√(v / (1 - b2^t)) + eps) + wd y)`,
 * `x = (1 - c_t) x + c_t z` with `c_t = γ_max^2 / Σ γ_max^2`, `y = b1 x + (1 - b1) z`.
 * Defaults as optax: learningRate 0.0025, beta1 0.9, beta2 0.999, epsilon 1e-8,
 * weightDecay 0, weightLearningRatePower 2. No decay schedule is needed; a warmup
 * helps (optax `warmup_steps=W` is `learningRate: linear({ initialValue: 0, endValue: rate, steps: W })`).
 *
 * @example
 * ```ts
 * const optimizer = scheduleFreeAdamW({ learningRate: linear({ initialValue: 0, endValue: 0.0025, steps: 100 }), weightDecay: 1e-4 });
 * ```
 */
export function scheduleFreeAdamW(options: ScheduleFreeAdamWOptions = {}): Optimizer {
  return createOptimizer(scheduleFreeAdamWDefinition, options);
}

/**
 * Schedule-free SGD (Defazio et al. 2024), exactly optax's
 * `optax.contrib.schedule_free_sgd`: as {@link scheduleFreeAdamW} with the plain
 * gradient, `z = z - γ_t (g + wd y)`. Defaults as optax: learningRate 1,
 * beta1 0.9, weightDecay 0, weightLearningRatePower 2.
 *
 * @example
 * ```ts
 * const optimizer = scheduleFreeSgd({ learningRate: linear({ initialValue: 0, endValue: 0.5, steps: 50 }) });
 * ```
 */
export function scheduleFreeSgd(options: ScheduleFreeSgdOptions = {}): Optimizer {
  return createOptimizer(scheduleFreeSgdDefinition, options);
}
