import type { OptimizerMath } from '../definition.js';
import type { Ops } from '../ops.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { matrixOps } from './newton-schulz.js';
import { booleanValue, define, flag, learningRate, numberValue, weightDecay } from './options.js';
import { torchLerp, torchLerpScalars } from './torch-lerp.js';

/** Resolved Adafactor hyperparameters for one step. */
export interface AdafactorHyper {
  readonly learningRate: number;
  readonly beta2Decay: number;
  readonly epsilon1: number;
  readonly epsilon2: number;
  readonly clipThreshold: number;
  readonly weightDecay: number;
  readonly useWeightDecay: boolean;
  readonly maximize: boolean;
}

/** Adafactor's per-step scalars (from its math's `scalars`). */
export type AdafactorScalar =
  | 'lerpSmall'
  | 'lerpCoefficient'
  | 'relativeStep'
  | 'epsilon1'
  | 'epsilon1Squared'
  | 'epsilon2'
  | 'clipThreshold'
  | 'decayFactor'
  | 'one';

/** Adafactor's slots: the row and column factors of a matrix's second moment, or a vector's full one. */
export type AdafactorSlot = 'rowVariance' | 'columnVariance' | 'variance';

/** float32's machine epsilon, 2^-23: PyTorch's default `eps[0]` for float32 parameters. */
const FLOAT32_EPSILON = 2 ** -23;

/** `[batch, rows, columns]` of a parameter that Adafactor factors (2-D and up: over the last two axes), else undefined. */
function factoredDims(shape: readonly number[]): readonly [number, number, number] | undefined {
  if (shape.length < 2) return undefined;
  const batch = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [batch, shape[shape.length - 2] as number, shape[shape.length - 1] as number];
}

/** The mean of squares over one axis as PyTorch computes it: `‖g‖²` (a 2-norm, squared) over the axis' length. */
function meanSquare<T>(ops: Ops<T>, g: T, shape: readonly number[], axis: number): T {
  const { sumAxis } = matrixOps(ops, 'adafactor');
  const norm = ops.sqrt(sumAxis(ops.mul(g, g), shape, axis));
  return ops.div(ops.mul(norm, norm), ops.scalar(shape[axis] as number));
}

/**
 * Adafactor (Shazeer and Stern 2018) exactly as PyTorch's `torch.optim.Adafactor` (2.5+,
 * single-tensor path), at update `t` with `β̂ = 1 - t^beta2Decay`:
 * `ρ = min(lr, 1/√t)`, `α = max(eps2, RMS(p)) ρ`; `p = (1 - lr wd) p`; for a parameter of 2 or
 * more axes, factored over the last two (`m x n`), `R = lerp(R, mean_n(g²), 1 - β̂)`,
 * `C = lerp(C, mean_m(g²), 1 - β̂)`, `V = R Cᵀ / max(mean_m(R), eps1)`; else
 * `V = lerp(V, g², 1 - β̂)`; `U = g / √max(V, eps1²)`, `p = p - α U / max(1, RMS(U) / d)`.
 * Means of squares are squared 2-norms over the length, as PyTorch computes them.
 */
export const adafactorMath: OptimizerMath<AdafactorHyper, AdafactorScalar, AdafactorSlot> = {
  shaped: true,
  slots: (_h, shape) => (factoredDims(shape) ? ['rowVariance', 'columnVariance'] : ['variance']),
  slotShapes: (_h, shape) => {
    if (!factoredDims(shape)) return { variance: shape };
    return { rowVariance: shape.slice(0, -1), columnVariance: [...shape.slice(0, -2), shape[shape.length - 1] as number] };
  },
  init: (ops, param, _h, shape) => {
    const dims = factoredDims(shape);
    if (!dims) return { variance: ops.zerosLike(param) };
    const { sumAxis, reshape } = matrixOps(ops, 'adafactor');
    const zeros = ops.zerosLike(param);
    return {
      rowVariance: reshape(sumAxis(zeros, dims, 2), shape.slice(0, -1)),
      columnVariance: reshape(sumAxis(zeros, dims, 1), [...shape.slice(0, -2), dims[2]]),
    };
  },
  scalars: (h, step, host) => {
    const lerp = torchLerpScalars(step ** h.beta2Decay);
    return {
      values: {
        lerpSmall: lerp.small,
        lerpCoefficient: lerp.coefficient,
        relativeStep: Math.min(h.learningRate, 1 / step ** 0.5),
        epsilon1: h.epsilon1,
        epsilon1Squared: h.epsilon1 * h.epsilon1,
        epsilon2: h.epsilon2,
        clipThreshold: h.clipThreshold,
        decayFactor: 1 - h.learningRate * h.weightDecay,
        one: 1,
      },
      host,
    };
  },
  update: ({ ops, s, h, param, grad, slots, shape }) => {
    const g = h.maximize ? ops.neg(grad) : grad;
    const size = ops.size(param);
    const rootSize = ops.scalar(Math.sqrt(size));
    // α from the parameters before the decay, as PyTorch reads ‖p‖ first.
    const rms = ops.div(ops.sqrt(ops.sum(ops.mul(param, param))), rootSize);
    const stepSize = ops.mul(ops.maximum(s.epsilon2, rms), s.relativeStep);
    const decayed = h.useWeightDecay ? ops.mul(param, s.decayFactor) : param;
    const dims = factoredDims(shape);
    let estimate: typeof param;
    let next: Record<string, typeof param>;
    if (dims) {
      const { matmul, sumAxis, reshape } = matrixOps(ops, 'adafactor');
      const [batch, rows, columns] = dims;
      const rowShape = shape.slice(0, -1);
      const columnShape = [...shape.slice(0, -2), columns];
      // R and C follow the means of g² over the columns (axis 2) and over the rows (axis 1).
      const follow = (slot: AdafactorSlot, axis: number, slotShape: readonly number[]) =>
        torchLerp(ops, slots[slot] as typeof param, reshape(meanSquare(ops, g, dims, axis), slotShape), s.lerpSmall, s.lerpCoefficient);
      const rowVariance = follow('rowVariance', 2, rowShape);
      const columnVariance = follow('columnVariance', 1, columnShape);
      // mean over the rows of R, at least eps1: one number per matrix of the batch.
      const rowMean = ops.maximum(ops.div(sumAxis(rowVariance, [batch, rows], 1), ops.scalar(rows)), s.epsilon1);
      if (batch === 1) {
        estimate = ops.div(matmul(rowVariance, columnVariance, { rows, inner: 1, columns }), rowMean);
      } else {
        // Engine arrays broadcast scalars only: spread each matrix's mean over its rows with a
        // product by ones ([rows x 1] · [1 x 1]), then scale R before the outer product.
        const spread = matmul(ops.fullLike(rowVariance, s.one), rowMean, { batch, rows, inner: 1, columns: 1 });
        const scaledRows = ops.div(reshape(rowVariance, [batch, rows, 1]), spread);
        estimate = matmul(scaledRows, columnVariance, { batch, rows, inner: 1, columns });
      }
      estimate = reshape(estimate, shape);
      next = { rowVariance, columnVariance };
    } else {
      const variance = torchLerp(ops, slots.variance as typeof param, ops.mul(g, g), s.lerpSmall, s.lerpCoefficient);
      estimate = variance;
      next = { variance };
    }
    // PyTorch: V.clamp_(min=eps1²).rsqrt_().mul_(g), and its RMS clipped at d.
    const update = ops.mul(ops.div(s.one, ops.sqrt(ops.maximum(estimate, s.epsilon1Squared))), g);
    const updateRms = ops.div(ops.sqrt(ops.sum(ops.mul(update, update))), ops.mul(rootSize, s.clipThreshold));
    const factor = ops.neg(ops.div(stepSize, ops.maximum(s.one, updateRms)));
    return { param: ops.addScaled(decayed, update, factor), slots: next };
  },
};

export const adafactorDefinition = define(
  'adafactor',
  "Adafactor: Adam's second moment factored into row and column averages, relative step sizes (torch.optim.Adafactor).",
  {
    learningRate: learningRate(1e-2),
    beta2Decay: { kind: 'number', max: 0, default: -0.8, description: 'the exponent of 1 - β̂ = t^beta2Decay' },
    epsilon1: {
      kind: 'number',
      // eps1² must not underflow float32 (2^-148 is its second smallest subnormal) or a zero gradient gives 0 · ∞.
      min: 2 ** -74,
      optional: true,
      description: "floor of the variance estimate's row mean and root (default float32's epsilon, 2^-23)",
    },
    epsilon2: { kind: 'number', min: 0, default: 1e-3, description: 'floor of the parameter RMS in the step size' },
    clipThreshold: { kind: 'number', min: 1, default: 1, description: 'the update RMS above which it is scaled down (d)' },
    weightDecay: weightDecay(0),
    maximize: flag('maximize the objective'),
  },
  adafactorMath,
  (v, o) => ({
    learningRate: numberValue(v, 'learningRate'),
    beta2Decay: numberValue(v, 'beta2Decay'),
    epsilon1: v.epsilon1 === undefined ? FLOAT32_EPSILON : numberValue(v, 'epsilon1'),
    epsilon2: numberValue(v, 'epsilon2'),
    clipThreshold: numberValue(v, 'clipThreshold'),
    weightDecay: numberValue(v, 'weightDecay'),
    useWeightDecay: isActive(o.weightDecay),
    maximize: booleanValue(v, 'maximize'),
  }),
);

/** Options of {@link adafactor}. */
export interface AdafactorOptions extends CommonOptimizerOptions {
  /** The largest relative step size `ρ = min(lr, 1/√t)`, and the decay's rate. Default 1e-2. */
  readonly learningRate?: Hyperparameter;
  /** `1 - β̂ = t^beta2Decay`, at most 0. Default -0.8. */
  readonly beta2Decay?: number;
  /**
   * PyTorch `eps[0]`, at least 2^-74 ≈ 5.3e-23 so that `eps1²` does not underflow float32
   * (PyTorch also takes 0 and tinier values, such as Hugging Face's 1e-30, which turn a zero
   * gradient into NaN; checked against torch 2.6 with `eps1² = 2^-148`, a subnormal, and zero
   * gradients on every backend).
   * Default float32's epsilon, 2^-23 (PyTorch's `None`).
   */
  readonly epsilon1?: number;
  /** PyTorch `eps[1]`. Default 1e-3. */
  readonly epsilon2?: number;
  /** PyTorch `d`, at least 1. Default 1. */
  readonly clipThreshold?: number;
  /** Decoupled, `p (1 - lr wd)`. Default 0. */
  readonly weightDecay?: Hyperparameter;
  /** Default false. */
  readonly maximize?: boolean;
}

/**
 * Adafactor (Shazeer and Stern 2018, "Adafactor: Adaptive Learning Rates with Sublinear
 * Memory Cost") exactly as PyTorch's `torch.optim.Adafactor`: a matrix keeps one second-moment
 * average per row and per column instead of one per element (factored over the last two
 * axes); the step is relative to the parameter's RMS and its update RMS is clipped at
 * `clipThreshold`. Formula at `adafactorMath`. Defaults as PyTorch: learningRate 1e-2,
 * beta2Decay -0.8, epsilon1 2^-23, epsilon2 1e-3, clipThreshold 1, weightDecay 0. Backends
 * with flat tensors (the engine) need the parameter shapes (`OptimizerRunner`'s `shapes`).
 *
 * @example
 * ```ts
 * const optimizer = adafactor({ learningRate: 0.02, weightDecay: 0.01 });
 * ```
 */
export function adafactor(options: AdafactorOptions = {}): Optimizer {
  return createOptimizer(adafactorDefinition, options);
}
