import { fail } from './options.js';
import { createSchedule, defineSchedule, type Schedule } from './schedule.js';

/** Half-cosine interpolation from `from` (progress 0) to `to` (progress 1). */
export function cosineInterpolate(from: number, to: number, progress: number): number {
  return to + ((from - to) * (1 + Math.cos(Math.PI * progress))) / 2;
}

/** Options of {@link cosineAnnealing}. */
export interface CosineAnnealingOptions {
  /** Value at step 0 (PyTorch: the optimizer's lr). */
  readonly initialValue: number;
  /** Steps from `initialValue` to `minValue` (PyTorch `T_max`), an integer >= 1. */
  readonly steps: number;
  /** Floor reached at `steps` (PyTorch `eta_min`). Default 0. */
  readonly minValue?: number;
  /**
   * After `steps`: `'hold'` (default; optax and Keras) keeps `minValue`;
   * `'periodic'` continues the cosine, rising back to `initialValue` at
   * `2 * steps` and so on, which is what PyTorch `CosineAnnealingLR` does.
   */
  readonly afterEnd?: 'hold' | 'periodic';
}

export const cosineAnnealingDefinition = defineSchedule<Required<CosineAnnealingOptions>>({
  type: 'cosineAnnealing',
  summary:
    "minValue + (initialValue - minValue) * (1 + cos(pi * t / steps)) / 2; after steps: hold minValue or continue periodically as PyTorch (afterEnd: 'periodic').",
  options: {
    initialValue: { kind: 'number', min: 0, description: 'value at step 0' },
    steps: { kind: 'number', integer: true, min: 1, description: 'steps from initialValue to minValue' },
    minValue: { kind: 'number', min: 0, default: 0, description: 'floor reached at steps' },
    afterEnd: {
      kind: 'enum',
      values: ['hold', 'periodic'],
      default: 'hold',
      description: "after steps: 'hold' minValue, or 'periodic' as PyTorch",
    },
  },
  build: ({ initialValue, steps, minValue, afterEnd }) => {
    const period = 2 * steps;
    const hold = afterEnd === 'hold';
    return {
      // Reducing t modulo the period first keeps the angle exact at any step.
      value: (t) => cosineInterpolate(initialValue, minValue, (hold ? Math.min(t, steps) : t % period) / steps),
    };
  },
});

/**
 * Cosine annealing: `minValue + (initialValue - minValue) * (1 + cos(pi * t / steps)) / 2`.
 *
 * Follows PyTorch `CosineAnnealingLR` (`T_max` → `steps`, `eta_min` →
 * `minValue`, default 0) up to `steps`. After the last step the value holds at
 * `minValue` by default (optax `cosine_decay_schedule`, Keras `CosineDecay`);
 * PyTorch instead keeps following the cosine, back up to the initial value at
 * `2 * steps`: choose `afterEnd: 'periodic'` for that. PyTorch computes the
 * curve recursively from the previous rate; this closed form is its
 * `_get_closed_form_lr`, equal to the recursion to ~1e-14 relative.
 *
 * @example
 * ```ts
 * const lr = cosineAnnealing({ initialValue: 0.1, steps: 100, minValue: 0.001 });
 * lr(50);  // 0.0505
 * lr(500); // 0.001 (held)
 * ```
 */
export function cosineAnnealing(options: CosineAnnealingOptions): Schedule {
  return createSchedule(cosineAnnealingDefinition, options);
}

/** Options of {@link cosineRestarts}. */
export interface CosineRestartsOptions {
  /** Peak value of the first cycle. */
  readonly initialValue: number;
  /** Length of the first cycle in steps (PyTorch `T_0`, Keras `first_decay_steps`), >= 1. */
  readonly firstPeriod: number;
  /**
   * Each cycle is this many times longer than the previous (PyTorch `T_mult`, Keras `t_mul`):
   * exactly 1, or at least 1 + 1e-9 (closer to 1 the cycle starts cannot be told apart in
   * double precision). Default 1.
   */
  readonly periodMultiplier?: number;
  /** Floor of every cycle (PyTorch `eta_min`; Keras `alpha * initial`). Default 0. */
  readonly minValue?: number;
  /** Each cycle's height above the floor is this times the previous one's (Keras `m_mul`), in [0, 1] (a growing peak would overflow). Default 1. */
  readonly peakDecay?: number;
}

/**
 * Where step `t` falls in a geometric sequence of periods: cycle index, start,
 * position in it (0 <= position < period) and its length. O(1): a logarithm and
 * a bounded number of corrections, whatever the options.
 */
export function locateCycle(
  t: number,
  firstPeriod: number,
  multiplier: number,
): { cycle: number; start: number; position: number; period: number } {
  let cycle: number;
  let start: number;
  let period: number;
  if (multiplier === 1) {
    cycle = Math.floor(t / firstPeriod);
    start = cycle * firstPeriod;
    period = firstPeriod;
  } else {
    const startOf = (i: number): number => (firstPeriod * (multiplier ** i - 1)) / (multiplier - 1);
    cycle = Math.max(0, Math.floor(Math.log1p((t * (multiplier - 1)) / firstPeriod) / Math.log(multiplier)));
    // The logarithm can land a cycle off at a boundary; fix it exactly. Bounded, as everything
    // here: a few corrections always suffice for the options' range, and nothing can hang.
    for (let fix = 0; fix < 4 && cycle > 0 && startOf(cycle) > t; fix += 1) cycle -= 1;
    for (let fix = 0; fix < 4 && startOf(cycle + 1) <= t; fix += 1) cycle += 1;
    start = startOf(cycle);
    period = firstPeriod * multiplier ** cycle;
  }
  // At far steps start and period are rounded separately, and t can land just past
  // start + period (or before start): move to the cycle the position says, so 0 <= position < period.
  for (let fix = 0; fix < 2 && t - start >= period; fix += 1) {
    cycle += 1;
    start += period;
    period *= multiplier;
  }
  for (let fix = 0; fix < 2 && t < start && cycle > 0; fix += 1) {
    cycle -= 1;
    period /= multiplier;
    start -= period;
  }
  return { cycle, start, position: t - start, period };
}

export const cosineRestartsDefinition = defineSchedule<Required<CosineRestartsOptions>>({
  type: 'cosineRestarts',
  summary:
    'SGDR: in cycle i of length firstPeriod * periodMultiplier^i, minValue + (initialValue - minValue) * peakDecay^i * (1 + cos(pi * position / period)) / 2 (PyTorch CosineAnnealingWarmRestarts, Keras CosineDecayRestarts).',
  options: {
    initialValue: { kind: 'number', min: 0, description: 'peak value of the first cycle' },
    firstPeriod: { kind: 'number', min: 1, description: 'length of the first cycle (steps)' },
    periodMultiplier: { kind: 'number', min: 1, default: 1, description: 'growth factor of cycle lengths' },
    minValue: { kind: 'number', min: 0, default: 0, description: 'floor of every cycle' },
    peakDecay: { kind: 'number', min: 0, max: 1, default: 1, description: "factor on each cycle's height above the floor" },
  },
  check: (o, path) => {
    if (o.periodMultiplier !== 1 && o.periodMultiplier < 1 + 1e-9) {
      fail(
        `${path}.periodMultiplier`,
        'must be 1 or at least 1 + 1e-9 (closer to 1, cycle starts are not computable in double precision)',
        o.periodMultiplier,
      );
    }
    if (o.minValue > o.initialValue) {
      fail(`${path}.minValue`, `must be <= initialValue (${o.initialValue})`, o.minValue);
    }
  },
  build: ({ initialValue, firstPeriod, periodMultiplier, minValue, peakDecay }) => {
    // The cycle containing the last step asked for is kept (a memo of a pure function of
    // the options, not a recursion): consecutive steps skip the logarithm and the powers.
    let start = 0;
    let end = firstPeriod;
    let period = firstPeriod;
    let height = initialValue - minValue;
    return {
      value: (t) => {
        if (!(t >= start && t < end)) {
          const located = locateCycle(t, firstPeriod, periodMultiplier);
          start = located.start;
          period = located.period;
          end = start + period;
          height = (initialValue - minValue) * peakDecay ** located.cycle;
        }
        return minValue + (height * (1 + Math.cos((Math.PI * (t - start)) / period))) / 2;
      },
    };
  },
});

/**
 * Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017).
 * Cycle `i` lasts `firstPeriod * periodMultiplier ^ i` steps; within it, at
 * position `p` of a cycle of length `T`:
 * `minValue + (initialValue - minValue) * peakDecay ^ i * (1 + cos(pi * p / T)) / 2`.
 *
 * Follows PyTorch `CosineAnnealingWarmRestarts` (`T_0`, `T_mult`, `eta_min`;
 * defaults `periodMultiplier = 1`, `minValue = 0`) and Keras
 * `CosineDecayRestarts` (`t_mul`, `m_mul` → `peakDecay`, `alpha * initial` →
 * `minValue`; Keras also decays only the height above the floor). Unlike
 * PyTorch, `periodMultiplier` may be fractional (as Keras). The cycle is found
 * in O(1) with a logarithm and corrected exactly at cycle boundaries, where
 * PyTorch's `step(epoch)` form and Keras's can be off by one cycle.
 *
 * @example
 * ```ts
 * const lr = cosineRestarts({ initialValue: 0.1, firstPeriod: 10, periodMultiplier: 2 });
 * lr(10); // 0.1 (restart; the second cycle lasts 20 steps)
 * lr(20); // 0.05
 * ```
 */
export function cosineRestarts(options: CosineRestartsOptions): Schedule {
  return createSchedule(cosineRestartsDefinition, options);
}
