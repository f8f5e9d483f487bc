import { MAX_OPTION_MAGNITUDE, fail } from './options.js';
import { cosineInterpolate } from './cosine.js';
import { interpolatePieces } from './piecewise-interpolate.js';
import { createSchedule, defineSchedule, type Schedule } from './schedule.js';

interface Phase {
  readonly endStep: number;
  readonly from: number;
  readonly to: number;
}

/** Shared phase options of {@link oneCycle} and {@link oneCycleMomentum}. */
export interface OneCyclePhaseOptions {
  /** Total steps of the cycle (PyTorch `total_steps`, or `epochs * steps_per_epoch`), an integer >= 2. */
  readonly totalSteps: number;
  /** Fraction of the cycle spent rising, in (0, 1). Default 0.3. */
  readonly pctStart?: number;
  /** `'cos'` or `'linear'` interpolation within a phase. Default `'cos'`. */
  readonly annealStrategy?: 'cos' | 'linear';
  /** Three phases (up, back down to the start, then down to the end) instead of two. Default false. */
  readonly threePhase?: boolean;
}

const phaseOptions = {
  totalSteps: { kind: 'number', integer: true, min: 2, description: 'total steps of the cycle' },
  pctStart: {
    kind: 'number',
    min: 0,
    exclusiveMin: true,
    max: 1,
    exclusiveMax: true,
    default: 0.3,
    description: 'fraction of the cycle spent rising',
  },
  annealStrategy: { kind: 'enum', values: ['cos', 'linear'], default: 'cos', description: 'interpolation within a phase' },
  threePhase: { kind: 'boolean', default: false, description: 'three phases instead of two' },
} as const;

/** PyTorch's phase boundaries: each phase ends at a (possibly fractional) step. */
function phaseEnds(totalSteps: number, pctStart: number, threePhase: boolean): number[] {
  const up = pctStart * totalSteps - 1;
  return threePhase ? [up, 2 * pctStart * totalSteps - 2, totalSteps - 1] : [up, totalSteps - 1];
}

function checkPhases(o: Required<OneCyclePhaseOptions>, path: string): void {
  const ends = phaseEnds(o.totalSteps, o.pctStart, o.threePhase);
  let start = 0;
  for (const end of ends) {
    if (!(end > start)) {
      fail(
        `${path}.pctStart`,
        `leaves an empty phase with totalSteps = ${o.totalSteps}${o.threePhase ? ' and threePhase' : ''} (phase ends at steps ${ends.join(', ')}; each must be after the previous, the first after 0)`,
        o.pctStart,
      );
    }
    start = end;
  }
}

/** The piecewise interpolation of PyTorch's OneCycleLR.get_lr, held at the end after the last step. */
function phasedValue(phases: readonly Phase[], strategy: 'cos' | 'linear', totalSteps: number): (t: number) => number {
  const last = phases.length - 1;
  return (step) => {
    const t = Math.min(step, totalSteps - 1);
    let start = 0;
    for (let i = 0; i <= last; i += 1) {
      const phase = phases[i] as Phase;
      if (t <= phase.endStep || i === last) {
        const pct = (t - start) / (phase.endStep - start);
        return strategy === 'cos' ? cosineInterpolate(phase.from, phase.to, pct) : (phase.to - phase.from) * pct + phase.from;
      }
      start = phase.endStep;
    }
    return phases[last]?.to as number;
  };
}

/** Options of {@link oneCycle}. */
export interface OneCycleOptions extends OneCyclePhaseOptions {
  /** Peak value (PyTorch `max_lr`). */
  readonly maxValue: number;
  /** Start value is `maxValue / divFactor` (> 0; the start value must be at most 1e280). Default 25. */
  readonly divFactor?: number;
  /** End value is `maxValue / divFactor / finalDivFactor` (> 0; the end value must be at most 1e280). Default 1e4. */
  readonly finalDivFactor?: number;
}

export const oneCycleDefinition = defineSchedule<Required<OneCycleOptions>>({
  type: 'oneCycle',
  summary:
    '1cycle (Smith & Topin 2018): maxValue/divFactor up to maxValue over pctStart of totalSteps, then down to maxValue/divFactor/finalDivFactor (PyTorch OneCycleLR).',
  options: {
    maxValue: { kind: 'number', min: 0, description: 'peak value' },
    ...phaseOptions,
    divFactor: { kind: 'number', min: 0, exclusiveMin: true, default: 25, description: 'start = maxValue / divFactor' },
    finalDivFactor: {
      kind: 'number',
      min: 0,
      exclusiveMin: true,
      default: 1e4,
      description: 'end = start / finalDivFactor',
    },
  },
  check: (o, path) => {
    checkPhases(o, path);
    // The start and end values are options in all but name: they keep the options' magnitude
    // bound, so the interpolation between them stays finite (a tiny divFactor would overflow).
    const initial = o.maxValue / o.divFactor;
    if (initial > MAX_OPTION_MAGNITUDE) {
      fail(`${path}.divFactor`, `must keep the start value maxValue / divFactor (${initial}) at most ${MAX_OPTION_MAGNITUDE}`, o.divFactor);
    }
    const end = initial / o.finalDivFactor;
    if (end > MAX_OPTION_MAGNITUDE) {
      fail(
        `${path}.finalDivFactor`,
        `must keep the end value maxValue / divFactor / finalDivFactor (${end}) at most ${MAX_OPTION_MAGNITUDE}`,
        o.finalDivFactor,
      );
    }
  },
  build: ({ maxValue, totalSteps, pctStart, annealStrategy, threePhase, divFactor, finalDivFactor }) => {
    const initial = maxValue / divFactor;
    const minimum = initial / finalDivFactor;
    const ends = phaseEnds(totalSteps, pctStart, threePhase);
    const phases: Phase[] = threePhase
      ? [
          { endStep: ends[0] as number, from: initial, to: maxValue },
          { endStep: ends[1] as number, from: maxValue, to: initial },
          { endStep: ends[2] as number, from: initial, to: minimum },
        ]
      : [
          { endStep: ends[0] as number, from: initial, to: maxValue },
          { endStep: ends[1] as number, from: maxValue, to: minimum },
        ];
    return { value: phasedValue(phases, annealStrategy, totalSteps) };
  },
});

/**
 * The 1cycle policy (Smith & Topin 2018, "Super-Convergence"), exactly as
 * PyTorch `OneCycleLR`: from `maxValue / divFactor` up to `maxValue` in the
 * first phase (ending at step `pctStart * totalSteps - 1`), then down to
 * `maxValue / divFactor / finalDivFactor` at step `totalSteps - 1`; with
 * `threePhase`, back down to the start value at `2 * pctStart * totalSteps - 2`
 * and then to the end value. Interpolation is half-cosine (`'cos'`) or linear.
 *
 * Defaults as PyTorch: `pctStart = 0.3`, `annealStrategy = 'cos'`,
 * `divFactor = 25`, `finalDivFactor = 1e4`, `threePhase = false`. PyTorch
 * raises after `totalSteps` steps; here the end value holds from
 * `totalSteps - 1` on. Options that leave a phase empty (which make PyTorch
 * divide by zero) are refused.
 *
 * @example
 * ```ts
 * const lr = oneCycle({ maxValue: 0.1, totalSteps: 1000 });
 * lr(0);   // 0.004
 * lr(299); // 0.1
 * lr(999); // 4e-7
 * ```
 */
export function oneCycle(options: OneCycleOptions): Schedule {
  return createSchedule(oneCycleDefinition, options);
}

/** Options of {@link oneCycleMomentum}. */
export interface OneCycleMomentumOptions extends OneCyclePhaseOptions {
  /** Lowest momentum, reached at the learning rate's peak (PyTorch `base_momentum`). Default 0.85. */
  readonly baseMomentum?: number;
  /** Highest momentum, at the start and the end (PyTorch `max_momentum`). Default 0.95. */
  readonly maxMomentum?: number;
}

export const oneCycleMomentumDefinition = defineSchedule<Required<OneCycleMomentumOptions>>({
  type: 'oneCycleMomentum',
  summary:
    "The momentum that goes with oneCycle: maxMomentum down to baseMomentum while the rate rises, back up after (PyTorch OneCycleLR's cycle_momentum).",
  options: {
    ...phaseOptions,
    baseMomentum: { kind: 'number', min: 0, default: 0.85, description: 'momentum at the rate peak' },
    maxMomentum: { kind: 'number', min: 0, default: 0.95, description: 'momentum at the start and the end' },
  },
  check: checkPhases,
  build: ({ totalSteps, pctStart, annealStrategy, threePhase, baseMomentum, maxMomentum }) => {
    const ends = phaseEnds(totalSteps, pctStart, threePhase);
    const phases: Phase[] = threePhase
      ? [
          { endStep: ends[0] as number, from: maxMomentum, to: baseMomentum },
          { endStep: ends[1] as number, from: baseMomentum, to: maxMomentum },
          { endStep: ends[2] as number, from: maxMomentum, to: maxMomentum },
        ]
      : [
          { endStep: ends[0] as number, from: maxMomentum, to: baseMomentum },
          { endStep: ends[1] as number, from: baseMomentum, to: maxMomentum },
        ];
    return { value: phasedValue(phases, annealStrategy, totalSteps) };
  },
});

/**
 * The momentum (or Adam `beta1`) schedule that pairs with {@link oneCycle}:
 * `maxMomentum` down to `baseMomentum` in the rising phase, back to
 * `maxMomentum` after (three-phase: back up in phase two, flat in phase
 * three), with the same phase boundaries and interpolation.
 *
 * Follows PyTorch `OneCycleLR(cycle_momentum=True)` (defaults:
 * `baseMomentum = 0.85`, `maxMomentum = 0.95`).
 *
 * @example
 * ```ts
 * const momentum = oneCycleMomentum({ totalSteps: 1000 });
 * momentum(0);   // 0.95
 * momentum(299); // 0.85
 * ```
 */
export function oneCycleMomentum(options: OneCycleMomentumOptions): Schedule {
  return createSchedule(oneCycleMomentumDefinition, options);
}

/** Options of {@link cosineOnecycle} (and, with `pctFinal`, of {@link linearOnecycle}): optax's one-cycle convention. */
export interface CosineOnecycleOptions {
  /** Steps of the cycle (optax `transition_steps`), an integer >= 1: the end value is reached AT this step and held after. */
  readonly transitionSteps: number;
  /** Peak value (optax `peak_value`), reached at step `floor(pctStart * transitionSteps)`. */
  readonly peakValue: number;
  /** Fraction of the cycle spent rising, in [0, 1) (0: start at the peak). Default 0.3. */
  readonly pctStart?: number;
  /** Start value is `peakValue / divFactor` (> 0; the start value must be at most 1e280). Default 25. */
  readonly divFactor?: number;
  /** End value is `peakValue / divFactor / finalDivFactor` (> 0; the end value must be at most 1e280). Default 1e4. */
  readonly finalDivFactor?: number;
}

const optaxOnecycleOptions = {
  transitionSteps: { kind: 'number', integer: true, min: 1, description: 'steps of the cycle (the end value is reached at this step)' },
  peakValue: { kind: 'number', min: 0, description: 'peak value' },
  pctStart: {
    kind: 'number',
    min: 0,
    max: 1,
    exclusiveMax: true,
    default: 0.3,
    description: 'fraction of the cycle spent rising',
  },
  divFactor: { kind: 'number', min: 0, exclusiveMin: true, default: 25, description: 'start = peakValue / divFactor' },
  finalDivFactor: { kind: 'number', min: 0, exclusiveMin: true, default: 1e4, description: 'end = start / finalDivFactor' },
} as const;

/** Resolved options of either optax one-cycle (`pctFinal` only in the linear one). */
type OptaxOnecycleResolved = Required<CosineOnecycleOptions> & { readonly pctFinal?: number };

/** optax's start and end values, refused past the options' magnitude bound (a tiny divFactor would overflow). */
function optaxEnds(o: OptaxOnecycleResolved, path: string): { start: number; end: number } {
  const start = o.peakValue / o.divFactor;
  if (start > MAX_OPTION_MAGNITUDE) {
    fail(`${path}.divFactor`, `must keep the start value peakValue / divFactor (${start}) at most ${MAX_OPTION_MAGNITUDE}`, o.divFactor);
  }
  const end = start / o.finalDivFactor;
  if (end > MAX_OPTION_MAGNITUDE) {
    fail(
      `${path}.finalDivFactor`,
      `must keep the end value peakValue / divFactor / finalDivFactor (${end}) at most ${MAX_OPTION_MAGNITUDE}`,
      o.finalDivFactor,
    );
  }
  return { start, end };
}

/**
 * optax's boundary steps `int(fraction * transitionSteps)` (Python's `int` truncates), each
 * after the one before (the first may be 0) and before `transitionSteps`: optax keys its
 * phases by these steps in one dict, so two equal steps would silently drop a phase.
 */
function optaxBounds(o: OptaxOnecycleResolved, keys: readonly ('pctStart' | 'pctFinal')[], path: string): number[] {
  const bounds: number[] = [];
  let previous = -1;
  for (const key of keys) {
    const fraction = o[key] as number;
    const step = Math.floor(fraction * o.transitionSteps);
    if (!(step > previous && step < o.transitionSteps)) {
      fail(
        `${path}.${key}`,
        `puts its boundary floor(${key} * transitionSteps) = ${step} ${step > previous ? `at the end of the cycle (${o.transitionSteps})` : `at or before the previous one (${previous})`}, which leaves an empty phase`,
        fraction,
      );
    }
    bounds.push(step);
    previous = step;
  }
  bounds.push(o.transitionSteps);
  return bounds;
}

/** The value function of an optax one-cycle: `values` reached at the boundaries of `keys` and at `transitionSteps`. */
function optaxOnecycle(
  o: OptaxOnecycleResolved,
  keys: readonly ('pctStart' | 'pctFinal')[],
  path: string,
  interpolateType: 'linear' | 'cosine',
): (step: number) => number {
  const { start, end } = optaxEnds(o, path);
  const bounds = optaxBounds(o, keys, path);
  const values = interpolateType === 'cosine' ? [start, o.peakValue, end] : [start, o.peakValue, start, end];
  return interpolatePieces(bounds, values, interpolateType);
}

export const cosineOnecycleDefinition = defineSchedule<Required<CosineOnecycleOptions>>({
  type: 'cosineOnecycle',
  summary:
    'optax cosine_onecycle_schedule: cosine from peakValue/divFactor up to peakValue at step floor(pctStart * transitionSteps), then down to peakValue/divFactor/finalDivFactor at transitionSteps, held after.',
  options: optaxOnecycleOptions,
  check: (o, path) => void optaxOnecycle(o, ['pctStart'], path, 'cosine'),
  build: (o) => ({ value: optaxOnecycle(o, ['pctStart'], '', 'cosine') }),
});

/**
 * The 1cycle policy in optax's convention, as optax `cosine_onecycle_schedule(transition_steps,
 * peak_value, pct_start, div_factor, final_div_factor)`: half-cosine from
 * `peakValue / divFactor` at step 0 up to `peakValue` at step
 * `a = floor(pctStart * transitionSteps)`, then half-cosine down to
 * `peakValue / divFactor / finalDivFactor` at step `transitionSteps`, held
 * after. With `T = transitionSteps`, for `a <= t < T`:
 * `end + (peakValue - end) * (1 + cos(pi * (t - a) / (T - a))) / 2`.
 *
 * Defaults as optax: `pctStart = 0.3`, `divFactor = 25`, `finalDivFactor = 1e4`.
 *
 * Differs from PyTorch `OneCycleLR` ({@link oneCycle}), which has the same
 * start, peak and end values: PyTorch peaks at the fractional step
 * `pctStart * totalSteps - 1` and reaches the end at `totalSteps - 1`; optax
 * peaks at the whole step `floor(pctStart * T)` and reaches the end at `T`, so
 * with `totalSteps = T` and `pctStart * T` a whole number, optax rises over
 * one step more and then falls exactly as PyTorch does, one step later. Options
 * whose peak step is the end step (which makes optax drop the rising phase)
 * are refused.
 *
 * @example
 * ```ts
 * const lr = cosineOnecycle({ transitionSteps: 1000, peakValue: 0.1 });
 * lr(0);    // 0.004
 * lr(300);  // 0.1
 * lr(1000); // 4e-7 (held after)
 * ```
 */
export function cosineOnecycle(options: CosineOnecycleOptions): Schedule {
  return createSchedule(cosineOnecycleDefinition, options);
}

/** Options of {@link linearOnecycle}. */
export interface LinearOnecycleOptions extends CosineOnecycleOptions {
  /** End of the second phase (back at the start value) as a fraction of the cycle, in (0, 1), after `pctStart`. Default 0.85. */
  readonly pctFinal?: number;
}

export const linearOnecycleDefinition = defineSchedule<Required<LinearOnecycleOptions>>({
  type: 'linearOnecycle',
  summary:
    'optax linear_onecycle_schedule: linear from peakValue/divFactor up to peakValue at floor(pctStart * transitionSteps), back down to peakValue/divFactor at floor(pctFinal * transitionSteps), then to peakValue/divFactor/finalDivFactor at transitionSteps, held after.',
  options: {
    ...optaxOnecycleOptions,
    pctFinal: {
      kind: 'number',
      min: 0,
      exclusiveMin: true,
      max: 1,
      exclusiveMax: true,
      default: 0.85,
      description: 'fraction of the cycle at the end of the second phase',
    },
  },
  check: (o, path) => void optaxOnecycle(o, ['pctStart', 'pctFinal'], path, 'linear'),
  build: (o) => ({ value: optaxOnecycle(o, ['pctStart', 'pctFinal'], '', 'linear') }),
});

/**
 * The three-phase linear 1cycle in optax's convention, as optax
 * `linear_onecycle_schedule(transition_steps, peak_value, pct_start, pct_final, div_factor, final_div_factor)`:
 * linear from `start = peakValue / divFactor` at step 0 up to `peakValue` at
 * step `floor(pctStart * T)`, back down to `start` at `floor(pctFinal * T)`,
 * then down to `start / finalDivFactor` at `T = transitionSteps`, held after.
 *
 * Defaults as optax: `pctStart = 0.3`, `pctFinal = 0.85`, `divFactor = 25`,
 * `finalDivFactor = 1e4`.
 *
 * Differs from PyTorch `OneCycleLR(anneal_strategy='linear', three_phase=True)`
 * ({@link oneCycle}): PyTorch's phases end at `pctStart * totalSteps - 1`,
 * `2 * pctStart * totalSteps - 2` (a symmetric second phase) and
 * `totalSteps - 1`; optax's at the whole steps `floor(pctStart * T)`,
 * `floor(pctFinal * T)` (a free second phase) and `T`. Options that make two
 * boundaries coincide (which makes optax drop a phase) are refused.
 *
 * @example
 * ```ts
 * const lr = linearOnecycle({ transitionSteps: 100, peakValue: 0.1 });
 * lr(0);   // 0.004
 * lr(30);  // 0.1
 * lr(85);  // 0.004
 * lr(100); // 4e-7 (held after)
 * ```
 */
export function linearOnecycle(options: LinearOnecycleOptions): Schedule {
  return createSchedule(linearOnecycleDefinition, options);
}
