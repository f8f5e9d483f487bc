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
  /**
   * Power of the half-cosine factor (optax `exponent`), a number >= 0:
   * `minValue + (initialValue - minValue) * ((1 + cos(pi * t / steps)) / 2) ^ exponent`.
   * Default 1; left out of the JSON spec unless given.
   */
  readonly exponent?: number;
}

type CosineAnnealingResolved = Required<Omit<CosineAnnealingOptions, 'exponent'>> & { exponent?: number };

export const cosineAnnealingDefinition = defineSchedule<CosineAnnealingResolved>({
  type: 'cosineAnnealing',
  summary:
    "minValue + (initialValue - minValue) * ((1 + cos(pi * t / steps)) / 2)^exponent; after steps: hold minValue or continue periodically as PyTorch (afterEnd: 'periodic'); optax cosine_decay_schedule.",
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
    exponent: { kind: 'number', min: 0, optional: true, description: 'power of the half-cosine factor (optax exponent; default 1)' },
  },
  build: ({ initialValue, steps, minValue, afterEnd, exponent = 1 }) => {
    const period = 2 * steps;
    const hold = afterEnd === 'hold';
    // Reducing t modulo the period first keeps the angle exact at any step.
    const progress = (t: number): number => (hold ? Math.min(t, steps) : t % period) / steps;
    return {
      value:
        exponent === 1
          ? (t) => cosineInterpolate(initialValue, minValue, progress(t))
          : (t) => minValue + (initialValue - minValue) * ((1 + Math.cos(Math.PI * progress(t))) / 2) ** exponent,
    };
  },
});

/**
 * Cosine annealing: `minValue + (initialValue - minValue) * ((1 + cos(pi * t / steps)) / 2) ^ exponent`
 * (`exponent` 1 by default: the plain half cosine).
 *
 * Follows PyTorch `CosineAnnealingLR` (`T_max` → `steps`, `eta_min` →
 * `minValue`, default 0) up to `steps`. After the last step the value holds at
 * `minValue` by default (optax `cosine_decay_schedule`, Keras `CosineDecay`);
 * PyTorch instead keeps following the cosine, back up to the initial value at
 * `2 * steps`: choose `afterEnd: 'periodic'` for that. PyTorch computes the
 * curve recursively from the previous rate; this closed form is its
 * `_get_closed_form_lr`, equal to the recursion to ~1e-14 relative.
 *
 * optax `cosine_decay_schedule(init_value, decay_steps, alpha, exponent)` is
 * `cosineAnnealing({ initialValue: init_value, steps: decay_steps, minValue: alpha * init_value, exponent })`
 * (optax: `init * ((1 - alpha) * ((1 + cos(pi * min(t, T) / T)) / 2) ^ exponent + alpha)`), and
 * `warmup_cosine_decay_schedule(init, peak, W, D, end, exponent)` is
 * `warmup({ startValue: init, steps: W, schedule: cosineAnnealing({ initialValue: peak, steps: D - W, minValue: end, exponent }) })`
 * (just the `cosineAnnealing` when `W` is 0; optax's `decay_steps` counts the
 * warmup, so `D > W`, as optax requires). One deliberate difference: with
 * `peak_value` 0 optax ignores `end_value` (its `alpha` would be `end / 0`)
 * and stays at 0; this goes from 0 to `minValue`.
 *
 * @example
 * ```ts
 * const lr = cosineAnnealing({ initialValue: 0.1, steps: 100, minValue: 0.001 });
 * lr(50);  // 0.0505
 * lr(500); // 0.001 (held)
 * const squared = cosineAnnealing({ initialValue: 0.1, steps: 100, exponent: 2 });
 * squared(50); // 0.025 (0.1 * 0.5^2)
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

/** Veltkamp's splitter: `SPLITTER * x` cuts a double into two halves of at most 26 significant bits. */
const SPLITTER = 2 ** 27 + 1;

/**
 * The rounding error of `product = a * b` (Dekker): `a * b` is exactly `product + error`.
 * For factors below 1e290 in magnitude (the split must not overflow).
 */
function productError(a: number, b: number, product: number): number {
  const aSplit = SPLITTER * a;
  const aTop = aSplit - (aSplit - a);
  const aBottom = a - aTop;
  const bSplit = SPLITTER * b;
  const bTop = bSplit - (bSplit - b);
  const bBottom = b - bTop;
  return aTop * bTop - product + aTop * bBottom + aBottom * bTop + aBottom * bBottom;
}

/**
 * `(multiplier ^ cycle - 1) / (multiplier - 1)` for multiplier > 1 and an integer cycle >= 0, rounded
 * once or nearly, so `firstPeriod` times it is a cycle start to within an ulp or two. The power is
 * taken in double-double arithmetic (exact products), so nothing cancels in `power - 1` even for
 * multipliers just above 1, and an integer ratio (integer or dyadic multipliers) is exact even
 * where the power itself passes 2^53. Past 2^106 (a start far beyond every step) plain doubles do.
 */
function startRatio(multiplier: number, cycle: number): number {
  const power = multiplier ** cycle;
  if (!(power < 2 ** 106)) return (power - 1) / (multiplier - 1);
  // Square-and-multiply on (high, low) pairs; every power here is below about 2^106, so no split overflows.
  let resultHigh = 1;
  let resultLow = 0;
  let baseHigh = multiplier;
  let baseLow = 0;
  for (let remaining = cycle; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) {
      const product = resultHigh * baseHigh;
      const error = productError(resultHigh, baseHigh, product) + (resultHigh * baseLow + resultLow * baseHigh);
      resultHigh = product + error;
      resultLow = error - (resultHigh - product);
    }
    if (remaining > 1) {
      const square = baseHigh * baseHigh;
      const error = productError(baseHigh, baseHigh, square) + 2 * baseHigh * baseLow;
      baseHigh = square + error;
      baseLow = error - (baseHigh - square);
    }
  }
  // power - 1 as (high, low), keeping what the subtraction rounds off (Knuth's two-sum).
  const high = resultHigh - 1;
  const virtual = high - resultHigh;
  const low = resultHigh - (high - virtual) + (-1 - virtual) + resultLow;
  // Divided by multiplier - 1: the quotient, corrected by the remainder of its rounding.
  const divisor = multiplier - 1;
  const quotient = high / divisor;
  const product = quotient * divisor;
  const remainder = high - product - productError(quotient, divisor, product) + low;
  return quotient + remainder / divisor;
}

/**
 * The first step of cycle `cycle`, a real number: `firstPeriod * (multiplier ^ cycle - 1) / (multiplier - 1)`,
 * or `firstPeriod * cycle` for a multiplier of 1 (PyTorch's `T_0 * (T_mult ** n - 1) / (T_mult - 1)`).
 * A step is in a cycle when it is at or after this start and before the next one's: this one formula
 * decides every boundary, so a step's cycle never depends on how it was found. The ratio comes
 * first, so cycle 1 starts at `firstPeriod` exactly; integer starts with an exact ratio (PyTorch's
 * integer `T_0` and `T_mult`, dyadic multipliers such as 1.5) are exact, other starts within a few
 * ulps, multipliers just above 1 included.
 */
export function cycleStart(cycle: number, firstPeriod: number, multiplier: number): number {
  return firstPeriod * (multiplier === 1 ? cycle : startRatio(multiplier, cycle));
}

/** The length of cycle `cycle`: `firstPeriod * multiplier ^ cycle` (PyTorch `T_i`). */
function cyclePeriod(cycle: number, firstPeriod: number, multiplier: number): number {
  return multiplier === 1 ? firstPeriod : firstPeriod * multiplier ** cycle;
}

/** The cycle containing step `t`, with its start and the next cycle's: `start <= t < next`, both from {@link cycleStart}. */
function findCycle(t: number, firstPeriod: number, multiplier: number): { cycle: number; start: number; next: number } {
  const startOf = (i: number): number => cycleStart(i, firstPeriod, multiplier);
  let cycle =
    multiplier === 1
      ? Math.floor(t / firstPeriod)
      : Math.max(0, Math.floor(Math.log1p((t * (multiplier - 1)) / firstPeriod) / Math.log1p(multiplier - 1)));
  // The logarithm (or the division) can land a cycle off next to a boundary: correct it with the boundaries themselves.
  let start = startOf(cycle);
  for (let fix = 0; fix < 4 && cycle > 0 && start > t; fix += 1) {
    cycle -= 1;
    start = startOf(cycle);
  }
  let next = startOf(cycle + 1);
  for (let fix = 0; fix < 4 && next <= t; fix += 1) {
    cycle += 1;
    start = next;
    next = startOf(cycle + 1);
  }
  if (!(start <= t && t < next)) {
    // Not expected for any options, but bounded: bisect (at most 55 halvings). Cycle 0 starts at 0, and since
    // every cycle lasts at least firstPeriod >= 1 step, cycle 2t + 2 starts after t.
    let low = 0;
    let high = 2 * t + 2;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (startOf(middle) <= t) low = middle;
      else high = middle;
    }
    cycle = low;
    start = startOf(cycle);
    next = startOf(cycle + 1);
  }
  return { cycle, start, next };
}

/**
 * Where step `t` falls in a geometric sequence of periods: cycle index, start, position in it and
 * its length `firstPeriod * multiplier ^ cycle`, with `0 <= position <= period` (the position is
 * capped at the period where, at far steps, the rounded next start lies a little after
 * `start + period`). The cycle is the one whose bounds from {@link cycleStart} contain `t`: the
 * same whichever way it is found. O(1): a logarithm and a bounded number of corrections.
 */
export function locateCycle(
  t: number,
  firstPeriod: number,
  multiplier: number,
): { cycle: number; start: number; position: number; period: number } {
  const { cycle, start } = findCycle(t, firstPeriod, multiplier);
  const period = cyclePeriod(cycle, firstPeriod, multiplier);
  return { cycle, start, position: Math.min(t - start, period), period };
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
    // The cycle of the last step asked for is kept, so consecutive steps skip the logarithm and the powers.
    // A step is taken to be in the kept cycle, or the one after it, by the same bounds findCycle checks
    // (cycleStart of the cycle and of the next): the value is a function of the step alone.
    const describe = (
      cycle: number,
      start: number,
      next: number,
    ): { cycle: number; start: number; next: number; period: number; height: number } => ({
      cycle,
      start,
      next,
      period: cyclePeriod(cycle, firstPeriod, periodMultiplier),
      height: (initialValue - minValue) * peakDecay ** cycle,
    });
    let current = describe(0, 0, cycleStart(1, firstPeriod, periodMultiplier));
    return {
      value: (t) => {
        if (!(t >= current.start && t < current.next)) {
          // Into the next cycle (a run going on), or anywhere else.
          const following = t >= current.next ? cycleStart(current.cycle + 2, firstPeriod, periodMultiplier) : 0;
          if (t < following) {
            current = describe(current.cycle + 1, current.next, following);
          } else {
            const { cycle, start, next } = findCycle(t, firstPeriod, periodMultiplier);
            current = describe(cycle, start, next);
          }
        }
        const position = Math.min(t - current.start, current.period);
        return minValue + (current.height * (1 + Math.cos((Math.PI * position) / current.period))) / 2;
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
 * PyTorch's `step(epoch)` form and Keras's can be off by one cycle; every
 * boundary is decided by one formula, so the value at a step never depends on
 * which steps were evaluated before (a resumed run is exact).
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
