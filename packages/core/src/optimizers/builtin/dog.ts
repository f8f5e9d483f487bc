import type { OptimizerMath } from '../definition.js';
import { createOptimizer, isActive, type CommonOptimizerOptions, type Hyperparameter, type Optimizer } from '../optimizer.js';
import { define, epsilon, learningRate, numberValue, weightDecay } from './options.js';

/** How DoG starts (optax `init_step`): its first distance estimate or its first step size. */
export type DogInitialStep = 'heuristic' | 'distance' | 'learningRate';

/** Resolved DoG hyperparameters for one step. */
export interface DogHyper {
  readonly learningRate: number;
  readonly initialStep: DogInitialStep;
  readonly initialStepValue: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly useWeightDecay: boolean;
}

/** DoG's per-step scalars (from its math's `scalars`). */
export type DogScalar =
  | 'first'
  | 'maxDistance'
  | 'sumSquares'
  | 'initialStepValue'
  | 'epsilon'
  | 'weightDecay'
  | 'negativeLearningRate'
  | 'one';

/** The structural flags of DoG: the part of {@link DogHyper} the step branches on. */
export type DogFlags = Pick<DogHyper, 'initialStep' | 'useWeightDecay'>;

/** DoG's state slot per parameter: the initial parameters it measures the distance from. */
export type DogSlot = 'initialParam';

/**
 * DoG, "distance over gradients" (Ivgi et al. 2023), as optax `contrib.dog`
 * (`add_decayed_weights`, `scale_by_dog`, `-lr`): with `u = g + wd p`, per group (optax:
 * all parameters form one) `r = max(r, ‖p0 - p‖)` and `G = G + ‖u‖²`, then
 * `p = p - lr r / √(G + eps) u`. The first `r` is `value (1 + ‖p0‖)` (`'heuristic'`),
 * `value` (`'distance'`) or 0 with a first step size of `value` (`'learningRate'`).
 * `r` and `G` are computed on the backend within the step and kept as host state.
 */
export const dogMath: OptimizerMath<DogHyper, DogScalar, DogSlot> = {
  slots: () => ['initialParam'],
  init: (ops, param) => ({ initialParam: ops.add(param, ops.scalar(0)) }),
  initHost: (h) => ({ maxDistance: h.initialStep === 'distance' ? Math.fround(h.initialStepValue) : 0, sumSquares: 0, started: 0 }),
  scalars: (h, _step, host) => ({
    values: {
      first: host.started === 1 ? 0 : 1,
      maxDistance: host.maxDistance ?? 0,
      sumSquares: host.sumSquares ?? 0,
      initialStepValue: h.initialStepValue,
      epsilon: h.epsilon,
      weightDecay: h.weightDecay,
      negativeLearningRate: -h.learningRate,
      one: 1,
    },
    host,
  }),
  prepare: ({ ops, s, h, param, grad, slots }) => {
    const u = h.useWeightDecay ? ops.add(grad, ops.mul(param, s.weightDecay)) : grad;
    const travelled = ops.sub(slots.initialParam as typeof param, param);
    return { distance: ops.sum(ops.mul(travelled, travelled)), squares: ops.sum(ops.mul(u, u)), norm: ops.sum(ops.mul(param, param)) };
  },
  share: ({ ops, s, h, totals }) => {
    const { distance, squares, norm } = totals as Record<'distance' | 'squares' | 'norm', typeof s.one>;
    // At the first update the parameters are still the initial ones: the heuristic's ‖p0‖.
    const start = h.initialStep === 'heuristic' ? ops.mul(s.initialStepValue, ops.add(s.one, ops.sqrt(norm))) : s.maxDistance;
    const previous = ops.where(s.first, start, s.maxDistance);
    const maxDistance = ops.maximum(previous, ops.sqrt(distance));
    const sumSquares = ops.add(s.sumSquares, squares);
    const rate = ops.div(maxDistance, ops.sqrt(ops.add(sumSquares, s.epsilon)));
    const stepSize = h.initialStep === 'learningRate' ? ops.where(s.first, s.initialStepValue, rate) : rate;
    return { maxDistance, sumSquares, stepSize };
  },
  update: ({ ops, s, h, param, grad, slots, shared }) => {
    const u = h.useWeightDecay ? ops.add(grad, ops.mul(param, s.weightDecay)) : grad;
    const stepSize = (shared as Record<string, typeof param>).stepSize as typeof param;
    return { param: ops.add(param, ops.mul(ops.mul(u, stepSize), s.negativeLearningRate)), slots: { ...slots } };
  },
  absorb: (_h, _host, totals) => ({ maxDistance: totals.maxDistance as number, sumSquares: totals.sumSquares as number, started: 1 }),
};

export const dogDefinition = define(
  'dog',
  'DoG: SGD whose step size is the distance travelled over the root of the summed squared gradients (optax contrib.dog).',
  {
    learningRate: learningRate(1),
    initialStep: {
      kind: 'enum',
      values: ['heuristic', 'distance', 'learningRate'],
      default: 'heuristic',
      description: "how DoG starts (optax init_step's kind)",
    },
    initialStepValue: { kind: 'number', min: 0, exclusiveMin: true, default: 1e-6, description: "optax init_step's value" },
    epsilon: epsilon(1e-8),
    weightDecay: weightDecay(0),
  },
  dogMath,
  (v, o) => ({
    learningRate: numberValue(v, 'learningRate'),
    initialStep: v.initialStep as DogInitialStep,
    initialStepValue: numberValue(v, 'initialStepValue'),
    epsilon: numberValue(v, 'epsilon'),
    weightDecay: numberValue(v, 'weightDecay'),
    useWeightDecay: isActive(o.weightDecay),
  }),
);

/** Options of {@link dog}. */
export interface DogOptions extends CommonOptimizerOptions {
  /** A factor on DoG's step size (keep 1; a schedule may shape it). Default 1. */
  readonly learningRate?: Hyperparameter;
  /**
   * How DoG starts (optax `init_step`'s kind): `'heuristic'`, a first distance of
   * `initialStepValue (1 + ‖p0‖)`; `'distance'`, of `initialStepValue`; `'learningRate'`,
   * a first step size of `initialStepValue`. Default `'heuristic'`.
   */
  readonly initialStep?: DogInitialStep;
  /** Default 1e-6 (optax). */
  readonly initialStepValue?: number;
  /** Added to the summed squared gradients. Default 1e-8. */
  readonly epsilon?: number;
  /** L2 weight decay added to the gradient first, `u = g + wd p` (optax `add_decayed_weights`). Default 0. */
  readonly weightDecay?: Hyperparameter;
}

/**
 * DoG (Ivgi et al. 2023, "DoG is SGD's Best Friend: A Parameter-Free Dynamic Step Size
 * Schedule"), exactly optax's `optax.contrib.dog`: learning-rate-free SGD whose step
 * size is `r / √(Σ ‖u‖² + eps)`, `r` the largest distance from the initial parameters so
 * far: `p = p - lr r / √(G + eps) (g + wd p)`. The estimates are per parameter group
 * (optax: one group), computed on the backend within the step and kept as host state.
 * Defaults as optax: learningRate 1, initialStep `'heuristic'` with 1e-6, epsilon 1e-8.
 *
 * @example
 * ```ts
 * const optimizer = dog({ weightDecay: 1e-4 });
 * ```
 */
export function dog(options: DogOptions = {}): Optimizer {
  return createOptimizer(dogDefinition, options);
}
