import { fail } from '../../schedules/options.js';
import type { OptimizerMath } from '../definition.js';
import type { Ops } from '../ops.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { matrixOps, newtonSchulz, type NewtonSchulzFirstStep, type NewtonSchulzPrecision, roundToBfloat16 } from './newton-schulz.js';
import { optaxBiasCorrection, optaxMoment, optaxSquareMoment } from './optax-moments.js';
import { beta, booleanValue, define, learningRate, numberValue } from './options.js';
import { torchLerp, torchLerpScalars } from './torch-lerp.js';

/** Whose Muon: optax `contrib.muon` or PyTorch's `torch.optim.Muon` (2.9+). */
export type MuonConvention = 'optax' | 'pytorch';

/** How Muon scales its orthogonalized update by the matrix's shape. */
export type MuonLearningRateAdjustment = 'original' | 'matchRmsAdamW';

/** Which parameters Muon orthogonalizes: 2-D ones (`'shape'`), all of the group (`'muon'`) or none (`'adam'`). */
export type MuonRoute = 'shape' | 'muon' | 'adam';

/** Resolved Muon hyperparameters for one step. */
export interface MuonHyper {
  readonly convention: MuonConvention;
  readonly learningRate: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly useWeightDecay: boolean;
  readonly epsilon: number;
  readonly newtonSchulzSteps: number;
  /** One `[a, b, c]` per iteration (`newtonSchulzSteps` of them). */
  readonly newtonSchulzCoefficients: readonly (readonly [number, number, number])[];
  readonly newtonSchulzPrecision: NewtonSchulzPrecision;
  /** optax `adaptive`: the orthogonalized update times its inner product with the momentum. */
  readonly adaptive: boolean;
  /** optax `preconditioning`: `'frobenius'` (normalize first) or a rescaled first iteration. */
  readonly preconditioning: 'frobenius' | NewtonSchulzFirstStep;
  readonly learningRateAdjustment: MuonLearningRateAdjustment;
  readonly consistentRms: number;
  readonly route: MuonRoute;
  readonly adamLearningRate: number;
  readonly adamBeta1: number;
  readonly adamBeta2: number;
  readonly adamEpsilonRoot: number;
  readonly adamWeightDecay: number;
  readonly useAdamWeightDecay: boolean;
}

/** Muon's per-step scalars (from its math's `scalars`). */
export type MuonScalar =
  | 'momentum'
  | 'oneMinusMomentum'
  | 'biasCorrection'
  | 'nextBiasCorrection'
  | 'bufferLerpSmall'
  | 'bufferLerpCoefficient'
  | 'nesterovLerpSmall'
  | 'nesterovLerpCoefficient'
  | 'decayFactor'
  | 'weightDecay'
  | 'epsilon'
  | 'negativeLearningRate'
  | 'adamBeta1'
  | 'adamOneMinusBeta1'
  | 'adamBeta2'
  | 'adamOneMinusBeta2'
  | 'adamBiasCorrection1'
  | 'adamNextBiasCorrection1'
  | 'adamBiasCorrection2'
  | 'adamEpsilonRoot'
  | 'adamWeightDecay'
  | 'negativeAdamLearningRate';

/** Muon's slots: `momentumBuffer` on the parameters it orthogonalizes, Adam's moments on the others. */
export type MuonSlot = 'momentumBuffer' | 'expAvg' | 'expAvgSq';

/** True when Muon orthogonalizes a parameter of this shape in a group of `h` (errors for a non-matrix routed to it). */
export function muonTakes(h: Pick<MuonHyper, 'route'>, shape: readonly number[]): boolean {
  if (h.route === 'adam') return false;
  const matrix = shape.length === 2;
  if (h.route === 'muon' && !matrix)
    fail(
      'muon options.route',
      `is 'muon' for a parameter of shape [${shape.join(', ')}]: Muon orthogonalizes 2-D parameters only`,
      h.route,
    );
  return matrix;
}

/** The orthogonalized, shape-scaled direction of a matrix `u` (rows x columns). */
function orthogonalize<T>(ops: Ops<T>, s: Readonly<Record<MuonScalar, T>>, h: MuonHyper, u: T, rows: number, columns: number): T {
  const bfloat16 = h.newtonSchulzPrecision === 'bfloat16';
  const round = (v: T): T => (bfloat16 ? roundToBfloat16(ops, v) : v);
  const x = round(u);
  const perIteration = h.newtonSchulzCoefficients.map(([a, b, c]) => [ops.scalar(a), ops.scalar(b), ops.scalar(c)] as const);
  const iteration = {
    ops,
    type: 'muon',
    rows,
    columns,
    coefficients: perIteration[0] as (typeof perIteration)[number],
    steps: h.newtonSchulzSteps,
    perIteration,
    precision: h.newtonSchulzPrecision,
  };
  // optax's aol and schatten rescale within the first iteration instead of normalizing.
  if (h.preconditioning !== 'frobenius') return newtonSchulz({ ...iteration, x, firstStep: h.preconditioning });
  const norm = round(ops.sqrt(ops.sum(ops.mul(x, x))));
  // optax: X / (‖X‖ + eps); PyTorch: X / max(‖X‖, eps).
  const denominator = h.convention === 'optax' ? ops.add(norm, s.epsilon) : round(ops.maximum(norm, s.epsilon));
  return newtonSchulz({ ...iteration, x: round(ops.div(x, denominator)) });
}

/**
 * The factor on the orthogonalized update from the matrix's shape, in float32 as the
 * references compute it: `'original'` is √max(1, fanOut / fanIn), with optax's `x W` layout
 * (rows are inputs, fanIn = rows) and PyTorch's `W x` layout (rows are outputs: √max(1, rows /
 * columns)); `'matchRmsAdamW'` is `consistentRms · √max(rows, columns)` in both.
 */
export function muonShapeScale(
  h: Pick<MuonHyper, 'convention' | 'learningRateAdjustment' | 'consistentRms'>,
  rows: number,
  columns: number,
): number {
  const f = Math.fround;
  if (h.learningRateAdjustment === 'matchRmsAdamW') {
    return h.convention === 'optax'
      ? f(f(Math.sqrt(Math.max(rows, columns))) * f(h.consistentRms))
      : h.consistentRms * Math.sqrt(Math.max(rows, columns));
  }
  return h.convention === 'optax' ? f(Math.sqrt(f(Math.max(1, columns / rows)))) : Math.sqrt(Math.max(1, rows / columns));
}

/**
 * Muon, "MomentUm Orthogonalized by Newton-Schulz" (Jordan et al. 2024). On a matrix
 * parameter (`rows x columns`):
 * - optax `contrib.muon`: `μ = (1 - β) g + β μ`; `u = β μ / (1 - β^(t+1)) + (1 - β) g / (1 - β^t)`
 *   (Nesterov; else `μ / (1 - β^t)`); `O = NS(u / (‖u‖ + eps))` (`preconditioning` `'aol'` or
 *   `'schatten'`: `NS(u)` with a rescaled first iteration; `adaptive`: `⟨u, O⟩ O`); `p = p - lr (s O + wd p)`;
 * - PyTorch `torch.optim.Muon`: `B = lerp(B, g, 1 - μ)`; `u = lerp(g, B, μ)` (Nesterov; else `B`);
 *   `O = NS(u / max(‖u‖, eps))`; `p = (1 - lr wd) p - lr s O`;
 *
 * where NS is {@link newtonSchulz} and `s` is {@link muonShapeScale}. Every other parameter
 * (and every parameter of a group with `route: 'adam'`) is updated by optax's AdamW as optax's
 * Muon does: `m`, `v` as Adam, Nesterov as Muon's, `p = p - lrAdam (m̂ / (√(v̂ + epsRoot) + eps) + wdAdam p)`.
 */
export const muonMath: OptimizerMath<MuonHyper, MuonScalar, MuonSlot> = {
  shaped: true,
  slots: (h, shape) => (muonTakes(h, shape) ? ['momentumBuffer'] : ['expAvg', 'expAvgSq']),
  init: (ops, param, h, shape) =>
    muonTakes(h, shape) ? { momentumBuffer: ops.zerosLike(param) } : { expAvg: ops.zerosLike(param), expAvgSq: ops.zerosLike(param) },
  scalars: (h, step, host) => {
    const buffer = torchLerpScalars(1 - h.momentum);
    const nesterov = torchLerpScalars(h.momentum);
    return {
      values: {
        momentum: h.momentum,
        oneMinusMomentum: 1 - h.momentum,
        biasCorrection: optaxBiasCorrection(h.momentum, step),
        nextBiasCorrection: optaxBiasCorrection(h.momentum, step + 1),
        bufferLerpSmall: buffer.small,
        bufferLerpCoefficient: buffer.coefficient,
        nesterovLerpSmall: nesterov.small,
        nesterovLerpCoefficient: nesterov.coefficient,
        decayFactor: 1 - h.learningRate * h.weightDecay,
        weightDecay: h.weightDecay,
        epsilon: h.epsilon,
        negativeLearningRate: -h.learningRate,
        adamBeta1: h.adamBeta1,
        adamOneMinusBeta1: 1 - h.adamBeta1,
        adamBeta2: h.adamBeta2,
        adamOneMinusBeta2: 1 - h.adamBeta2,
        adamBiasCorrection1: optaxBiasCorrection(h.adamBeta1, step),
        adamNextBiasCorrection1: optaxBiasCorrection(h.adamBeta1, step + 1),
        adamBiasCorrection2: optaxBiasCorrection(h.adamBeta2, step),
        adamEpsilonRoot: h.adamEpsilonRoot,
        adamWeightDecay: h.adamWeightDecay,
        negativeAdamLearningRate: -h.adamLearningRate,
      },
      host,
    };
  },
  update: ({ ops, s, h, param, grad, slots, shape }) => {
    if (!muonTakes(h, shape)) {
      const expAvg = optaxMoment(ops, grad, slots.expAvg as typeof param, s.adamBeta1, s.adamOneMinusBeta1);
      const expAvgSq = optaxSquareMoment(ops, grad, slots.expAvgSq as typeof param, s.adamBeta2, s.adamOneMinusBeta2);
      const first = h.nesterov
        ? ops.add(
            ops.mul(ops.div(expAvg, s.adamNextBiasCorrection1), s.adamBeta1),
            ops.mul(ops.div(grad, s.adamBiasCorrection1), s.adamOneMinusBeta1),
          )
        : ops.div(expAvg, s.adamBiasCorrection1);
      const second = ops.div(expAvgSq, s.adamBiasCorrection2);
      const direction = ops.div(first, ops.add(ops.sqrt(ops.add(second, s.adamEpsilonRoot)), s.epsilon));
      const decayed = h.useAdamWeightDecay ? ops.add(direction, ops.mul(param, s.adamWeightDecay)) : direction;
      return { param: ops.add(param, ops.mul(decayed, s.negativeAdamLearningRate)), slots: { expAvg, expAvgSq } };
    }
    matrixOps(ops, 'muon');
    const [rows, columns] = shape as [number, number];
    const scale = ops.scalar(muonShapeScale(h, rows, columns));
    const previous = slots.momentumBuffer as typeof param;
    if (h.convention === 'optax') {
      const momentumBuffer = optaxMoment(ops, grad, previous, s.momentum, s.oneMinusMomentum);
      const u = h.nesterov
        ? ops.add(
            ops.mul(ops.div(momentumBuffer, s.nextBiasCorrection), s.momentum),
            ops.mul(ops.div(grad, s.biasCorrection), s.oneMinusMomentum),
          )
        : ops.div(momentumBuffer, s.biasCorrection);
      const orthogonal = orthogonalize(ops, s, h, u, rows, columns);
      // adaptive (optax; Pethick et al. 2024): O times the dual norm <u, O>.
      const direction = h.adaptive ? ops.mul(ops.sum(ops.mul(u, orthogonal)), orthogonal) : orthogonal;
      const scaled = ops.mul(direction, scale);
      const decayed = h.useWeightDecay ? ops.add(scaled, ops.mul(param, s.weightDecay)) : scaled;
      return { param: ops.add(param, ops.mul(decayed, s.negativeLearningRate)), slots: { momentumBuffer } };
    }
    const momentumBuffer = torchLerp(ops, previous, grad, s.bufferLerpSmall, s.bufferLerpCoefficient);
    const u = h.nesterov ? torchLerp(ops, grad, momentumBuffer, s.nesterovLerpSmall, s.nesterovLerpCoefficient) : momentumBuffer;
    const orthogonal = orthogonalize(ops, s, h, u, rows, columns);
    const decayed = h.useWeightDecay ? ops.mul(param, s.decayFactor) : param;
    return { param: ops.addScaled(decayed, orthogonal, ops.mul(s.negativeLearningRate, scale)), slots: { momentumBuffer } };
  },
};

const CONVENTION_DEFAULTS = {
  optax: { weightDecay: 0, epsilon: 1e-8, newtonSchulzPrecision: 'float32' },
  pytorch: { weightDecay: 0.1, epsilon: 1e-7, newtonSchulzPrecision: 'bfloat16' },
} as const;

export const muonDefinition = define(
  'muon',
  'Muon: momentum orthogonalized by Newton-Schulz on 2-D parameters, AdamW on the others (optax contrib.muon, torch.optim.Muon).',
  {
    convention: {
      kind: 'enum',
      values: ['optax', 'pytorch'],
      default: 'optax',
      description: "whose Muon: optax contrib.muon or PyTorch's",
    },
    learningRate: learningRate(1e-3),
    momentum: beta(0.95, 'momentum (optax beta)'),
    nesterov: { kind: 'boolean', default: true, description: 'Nesterov momentum' },
    weightDecay: {
      kind: 'hyperparameter',
      min: 0,
      optional: true,
      description: 'weight decay of the Muon parameters (optax 0, PyTorch 0.1)',
    },
    epsilon: { kind: 'number', min: 0, optional: true, description: 'stabilizes the normalization (optax 1e-8, PyTorch 1e-7)' },
    newtonSchulzSteps: {
      kind: 'number',
      integer: true,
      min: 1,
      max: 99,
      optional: true,
      description: 'Newton-Schulz iterations (default 5, or one per triple of newtonSchulzCoefficients)',
    },
    newtonSchulzCoefficients: {
      kind: 'numberList',
      minLength: 3,
      default: [3.4445, -4.775, 2.0315],
      description: 'the quintic iteration coefficients a, b, c (every iteration), or a1, b1, c1, a2, ... (one triple per iteration)',
    },
    newtonSchulzPrecision: {
      kind: 'enum',
      values: ['float32', 'bfloat16'],
      optional: true,
      description: 'precision of the iteration (optax float32, PyTorch bfloat16)',
    },
    adaptive: {
      kind: 'boolean',
      default: false,
      description: "scale the orthogonalized update by its inner product with the momentum (optax adaptive; convention 'optax')",
    },
    preconditioning: {
      kind: 'enum',
      values: ['frobenius', 'aol', 'schatten'],
      default: 'frobenius',
      description: "optax's normalization: divide by the Frobenius norm first, or rescale the first iteration (aol, schatten)",
    },
    learningRateAdjustment: {
      kind: 'enum',
      values: ['original', 'matchRmsAdamW'],
      default: 'original',
      description: "shape scaling: Keller Jordan's √max(1, fanOut/fanIn) or Moonshot's consistentRms √max(rows, columns)",
    },
    consistentRms: {
      kind: 'number',
      min: 0,
      exclusiveMin: true,
      default: 0.2,
      description: "matchRmsAdamW's factor (optax consistent_rms)",
    },
    route: {
      kind: 'enum',
      values: ['shape', 'muon', 'adam'],
      default: 'shape',
      description: 'which parameters Muon orthogonalizes: 2-D ones, all, or none (AdamW), per group',
    },
    adamLearningRate: {
      kind: 'hyperparameter',
      min: 0,
      optional: true,
      description: "the AdamW part's learning rate (default: learningRate)",
    },
    adamBeta1: beta(0.9, "decay of the AdamW part's first moment"),
    adamBeta2: beta(0.999, "decay of the AdamW part's second moment"),
    adamEpsilonRoot: { kind: 'number', min: 0, default: 0, description: "the AdamW part's epsilon under the root" },
    adamWeightDecay: { kind: 'hyperparameter', min: 0, default: 0, description: "the AdamW part's weight decay" },
  },
  muonMath,
  (v, o) => {
    const convention = v.convention as MuonConvention;
    const defaults = CONVENTION_DEFAULTS[convention];
    const weightDecay = v.weightDecay === undefined ? defaults.weightDecay : numberValue(v, 'weightDecay');
    const coefficients = v.newtonSchulzCoefficients as readonly number[];
    const triples = Array.from(
      { length: coefficients.length / 3 },
      (_, i) => coefficients.slice(3 * i, 3 * i + 3) as unknown as readonly [number, number, number],
    );
    const steps = triples.length > 1 ? triples.length : v.newtonSchulzSteps === undefined ? 5 : numberValue(v, 'newtonSchulzSteps');
    return {
      convention,
      learningRate: numberValue(v, 'learningRate'),
      momentum: numberValue(v, 'momentum'),
      nesterov: booleanValue(v, 'nesterov'),
      weightDecay,
      useWeightDecay: o.weightDecay === undefined ? weightDecay !== 0 : isActive(o.weightDecay),
      epsilon: v.epsilon === undefined ? defaults.epsilon : numberValue(v, 'epsilon'),
      newtonSchulzSteps: steps,
      newtonSchulzCoefficients:
        triples.length > 1 ? triples : Array.from({ length: steps }, () => triples[0] as readonly [number, number, number]),
      newtonSchulzPrecision: (v.newtonSchulzPrecision as NewtonSchulzPrecision | undefined) ?? defaults.newtonSchulzPrecision,
      adaptive: booleanValue(v, 'adaptive'),
      preconditioning: v.preconditioning as MuonHyper['preconditioning'],
      learningRateAdjustment: v.learningRateAdjustment as MuonLearningRateAdjustment,
      consistentRms: numberValue(v, 'consistentRms'),
      route: v.route as MuonRoute,
      adamLearningRate: v.adamLearningRate === undefined ? numberValue(v, 'learningRate') : numberValue(v, 'adamLearningRate'),
      adamBeta1: numberValue(v, 'adamBeta1'),
      adamBeta2: numberValue(v, 'adamBeta2'),
      adamEpsilonRoot: numberValue(v, 'adamEpsilonRoot'),
      adamWeightDecay: numberValue(v, 'adamWeightDecay'),
      useAdamWeightDecay: isActive(o.adamWeightDecay),
    };
  },
  (options, path) => {
    if (options.preconditioning !== 'frobenius' && options.convention === 'pytorch')
      fail(
        `${path}.preconditioning`,
        "is optax's (torch.optim.Muon normalizes by the Frobenius norm): use convention 'optax'",
        options.preconditioning,
      );
    if (options.adaptive === true && options.convention === 'pytorch')
      fail(`${path}.adaptive`, "is optax's (torch.optim.Muon has no adaptive scaling): use convention 'optax'", options.adaptive);
    const coefficients = options.newtonSchulzCoefficients;
    if (!Array.isArray(coefficients)) return;
    if (coefficients.length % 3 !== 0 || coefficients.length > 3 * 99)
      fail(`${path}.newtonSchulzCoefficients`, 'must hold three numbers a, b, c, or three per iteration (at most 99)', coefficients);
    const steps = options.newtonSchulzSteps;
    if (coefficients.length > 3 && steps !== undefined && steps !== coefficients.length / 3)
      fail(
        `${path}.newtonSchulzSteps`,
        `must be ${coefficients.length / 3} (or left out) with ${coefficients.length / 3} triples of newtonSchulzCoefficients`,
        steps,
      );
  },
);

/** Options of {@link muon}. */
export interface MuonOptions extends CommonOptimizerOptions {
  /** `'optax'` (`optax.contrib.muon`, default) or `'pytorch'` (`torch.optim.Muon`): see `muonMath`. */
  readonly convention?: MuonConvention;
  /** Default 1e-3. */
  readonly learningRate?: Hyperparameter;
  /** Momentum of the gradient average (optax `beta`, PyTorch `momentum`). Default 0.95. */
  readonly momentum?: Hyperparameter;
  /** Nesterov momentum, for Muon and its AdamW part. Default true. */
  readonly nesterov?: boolean;
  /** Weight decay of the Muon parameters. Default 0 (optax) or 0.1 (PyTorch). */
  readonly weightDecay?: Hyperparameter;
  /** Stabilizes the normalization. Default 1e-8 (optax; also its AdamW part's epsilon) or 1e-7 (PyTorch). */
  readonly epsilon?: number;
  /** Newton-Schulz iterations, 1 to 99. Default 5, or one per triple of `newtonSchulzCoefficients`. */
  readonly newtonSchulzSteps?: number;
  /**
   * The iteration's coefficients `[a, b, c]`, the same every iteration, or one triple per
   * iteration flattened, `[a1, b1, c1, a2, b2, c2, ...]` (optax's `ns_coeffs` of shape
   * `(n, 3)`; then the iteration count is `n` and `newtonSchulzSteps` may be left out). Default
   * `[3.4445, -4.775, 2.0315]`.
   */
  readonly newtonSchulzCoefficients?: readonly number[];
  /** Precision of the iteration. Default `'float32'` (optax) or `'bfloat16'` (PyTorch, to reproduce its numbers). */
  readonly newtonSchulzPrecision?: NewtonSchulzPrecision;
  /**
   * optax's `adaptive` (Pethick et al. 2024): the orthogonalized update `O` times `⟨u, O⟩`, its
   * inner product with the momentum it came from, before the shape scaling. `convention: 'optax'`
   * only. Default false.
   */
  readonly adaptive?: boolean;
  /**
   * optax's `preconditioning`: `'frobenius'` (default) divides by `‖u‖ + eps` first; `'aol'` and
   * `'schatten'` skip that and rescale within the first iteration (see `NewtonSchulzFirstStep`).
   * `convention: 'optax'` only; optax's `'spectral'` (the largest singular value) is not offered.
   */
  readonly preconditioning?: 'frobenius' | NewtonSchulzFirstStep;
  /** Shape scaling (PyTorch `adjust_lr_fn`; optax `consistent_rms`). Default `'original'`. */
  readonly learningRateAdjustment?: MuonLearningRateAdjustment;
  /** The factor of `'matchRmsAdamW'` (optax `consistent_rms`). Default 0.2. */
  readonly consistentRms?: number;
  /** Which parameters Muon orthogonalizes (set per group to send embeddings to AdamW). Default `'shape'`: the 2-D ones. */
  readonly route?: MuonRoute;
  /** The AdamW part's learning rate. Default: `learningRate`. */
  readonly adamLearningRate?: Hyperparameter;
  /** Default 0.9. */
  readonly adamBeta1?: Hyperparameter;
  /** Default 0.999. */
  readonly adamBeta2?: Hyperparameter;
  /** Default 0. */
  readonly adamEpsilonRoot?: number;
  /** Default 0. */
  readonly adamWeightDecay?: Hyperparameter;
}

/**
 * Muon (Jordan et al. 2024, "Muon: An optimizer for hidden layers in neural networks"): the
 * momentum of each 2-D parameter orthogonalized by five quintic Newton-Schulz iterations
 * (`X ← a X + (b A + c A²) X`, `A = X Xᵀ`), scaled by the matrix's shape; the other parameters
 * (biases, and any group with `route: 'adam'`, e.g. embeddings) by AdamW. `convention` picks
 * optax's `contrib.muon` (default: bias-corrected momentum, `‖u‖ + eps`, float32, `x W` layout)
 * or PyTorch's `torch.optim.Muon` (lerp momentum, `max(‖u‖, eps)`, bfloat16, `W x` layout,
 * decoupled decay `p (1 - lr wd)`); formulas at `muonMath`. Backends with flat tensors
 * (the engine) need the parameter shapes (`OptimizerRunner`'s `shapes`).
 *
 * @example
 * ```ts
 * const optimizer = muon({
 *   learningRate: 0.02,
 *   weightDecay: 0.01,
 *   groups: [{ params: ['embedding'], route: 'adam' }],
 * });
 * ```
 */
export function muon(options: MuonOptions = {}): Optimizer {
  return createOptimizer(muonDefinition, options);
}
