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
  /** A tolerance other than the file's, set by the generator where optax's own spread on the case exceeds 1e-5 ... */
  readonly tolerance?: number;
  /** ... and the measurement behind it. */
  readonly toleranceNote?: string;
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
  beta: 'momentum',
  nesterov: 'nesterov',
  weight_lr_power: 'weightLearningRatePower',
  beta3: 'beta3',
  estim_lr0: 'initialEstimate',
  estim_lr_coef: 'estimateCoefficient',
  safeguard_warmup: 'safeguardWarmup',
  adaptive: 'adaptive',
  preconditioning: 'preconditioning',
  ns_steps: 'newtonSchulzSteps',
  adam_b1: 'adamBeta1',
  adam_b2: 'adamBeta2',
  adam_eps_root: 'adamEpsilonRoot',
  adam_weight_decay: 'adamWeightDecay',
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
  'optax.contrib.muon': 'muon',
};

/** PyTorch 2.x optimizers by reference class (the fixture names them with their torch version). */
const torchTypes: Record<string, string> = {
  'torch.optim.Muon': 'muon',
  'torch.optim.Adafactor': 'adafactor',
};

/** PyTorch keyword arguments to stepsize's names, for the PyTorch 2.x cases. */
const torchNames: Record<string, string> = {
  lr: 'learningRate',
  weight_decay: 'weightDecay',
  momentum: 'momentum',
  nesterov: 'nesterov',
  ns_steps: 'newtonSchulzSteps',
  ns_coefficients: 'newtonSchulzCoefficients',
  beta2_decay: 'beta2Decay',
  d: 'clipThreshold',
  maximize: 'maximize',
};

/**
 * A PyTorch 2.x reference's keyword arguments as a stepsize spec: Muon with
 * `convention: 'pytorch'` (its `adjust_lr_fn` `None` or `'original'` is `'original'`,
 * `'match_rms_adamw'` is `'matchRmsAdamW'`); Adafactor's `eps: (eps1, eps2)` is `epsilon1`
 * (left out for `None`: float32's epsilon) and `epsilon2`.
 */
function torchOptimizerSpec(type: string, options: Record<string, unknown>): Record<string, unknown> {
  const spec: Record<string, unknown> = { type, ...(type === 'muon' && { convention: 'pytorch' }) };
  for (const [key, value] of Object.entries(options)) {
    if (key === 'adjust_lr_fn') {
      if (value === 'match_rms_adamw') spec.learningRateAdjustment = 'matchRmsAdamW';
      else if (value !== null && value !== 'original') throw new Error(`no mapping for adjust_lr_fn ${String(value)}`);
    } else if (key === 'eps') {
      if (type === 'muon') spec.epsilon = value;
      else {
        const [epsilon1, epsilon2] = value as [number | null, number];
        if (epsilon1 !== null) spec.epsilon1 = epsilon1;
        spec.epsilon2 = epsilon2;
      }
    } else if (torchNames[key] !== undefined) spec[torchNames[key]] = value;
    else throw new Error(`no mapping for option ${key} of ${type}`);
  }
  return spec;
}

/**
 * optax keyword arguments as a stepsize optimizer spec: names mapped one to one;
 * `warmup_steps=W` (schedule-free) is optax's `warmup_constant_schedule(0, rate, W)`, that
 * is stepsize's `linear({ initialValue: 0, endValue: rate, steps: W })`; `use_clipping` is `clipping`;
 * `betas` are `beta1` and `beta2`; `estim_lr0` is `initialEstimate`; DoG's `init_step: (kind, value)` is
 * `initialStep` and `initialStepValue`; Muon's `beta` is `momentum` and its `consistent_rms=x` is
 * `learningRateAdjustment: 'matchRmsAdamW', consistentRms: x`. PyTorch 2.x references
 * (`torch.optim.Muon (torch 2.13)`) map through their own names.
 */
export function optaxOptimizerSpec(reference: string, options: Record<string, unknown>): Record<string, unknown> {
  const torchType = torchTypes[reference.replace(/ \(torch [^)]*\)$/, '')];
  if (torchType !== undefined) return torchOptimizerSpec(torchType, options);
  const type = optaxTypes[reference];
  if (type === undefined) throw new Error(`no mapping for reference ${reference}`);
  // Lion and LAMB round as optax does under their optax convention (the paper's is their default).
  const spec: Record<string, unknown> = { type, ...((type === 'lion' || type === 'lamb') && { convention: 'optax' }) };
  for (const [key, value] of Object.entries(options)) {
    if (key === 'warmup_steps' || key === 'note') continue;
    if (key === 'use_clipping') spec.clipping = value;
    else if (key === 'init_step') {
      const [kind, size] = value as [string, number];
      spec.initialStep = kind === 'learning_rate' ? 'learningRate' : kind;
      spec.initialStepValue = size;
    } else if (key === 'consistent_rms') {
      // optax scales by consistent_rms only when it is given: that is the matchRmsAdamW adjustment.
      if (value !== null) {
        spec.learningRateAdjustment = 'matchRmsAdamW';
        spec.consistentRms = value;
      }
    } else if (key === 'ns_coeffs') {
      // optax: (a, b, c), one per iteration ((n, 3)), or the preset 'standard' (the default triple).
      if (value === 'standard') continue;
      if (typeof value === 'string') throw new Error(`no mapping for ns_coeffs ${value}`);
      spec.newtonSchulzCoefficients = (value as (number | number[])[]).flat();
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
 * Updates checked at 1e-5 of the learning-rate-free cases, whose step size is estimated from
 * sums over every element: one float32 rounding in those sums comes back amplified through the
 * estimate (Prodigy's grows from 1e-6 to 0.93 over the 60 updates). optax's sums are XLA's, in
 * an order that depends on the array's shape (on this fixture: `w`'s 6x10 absolute values summed
 * in order; its 60 products by windows of 32 padded with 2 zeros at each end; `b`'s 10 as fused
 * multiply-adds in order); a float32 model with exactly those orders reproduces optax's Prodigy
 * bit for bit over all 60 updates, but they are the compiler's, not optax's: optax itself, on
 * the same gradients with `w` flattened to 60 elements, leaves its own reference by 3.07e-5
 * (Prodigy, first above 1e-5 at update 44) and 4.03e-5 (D-Adaptation, update 39), and under
 * `jax.jit` by 2.6e-3 and 1.8e-3 (`tooling/goldens/optax_trajectories.py --spread`). stepsize's
 * backends, over all 60: 2.96e-5 and 2.05e-5 (engine, tfjs cpu, ONNX Runtime's engine path),
 * 3.47e-5 and 3.85e-5 (tfjs wasm), 2.97e-5 and 4.36e-5 (ONNX Runtime's update graph); the whole
 * trajectory is checked at {@link ESTIMATE_TOLERANCE}.
 */
export const ESTIMATE_PREFIX: Readonly<Record<string, number>> = { prodigy: 40, dadapt_adamw: 36 };

/** The tolerance of the learning-rate-free cases' whole trajectories (see {@link ESTIMATE_PREFIX}). */
export const ESTIMATE_TOLERANCE = 5e-5;

/**
 * Relative tolerances of the cases whose reference is PyTorch's bfloat16 Newton-Schulz
 * (`torch.optim.Muon`): bfloat16 keeps 8 significant bits and the iteration amplifies a one-bit
 * difference, so reproducing torch's numbers bit for bit needs its CPU's own bfloat16 matmul
 * kernel. stepsize's `newtonSchulzPrecision: 'bfloat16'` rounds the same values to bfloat16
 * (float32 products, then rounded): measured over the 20 updates against torch 2.13, 7.93e-2
 * (`torch_muon`) and 6.34e-2 (`torch_muon_match_rms`) on the engine, tfjs (cpu, wasm) and both
 * ONNX Runtime paths alike, where torch 1.13's own bfloat16 iteration on the same gradients
 * (Debian's python3-torch, this CPU) drifts 0.45 and 0.28 from torch 2.13, and float32 3.0e-2
 * and 3.3e-2.
 */
export const BFLOAT16_TOLERANCE: Readonly<Record<string, number>> = { torch_muon: 0.1, torch_muon_match_rms: 0.1 };

/** One reference case as a stepsize conformance case (the first `steps` updates, default all). */
export function referenceCase(c: ReferenceOptimizerCase, steps = c.gradients.length): ConformanceCase {
  const prefix = steps < c.gradients.length ? ` (first ${steps} of ${c.gradients.length} updates)` : '';
  return {
    name: `${c.reference} (${c.name})${prefix}`,
    optimizer: optaxOptimizerSpec(c.reference, c.options),
    params: c.params,
    gradients: c.gradients.slice(0, steps),
    trajectory: c.trajectory.slice(0, steps),
    ...(BFLOAT16_TOLERANCE[c.name] !== undefined && { tolerance: BFLOAT16_TOLERANCE[c.name] }),
    ...(c.tolerance !== undefined && { tolerance: c.tolerance }),
    ...(c.evalTrajectory && { evalTrajectory: c.evalTrajectory.slice(0, steps) }),
  };
}

/**
 * The reference fixture as a stepsize conformance file (relative tolerance 1e-5, as the PyTorch
 * cases); a learning-rate-free case comes twice, its first {@link ESTIMATE_PREFIX} updates at
 * 1e-5 and all of them at {@link ESTIMATE_TOLERANCE}.
 */
export function referenceConformanceFile(fixture: ReferenceOptimizerFixture): ConformanceFile {
  return {
    format: 'stepsize-conformance/1',
    source: fixture.provenance,
    tolerance: 1e-5,
    cases: fixture.cases.flatMap((c) => {
      const prefix = ESTIMATE_PREFIX[c.name];
      return prefix === undefined ? [referenceCase(c)] : [referenceCase(c, prefix), { ...referenceCase(c), tolerance: ESTIMATE_TOLERANCE }];
    }),
  };
}
