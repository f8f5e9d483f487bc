import { MAX_OPTION_MAGNITUDE, fail } from './options.js';
import { cosineInterpolate } from './cosine.js';
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
