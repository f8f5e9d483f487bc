import type { ConformanceCase, ConformanceFile, TensorData } from './cases.js';

/** A case of fixtures/reference-optimizer-trajectories.json (torch 2.13 and optax 0.2.8, copied from ../shared/references). */
export interface ReferenceOptimizerCase {
  readonly name: string;
  /** The function or class that produced it (`optax.contrib.adopt`). */
  readonly reference: string;
  /** Its options, exactly as passed to it, in its own names. */
  readonly options: Record<string, unknown>;
  readonly params: Record<string, TensorData>;
  readonly gradients: Record<string, number[]>[];
  readonly trajectory: Record<string, number[]>[];
  /** Schedule-free: `schedule_free_eval_params` after each step. */
  readonly evalTrajectory?: Record<string, number[]>[];
}

/** The reference fixture file. */
export interface ReferenceOptimizerFixture {
  readonly provenance: string;
  readonly cases: readonly ReferenceOptimizerCase[];
}

/** optax option names to stepsize's (the same meaning; `b1` is `beta1` and so on). */
const optaxNames: Record<string, string> = {
  learning_rate: 'learningRate',
  b1: 'beta1',
  b2: 'beta2',
  b3: 'beta3',
  eps: 'epsilon',
  eps_root: 'epsilonRoot',
  weight_decay: 'weightDecay',
  trust_coefficient: 'trustCoefficient',
  momentum: 'momentum',
  alpha: 'alpha',
  nesterov: 'nesterov',
  weight_lr_power: 'weightLearningRatePower',
  beta3: 'beta3',
  estim_lr0: 'initialEstimate',
  estim_lr_coef: 'estimateCoefficient',
  safeguard_warmup: 'safeguardWarmup',
};

/** stepsize optimizer type by reference function. */
const optaxTypes: Record<string, string> = {
  'optax.contrib.schedule_free_adamw': 'scheduleFreeAdamW',
  'optax.contrib.schedule_free_sgd': 'scheduleFreeSgd',
  'optax.contrib.adopt': 'adopt',
  'optax.contrib.ademamix': 'ademamix',
  'optax.lars': 'lars',
  'optax.adabelief': 'adabelief',
  'optax.lion': 'lion',
  'optax.lamb': 'lamb',
  'optax.contrib.prodigy': 'prodigy',
  'optax.contrib.dadapt_adamw': 'dAdaptAdamW',
  'optax.contrib.dog': 'dog',
};

/**
 * optax keyword arguments as a stepsize optimizer spec: names mapped one to one;
 * `warmup_steps=W` (schedule-free) is optax's `warmup_constant_schedule(0, rate, W)`, that
 * is stepsize's `linear({ initialValue: 0, endValue: rate, steps: W })`; `use_clipping` is `clipping`;
 * `betas` are `beta1` and `beta2`; `estim_lr0` is `initialEstimate`; DoG's `init_step: (kind, value)` is
 * `initialStep` and `initialStepValue`.
 */
export function optaxOptimizerSpec(reference: string, options: Record<string, unknown>): Record<string, unknown> {
  const type = optaxTypes[reference];
  if (type === undefined) throw new Error(`no mapping for reference ${reference}`);
  const spec: Record<string, unknown> = { type };
  for (const [key, value] of Object.entries(options)) {
    if (key === 'warmup_steps' || key === 'note') continue;
    if (key === 'use_clipping') spec.clipping = value;
    else if (key === 'init_step') {
      const [kind, size] = value as [string, number];
      spec.initialStep = kind === 'learning_rate' ? 'learningRate' : kind;
      spec.initialStepValue = size;
    } else if (key === 'betas') {
      const [beta1, beta2] = value as [number, number];
      spec.beta1 = beta1;
      spec.beta2 = beta2;
    } else if (optaxNames[key] !== undefined) spec[optaxNames[key]] = value;
    else throw new Error(`no mapping for option ${key} of ${reference}`);
  }
  const warmup = options.warmup_steps;
  if (typeof warmup === 'number' && warmup > 0) {
    spec.learningRate = { type: 'linear', initialValue: 0, endValue: options.learning_rate, steps: warmup };
  }
  return spec;
}

/**
 * Updates checked of the learning-rate-free cases, whose step size is estimated from the
 * trajectory itself: while the estimate grows (1e-6 to about 1e-3 in these 20 updates) a
 * float32 rounding difference of one element (optax's reductions and powers are XLA's) is
 * fed back through the estimate and amplified about twofold every two updates. Measured on
 * the engine: within 1e-5 up to update 23 (prodigy) and 21 (dadapt_adamw), 2.6e-3 and
 * 1.8e-3 at worst over all 60 (`references.test.ts` keeps that bound).
 */
export const ESTIMATE_PREFIX: Readonly<Record<string, number>> = { prodigy: 20, dadapt_adamw: 20 };

/** One reference case as a stepsize conformance case (the first `steps` updates, default all). */
export function referenceCase(c: ReferenceOptimizerCase, steps = c.gradients.length): ConformanceCase {
  const prefix = steps < c.gradients.length ? ` (first ${steps} of ${c.gradients.length} updates)` : '';
  return {
    name: `${c.reference} (${c.name})${prefix}`,
    optimizer: optaxOptimizerSpec(c.reference, c.options),
    params: c.params,
    gradients: c.gradients.slice(0, steps),
    trajectory: c.trajectory.slice(0, steps),
    ...(c.evalTrajectory && { evalTrajectory: c.evalTrajectory.slice(0, steps) }),
  };
}

/** The reference fixture as a stepsize conformance file (relative tolerance 1e-5, as the PyTorch cases). */
export function referenceConformanceFile(fixture: ReferenceOptimizerFixture): ConformanceFile {
  return {
    format: 'stepsize-conformance/1',
    source: fixture.provenance,
    tolerance: 1e-5,
    cases: fixture.cases.map((c) => referenceCase(c, ESTIMATE_PREFIX[c.name])),
  };
}
