import { fail, type OptionSpec } from '../schedules/options.js';
import { adadeltaMath } from './math/adadelta.js';
import { adagradMath } from './math/adagrad.js';
import { adamMath } from './math/adam.js';
import { adamaxMath } from './math/adamax.js';
import { lambMath } from './math/lamb.js';
import { lionMath } from './math/lion.js';
import { nadamMath } from './math/nadam.js';
import { radamMath } from './math/radam.js';
import { rmspropMath } from './math/rmsprop.js';
import { rpropMath } from './math/rprop.js';
import { sgdMath } from './math/sgd.js';
import type { OptimizerMath } from './definition.js';
import {
  createOptimizer,
  isActive,
  type CommonOptimizerOptions,
  type Hyperparameter,
  type Optimizer,
  type OptimizerDefinition,
} from './optimizer.js';

const learningRate = (fallback?: number): OptionSpec => ({
  kind: 'hyperparameter',
  min: 0,
  ...(fallback === undefined ? {} : { default: fallback }),
  description: 'learning rate',
});
const beta = (fallback: number, what: string): OptionSpec => ({
  kind: 'hyperparameter',
  min: 0,
  max: 1,
  exclusiveMax: true,
  default: fallback,
  description: what,
});
const epsilon = (fallback: number): OptionSpec => ({
  kind: 'number',
  min: 0,
  default: fallback,
  description: 'added to the denominator for stability',
});
const weightDecay = (fallback: number): OptionSpec => ({
  kind: 'hyperparameter',
  min: 0,
  default: fallback,
  description: 'weight decay',
});
const flag = (description: string): OptionSpec => ({ kind: 'boolean', default: false, description });

function define<H>(
  type: string,
  summary: string,
  options: Record<string, OptionSpec>,
  math: OptimizerMath<H>,
  hyper: (values: Record<string, unknown>, options: Record<string, unknown>) => H,
  check?: (options: Record<string, unknown>, path: string) => void,
): OptimizerDefinition<H> {
  return { type, summary, options, math, hyper, ...(check && { check }) };
}

const n = (values: Record<string, unknown>, key: string): number => values[key] as number;
const b = (values: Record<string, unknown>, key: string): boolean => values[key] as boolean;

// ---------------------------------------------------------------- SGD
export const sgdDefinition = define(
  'sgd',
  'SGD with momentum, dampening, Nesterov, L2 weight decay, maximize (PyTorch SGD).',
  {
    learningRate: learningRate(),
    momentum: { kind: 'hyperparameter', min: 0, default: 0, description: 'momentum factor' },
    dampening: { kind: 'number', min: 0, max: 1, default: 0, description: 'dampening of the momentum' },
    weightDecay: weightDecay(0),
    nesterov: flag('Nesterov momentum'),
    maximize: flag('maximize the objective'),
  },
  sgdMath,
  (v, o) => ({
    learningRate: n(v, 'learningRate'),
    momentum: n(v, 'momentum'),
    dampening: n(v, 'dampening'),
    weightDecay: n(v, 'weightDecay'),
    nesterov: b(v, 'nesterov'),
    maximize: b(v, 'maximize'),
    useMomentum: isActive(o.momentum),
    useWeightDecay: isActive(o.weightDecay),
    useDampening: isActive(o.dampening),
  }),
  (o, path) => {
    if (o.nesterov === true && (!isActive(o.momentum) || o.dampening !== 0)) {
      fail(`${path}.nesterov`, 'requires a non-zero momentum and zero dampening (as PyTorch)', o.nesterov);
    }
  },
);

/** Options of {@link sgd}. */
export interface SgdOptions extends CommonOptimizerOptions {
  /** Learning rate (required, as PyTorch). */
  readonly learningRate: Hyperparameter;
  /** Momentum factor. Default 0. */
  readonly momentum?: Hyperparameter;
  /** Dampening of the momentum, in [0, 1]. Default 0. */
  readonly dampening?: number;
  /** L2 penalty added to the gradient. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  readonly nesterov?: boolean;
  /** Maximize the objective. Default false. */
  readonly maximize?: boolean;
}

/**
 * Stochastic gradient descent, exactly PyTorch's `torch.optim.SGD`:
 * `d = g + wd p`; with momentum `b = d` (first step) then
 * `b = momentum b + (1 - dampening) d`, `d = d + momentum b` (Nesterov) or
 * `d = b`; `p = p - lr d`.
 *
 * Defaults as PyTorch: momentum 0, dampening 0, weightDecay 0, nesterov and
 * maximize false; `learningRate` is required. Any hyperparameter may be a
 * schedule (e.g. momentum from {@link oneCycleMomentum}).
 *
 * @example
 * ```ts
 * const optimizer = sgd({ learningRate: stepDecay({ initialValue: 0.1, stepSize: 30 }), momentum: 0.9, nesterov: true });
 * ```
 */
export function sgd(options: SgdOptions): Optimizer {
  return createOptimizer(sgdDefinition, options);
}

// ---------------------------------------------------------------- Adam / AdamW
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
  learningRate: n(v, 'learningRate'),
  beta1: n(v, 'beta1'),
  beta2: n(v, 'beta2'),
  epsilon: n(v, 'epsilon'),
  weightDecay: n(v, 'weightDecay'),
  decoupledWeightDecay: decoupled,
  amsgrad: b(v, 'amsgrad'),
  maximize: b(v, 'maximize'),
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

// ---------------------------------------------------------------- Adamax, NAdam, RAdam
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
    learningRate: n(v, 'learningRate'),
    beta1: n(v, 'beta1'),
    beta2: n(v, 'beta2'),
    epsilon: n(v, 'epsilon'),
    weightDecay: n(v, 'weightDecay'),
    maximize: b(v, 'maximize'),
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
    learningRate: n(v, 'learningRate'),
    beta1: n(v, 'beta1'),
    beta2: n(v, 'beta2'),
    epsilon: n(v, 'epsilon'),
    weightDecay: n(v, 'weightDecay'),
    momentumDecay: n(v, 'momentumDecay'),
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
    learningRate: n(v, 'learningRate'),
    beta1: n(v, 'beta1'),
    beta2: n(v, 'beta2'),
    epsilon: n(v, 'epsilon'),
    weightDecay: n(v, 'weightDecay'),
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

// ---------------------------------------------------------------- Adagrad, Adadelta, RMSprop, Rprop
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
    learningRate: n(v, 'learningRate'),
    learningRateDecay: n(v, 'learningRateDecay'),
    weightDecay: n(v, 'weightDecay'),
    initialAccumulatorValue: n(v, 'initialAccumulatorValue'),
    epsilon: n(v, 'epsilon'),
    maximize: b(v, 'maximize'),
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

export const adadeltaDefinition = define(
  'adadelta',
  'Adadelta (PyTorch Adadelta).',
  {
    learningRate: learningRate(1),
    rho: { kind: 'hyperparameter', min: 0, max: 1, default: 0.9, description: 'decay of the running averages' },
    epsilon: epsilon(1e-6),
    weightDecay: weightDecay(0),
    maximize: flag('maximize the objective'),
  },
  adadeltaMath,
  (v, o) => ({
    learningRate: n(v, 'learningRate'),
    rho: n(v, 'rho'),
    epsilon: n(v, 'epsilon'),
    weightDecay: n(v, 'weightDecay'),
    maximize: b(v, 'maximize'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link adadelta}. */
export interface AdadeltaOptions extends CommonOptimizerOptions {
  /** Scales the update. Default 1. */
  readonly learningRate?: Hyperparameter;
  /** Decay of the running averages, in [0, 1]. Default 0.9. */
  readonly rho?: Hyperparameter;
  /** Default 1e-6. */
  readonly epsilon?: number;
  /** L2 weight decay. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Default false. */
  readonly maximize?: boolean;
}

/**
 * Adadelta (Zeiler 2012), as PyTorch `torch.optim.Adadelta`:
 * `v = rho v + (1 - rho) g²`, `delta = √(u + eps) / √(v + eps) · g`,
 * `u = rho u + (1 - rho) delta²`, `p -= lr delta`. Defaults as PyTorch:
 * learningRate 1, rho 0.9, epsilon 1e-6.
 *
 * @example
 * ```ts
 * const optimizer = adadelta();
 * ```
 */
export function adadelta(options: AdadeltaOptions = {}): Optimizer {
  return createOptimizer(adadeltaDefinition, options);
}

export const rmspropDefinition = define(
  'rmsprop',
  'RMSprop, centered or not, with momentum (PyTorch RMSprop).',
  {
    learningRate: learningRate(1e-2),
    alpha: { kind: 'hyperparameter', min: 0, max: 1, default: 0.99, description: 'smoothing constant' },
    epsilon: epsilon(1e-8),
    weightDecay: weightDecay(0),
    momentum: { kind: 'hyperparameter', min: 0, default: 0, description: 'momentum factor' },
    centered: flag('normalise by the estimated variance'),
    maximize: flag('maximize the objective'),
  },
  rmspropMath,
  (v, o) => ({
    learningRate: n(v, 'learningRate'),
    alpha: n(v, 'alpha'),
    epsilon: n(v, 'epsilon'),
    weightDecay: n(v, 'weightDecay'),
    momentum: n(v, 'momentum'),
    centered: b(v, 'centered'),
    maximize: b(v, 'maximize'),
    useMomentum: isActive(o.momentum),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link rmsprop}. */
export interface RmspropOptions extends CommonOptimizerOptions {
  /** Default 1e-2. */
  readonly learningRate?: Hyperparameter;
  /** Smoothing constant. Default 0.99. */
  readonly alpha?: Hyperparameter;
  /** Default 1e-8. */
  readonly epsilon?: number;
  /** L2 weight decay. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Default 0. */
  readonly momentum?: Hyperparameter;
  /** Default false. */
  readonly centered?: boolean;
  /** Default false. */
  readonly maximize?: boolean;
}

/**
 * RMSprop (Hinton's lecture 6e; centered as Graves 2013), as PyTorch
 * `torch.optim.RMSprop`: `v = a v + (1 - a) g²`, `avg = √(v - gAvg²) + eps`
 * (centered) or `√v + eps`; `b = mu b + g / avg`, `p -= lr b` (momentum) or
 * `p -= lr g / avg`. Defaults as PyTorch: learningRate 1e-2, alpha 0.99,
 * epsilon 1e-8 (Keras and tfjs put epsilon inside the square root).
 *
 * @example
 * ```ts
 * const optimizer = rmsprop({ learningRate: 1e-3, centered: true, momentum: 0.9 });
 * ```
 */
export function rmsprop(options: RmspropOptions = {}): Optimizer {
  return createOptimizer(rmspropDefinition, options);
}

export const rpropDefinition = define(
  'rprop',
  'Resilient backpropagation (PyTorch Rprop).',
  {
    learningRate: learningRate(1e-2),
    etas: {
      kind: 'numberList',
      min: 0,
      exclusiveMin: true,
      minLength: 2,
      default: [0.5, 1.2],
      description: '[etaMinus, etaPlus]',
    },
    stepSizes: {
      kind: 'numberList',
      min: 0,
      minLength: 2,
      order: 'nondecreasing',
      default: [1e-6, 50],
      description: '[minimum, maximum] step size',
    },
    maximize: flag('maximize the objective'),
  },
  rpropMath,
  (v) => {
    const etas = v.etas as number[];
    const sizes = v.stepSizes as number[];
    return {
      learningRate: n(v, 'learningRate'),
      etaMinus: etas[0] as number,
      etaPlus: etas[1] as number,
      minStepSize: sizes[0] as number,
      maxStepSize: sizes[1] as number,
      maximize: b(v, 'maximize'),
    };
  },
  (o, path) => {
    const etas = o.etas as number[];
    if (etas.length !== 2 || !((etas[0] as number) < 1 && 1 < (etas[1] as number))) {
      fail(`${path}.etas`, 'must be [etaMinus, etaPlus] with 0 < etaMinus < 1 < etaPlus', etas);
    }
    if ((o.stepSizes as number[]).length !== 2) fail(`${path}.stepSizes`, 'must be [minimum, maximum]', o.stepSizes);
  },
);

/** Options of {@link rprop}. */
export interface RpropOptions extends CommonOptimizerOptions {
  /** Initial step size of every weight. Default 1e-2. */
  readonly learningRate?: Hyperparameter;
  /** `[etaMinus, etaPlus]`, 0 < etaMinus < 1 < etaPlus. Default [0.5, 1.2]. */
  readonly etas?: readonly [number, number];
  /** `[minimum, maximum]` step size. Default [1e-6, 50]. */
  readonly stepSizes?: readonly [number, number];
  /** Default false. */
  readonly maximize?: boolean;
}

/**
 * Rprop (Riedmiller & Braun 1993), as PyTorch `torch.optim.Rprop`: each
 * weight's step size grows by `etaPlus` while its gradient keeps its sign,
 * shrinks by `etaMinus` when it flips (and that step is skipped), within
 * `stepSizes`; `p -= sign(g) · stepSize`. As in PyTorch the learning rate is
 * only the initial step size (a schedule is read at step 0 only). Defaults as
 * PyTorch: learningRate 1e-2, etas [0.5, 1.2], stepSizes [1e-6, 50].
 *
 * @example
 * ```ts
 * const optimizer = rprop({ etas: [0.3, 1.5] });
 * ```
 */
export function rprop(options: RpropOptions = {}): Optimizer {
  return createOptimizer(rpropDefinition, options);
}

// ---------------------------------------------------------------- Lion, LAMB
export const lionDefinition = define(
  'lion',
  'Lion: sign of an interpolated momentum, decoupled weight decay (Chen et al. 2023).',
  {
    learningRate: learningRate(1e-4),
    beta1: beta(0.9, 'interpolation for the update direction'),
    beta2: beta(0.99, 'decay of the momentum'),
    weightDecay: weightDecay(0),
    maximize: flag('maximize the objective'),
  },
  lionMath,
  (v, o) => ({
    learningRate: n(v, 'learningRate'),
    beta1: n(v, 'beta1'),
    beta2: n(v, 'beta2'),
    weightDecay: n(v, 'weightDecay'),
    maximize: b(v, 'maximize'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link lion}. */
export interface LionOptions extends CommonOptimizerOptions {
  /** Default 1e-4 (Lion wants a 3-10x smaller rate than AdamW). */
  readonly learningRate?: Hyperparameter;
  /** Default 0.9. */
  readonly beta1?: Hyperparameter;
  /** Default 0.99. */
  readonly beta2?: Hyperparameter;
  /** Decoupled weight decay. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Default false. */
  readonly maximize?: boolean;
}

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms",
 * Algorithm 2): `u = sign(b1 m + (1 - b1) g)`, `p = p (1 - lr wd) - lr u`,
 * `m = b2 m + (1 - b2) g`. Defaults from the paper: learningRate 1e-4,
 * beta1 0.9, beta2 0.99, weightDecay 0.
 *
 * @example
 * ```ts
 * const optimizer = lion({ learningRate: 3e-5, weightDecay: 1 });
 * ```
 */
export function lion(options: LionOptions = {}): Optimizer {
  return createOptimizer(lionDefinition, options);
}

export const lambDefinition = define(
  'lamb',
  'LAMB: Adam with a layer-wise trust ratio (You et al. 2020).',
  {
    learningRate: learningRate(1e-3),
    beta1: beta(0.9, 'decay of the first moment'),
    beta2: beta(0.999, 'decay of the second moment'),
    epsilon: epsilon(1e-6),
    weightDecay: weightDecay(0),
    biasCorrection: { kind: 'boolean', default: true, description: 'bias-correct the moments' },
    maximize: flag('maximize the objective'),
  },
  lambMath,
  (v, o) => ({
    learningRate: n(v, 'learningRate'),
    beta1: n(v, 'beta1'),
    beta2: n(v, 'beta2'),
    epsilon: n(v, 'epsilon'),
    weightDecay: n(v, 'weightDecay'),
    biasCorrection: b(v, 'biasCorrection'),
    maximize: b(v, 'maximize'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link lamb}. */
export interface LambOptions extends CommonOptimizerOptions {
  /** Default 1e-3. */
  readonly learningRate?: Hyperparameter;
  /** Default 0.9. */
  readonly beta1?: Hyperparameter;
  /** Default 0.999. */
  readonly beta2?: Hyperparameter;
  /** Default 1e-6. */
  readonly epsilon?: number;
  /** Weight decay inside the trust-ratio update. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Bias-correct the moments (Algorithm 2 of the paper). Default true. */
  readonly biasCorrection?: boolean;
  /** Default false. */
  readonly maximize?: boolean;
}

/**
 * LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning",
 * Algorithm 2): Adam's direction `r = m̂ / (√v̂ + eps) + wd p`, scaled per
 * parameter tensor by the trust ratio `‖p‖ / ‖r‖` (1 if either is 0):
 * `p -= lr ‖p‖ / ‖r‖ · r`. Defaults: learningRate 1e-3, beta1 0.9, beta2 0.999,
 * epsilon 1e-6, weightDecay 0, biasCorrection true.
 *
 * @example
 * ```ts
 * const optimizer = lamb({ learningRate: 2e-3, weightDecay: 0.01 });
 * ```
 */
export function lamb(options: LambOptions = {}): Optimizer {
  return createOptimizer(lambDefinition, options);
}

/** Every built-in optimizer definition (a constant table, not a registry). */
export const optimizerDefinitions: readonly OptimizerDefinition[] = [
  sgdDefinition,
  adamDefinition,
  adamWDefinition,
  adamaxDefinition,
  nadamDefinition,
  radamDefinition,
  adagradDefinition,
  adadeltaDefinition,
  rmspropDefinition,
  rpropDefinition,
  lionDefinition,
  lambDefinition,
] as OptimizerDefinition[];
