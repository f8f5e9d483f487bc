import { MAX_OPTION_MAGNITUDE, childPath, fail, isPlainObject, readOptions, type OptionSpec } from './options.js';
import { createSchedule, defineSchedule, type Schedule, type ScheduleSignal } from './schedule.js';

/**
 * Reads a state object with the option machinery (numbers, ranges, no unknown keys).
 * State is data (observed metrics, sums of squared norms): any finite magnitude.
 */
function readState<S>(specs: Record<string, OptionSpec>, input: unknown, path: string): S {
  if (!isPlainObject(input)) fail(path, 'must be a state object', input);
  return readOptions(specs, input, {
    mode: 'json',
    path,
    readSchedule: (value, at) => fail(at, 'cannot hold a schedule', value),
    anyMagnitude: true,
  }) as S;
}

/** Options of {@link reduceOnPlateau}. */
export interface ReduceOnPlateauOptions {
  /** Value before any reduction (PyTorch: the optimizer's lr; 1 to scale another schedule). */
  readonly initialValue: number;
  /** `'min'`: lower metrics are better (a loss); `'max'`: higher are better (an accuracy). Default `'min'`. */
  readonly mode?: 'min' | 'max';
  /** Multiplier on each reduction, in [0, 1). Default 0.1. */
  readonly factor?: number;
  /** Observations without improvement tolerated before a reduction, an integer >= 0. Default 10. */
  readonly patience?: number;
  /** Minimum change that counts as an improvement (>= 0). Default 1e-4. */
  readonly threshold?: number;
  /** `'rel'`: better than best * (1 -/+ threshold); `'abs'`: better than best -/+ threshold. Default `'rel'`. */
  readonly thresholdMode?: 'rel' | 'abs';
  /** Observations to wait after a reduction before counting again, an integer >= 0. Default 0. */
  readonly cooldown?: number;
  /** Floor of the value (PyTorch `min_lr`). Default 0. */
  readonly minValue?: number;
  /** A reduction smaller than this is skipped (>= 0). Default 1e-8. */
  readonly eps?: number;
}

/** Plain, JSON-safe state of {@link reduceOnPlateau}. */
export interface ReduceOnPlateauState {
  /** The current value. */
  value: number;
  /** Best metric seen so far, `null` before the first observation. */
  best: number | null;
  /** Observations since the last improvement (PyTorch `num_bad_epochs`). */
  badSteps: number;
  /** Observations of cooldown left (PyTorch `cooldown_counter`). */
  cooldownRemaining: number;
}

const plateauStateSpecs: Record<string, OptionSpec> = {
  value: { kind: 'number', min: 0, description: 'the current value' },
  best: { kind: 'number', optional: true, description: 'best metric seen so far (null before the first)' },
  badSteps: { kind: 'number', integer: true, min: 0, description: 'observations since the last improvement' },
  cooldownRemaining: { kind: 'number', integer: true, min: 0, description: 'observations of cooldown left' },
};

export const reduceOnPlateauDefinition = defineSchedule<Required<ReduceOnPlateauOptions>, ReduceOnPlateauState>({
  type: 'reduceOnPlateau',
  summary:
    'value *= factor (floored at minValue) after more than patience observations without improvement, then cooldown (PyTorch ReduceLROnPlateau).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'value before any reduction' },
    mode: { kind: 'enum', values: ['min', 'max'], default: 'min', description: 'whether lower or higher metrics are better' },
    factor: { kind: 'number', min: 0, max: 1, exclusiveMax: true, default: 0.1, description: 'multiplier on each reduction' },
    patience: { kind: 'number', integer: true, min: 0, default: 10, description: 'observations without improvement tolerated' },
    threshold: { kind: 'number', min: 0, default: 1e-4, description: 'minimum change that counts as an improvement' },
    thresholdMode: { kind: 'enum', values: ['rel', 'abs'], default: 'rel', description: 'relative or absolute threshold' },
    cooldown: { kind: 'number', integer: true, min: 0, default: 0, description: 'observations to wait after a reduction' },
    minValue: { kind: 'number', min: 0, default: 0, description: 'floor of the value' },
    eps: { kind: 'number', min: 0, default: 1e-8, description: 'smaller reductions are skipped' },
  },
  state: {
    initial: (o) => ({ value: o.initialValue, best: null, badSteps: 0, cooldownRemaining: 0 }),
    read: (input, path) => {
      // `best: null` means "no observation yet" (JSON has no Infinity).
      const raw = isPlainObject(input) && input.best === null ? { ...input, best: undefined } : input;
      const state = readState<Omit<ReduceOnPlateauState, 'best'> & { best?: number }>(plateauStateSpecs, raw, path);
      // A fixed key order, whatever the input's: the state round-trips through JSON unchanged.
      return { value: state.value, best: state.best ?? null, badSteps: state.badSteps, cooldownRemaining: state.cooldownRemaining };
    },
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['value', 'best', 'badSteps', 'cooldownRemaining'],
      properties: {
        value: { type: 'number', minimum: 0 },
        best: { type: ['number', 'null'] },
        badSteps: { type: 'integer', minimum: 0 },
        cooldownRemaining: { type: 'integer', minimum: 0 },
      },
    },
  },
  build: (o, state) => {
    const { mode, threshold, thresholdMode, patience, cooldown, factor, minValue, eps } = o;
    const isBetter = (metric: number, best: number): boolean => {
      if (mode === 'min') return thresholdMode === 'rel' ? metric < best * (1 - threshold) : metric < best - threshold;
      return thresholdMode === 'rel' ? metric > best * (threshold + 1) : metric > best + threshold;
    };
    return {
      value: () => state.value,
      observe: (signal: ScheduleSignal) => {
        if (signal.metric === undefined) return;
        const metric = signal.metric + 0; // -0 becomes 0, so the state survives JSON unchanged

        // Same order of updates as PyTorch's ReduceLROnPlateau.step.
        if (state.best === null || isBetter(metric, state.best)) {
          state.best = metric;
          state.badSteps = 0;
        } else {
          state.badSteps += 1;
        }
        if (state.cooldownRemaining > 0) {
          state.cooldownRemaining -= 1;
          state.badSteps = 0;
        }
        if (state.badSteps > patience) {
          const reduced = Math.max(state.value * factor, minValue);
          if (state.value - reduced > eps) state.value = reduced;
          state.cooldownRemaining = cooldown;
          state.badSteps = 0;
        }
      },
      getState: () => ({ ...state }),
    };
  },
});

/**
 * Reduce on plateau: multiply the value by `factor` (never below `minValue`)
 * once more than `patience` observations in a row fail to improve on the best
 * metric by `threshold`, then wait `cooldown` observations.
 *
 * Follows PyTorch `ReduceLROnPlateau` option for option and update for update
 * (defaults: `mode = 'min'`, `factor = 0.1`, `patience = 10`,
 * `threshold = 1e-4`, `thresholdMode = 'rel'`, `cooldown = 0`, `minValue = 0`,
 * `eps = 1e-8`). Unlike PyTorch it is a schedule like the others: its state is
 * plain JSON (in `toJSON().state`), and it composes: after a {@link warmup},
 * or in a {@link product} with a cosine to scale it (pytorch issue 68978).
 * Feed it with `schedule.observe({ step, metric })`; a NaN or infinite metric
 * is refused rather than silently poisoning `best`.
 *
 * @example
 * ```ts
 * const lr = reduceOnPlateau({ initialValue: 0.1, patience: 2 });
 * for (const [step, loss] of [1, 1, 1, 1].entries()) lr.observe({ step, metric: loss });
 * lr(4); // 0.01
 * ```
 */
export function reduceOnPlateau(options: ReduceOnPlateauOptions): Schedule {
  return createSchedule(reduceOnPlateauDefinition, options);
}

/** Options of {@link adaGradNorm}. */
export interface AdaGradNormOptions {
  /** The rate scale η (Ward et al. 2019). */
  readonly initialValue: number;
  /**
   * b0 in [1e-150, 1e150] (b0² stays a normal double), with `initialValue / b0` at most 1e280:
   * the accumulator starts at b0². Default 1, so the value starts at `initialValue`.
   */
  readonly initialNorm?: number;
}

/** Plain, JSON-safe state of {@link adaGradNorm}. */
export interface AdaGradNormState {
  /** b0² plus the sum of the squared gradient norms observed so far. */
  accumulator: number;
}

export const adaGradNormDefinition = defineSchedule<Required<AdaGradNormOptions>, AdaGradNormState>({
  type: 'adaGradNorm',
  summary: 'value = initialValue / sqrt(initialNorm^2 + sum of observed squared gradient norms) (AdaGrad-Norm, Ward et al. 2019).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'the rate scale' },
    initialNorm: {
      kind: 'number',
      min: 1e-150,
      max: 1e150,
      default: 1,
      description: 'b0: the accumulator starts at b0^2 (b0 in [1e-150, 1e150], so b0^2 stays a normal double)',
    },
  },
  check: (o, path) => {
    // The value is at most initialValue / initialNorm (the accumulator only grows): like an
    // option, it must stay within the options' magnitude bound.
    const start = o.initialValue / o.initialNorm;
    if (start > MAX_OPTION_MAGNITUDE) {
      fail(
        `${path}.initialNorm`,
        `must keep the starting value initialValue / initialNorm (${start}) at most ${MAX_OPTION_MAGNITUDE}`,
        o.initialNorm,
      );
    }
  },
  state: {
    initial: (o) => ({ accumulator: o.initialNorm ** 2 }),
    read: (input, path, o) => {
      const state = readState<AdaGradNormState>(
        { accumulator: { kind: 'number', min: 0, exclusiveMin: true, description: 'b0^2 plus squared norms' } },
        input,
        path,
      );
      if (state.accumulator < o.initialNorm ** 2) {
        fail(childPath(path, 'accumulator'), `must be >= initialNorm^2 (${o.initialNorm ** 2})`, state.accumulator);
      }
      return state;
    },
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['accumulator'],
      properties: { accumulator: { type: 'number', exclusiveMinimum: 0 } },
    },
  },
  build: ({ initialValue }, state) => ({
    value: () => initialValue / Math.sqrt(state.accumulator),
    observe: (signal: ScheduleSignal) => {
      if (signal.gradientNorm === undefined) return;
      const next = state.accumulator + signal.gradientNorm ** 2;
      if (!Number.isFinite(next)) {
        fail(
          'adaGradNorm.observe(signal).gradientNorm',
          'overflows the accumulator (the sum of squared norms is infinite)',
          signal.gradientNorm,
        );
      }
      state.accumulator = next;
    },
    getState: () => ({ ...state }),
  }),
});

/**
 * AdaGrad-Norm, a gradient-norm adaptive rate (Ward, Wu & Bottou 2019,
 * "AdaGrad stepsizes: sharp convergence over nonconvex landscapes"):
 * `value = initialValue / sqrt(b0² + Σ ||g_j||²)` over the gradient norms
 * observed so far.
 *
 * Observe each step's gradient norm before reading the rate for that step, as
 * in the paper (`b_{j+1}² = b_j² + ||G_j||²`, then `x_{j+1} = x_j - η / b_{j+1} G_j`).
 * Default `initialNorm` (b0) = 1. State is plain JSON.
 *
 * @example
 * ```ts
 * const lr = adaGradNorm({ initialValue: 0.1 });
 * lr.observe({ step: 0, gradientNorm: 3 });
 * lr(0); // 0.1 / sqrt(1 + 9)
 * ```
 */
export function adaGradNorm(options: AdaGradNormOptions): Schedule {
  return createSchedule(adaGradNormDefinition, options);
}
