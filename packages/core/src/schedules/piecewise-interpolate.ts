import { cosineInterpolate } from './cosine.js';
import { MAX_OPTION_MAGNITUDE, fail } from './options.js';
import { createSchedule, defineSchedule, type Schedule } from './schedule.js';
import { countBoundaries } from './stepwise.js';

/**
 * optax's piecewise interpolation: on `[bounds[i - 1], bounds[i])` (with a
 * bound 0 before the first), from `values[i]` to `values[i + 1]`; the last
 * value from the last bound on. `bounds` are strictly increasing steps, and
 * `values` has one more element than `bounds`.
 */
export function interpolatePieces(
  bounds: readonly number[],
  values: readonly number[],
  interpolateType: 'linear' | 'cosine',
): (step: number) => number {
  const cosine = interpolateType === 'cosine';
  return (t) => {
    const i = countBoundaries(bounds, t, true);
    const from = values[i] as number;
    if (i === bounds.length) return from;
    const start = i === 0 ? 0 : (bounds[i - 1] as number);
    if (t === start) return from; // reached exactly at its boundary
    const pct = (t - start) / ((bounds[i] as number) - start);
    const to = values[i + 1] as number;
    return cosine ? cosineInterpolate(from, to, pct) : (to - from) * pct + from;
  };
}

/** Options of {@link piecewiseInterpolate}. */
export interface PiecewiseInterpolateOptions {
  /** `'linear'` or `'cosine'` (half-cosine) interpolation between boundaries (optax `interpolate_type`). */
  readonly interpolateType: 'linear' | 'cosine';
  /** Value at step 0 (optax `init_value`). */
  readonly initialValue: number;
  /**
   * `{ step: scale }` (optax `boundaries_and_scales`): integer steps >= 0 as
   * keys, scales >= 0 that multiply cumulatively, so the value reached at a
   * step is `initialValue` times the scales of that step and every earlier one.
   * Default `{}` (a constant `initialValue`).
   */
  readonly boundariesAndScales?: Readonly<Record<number, number>>;
}

/** The steps of a validated `boundariesAndScales` (already in increasing order) and the running products from `initialValue`. */
function pieces(initialValue: number, boundariesAndScales: Readonly<Record<string, number>>): { bounds: number[]; values: number[] } {
  const bounds: number[] = [];
  const values = [initialValue];
  for (const [key, scale] of Object.entries(boundariesAndScales)) {
    bounds.push(Number(key));
    values.push((values[values.length - 1] as number) * scale);
  }
  return { bounds, values };
}

type PiecewiseInterpolateResolved = Required<Omit<PiecewiseInterpolateOptions, 'boundariesAndScales'>> & {
  boundariesAndScales: Readonly<Record<string, number>>;
};

export const piecewiseInterpolateDefinition = defineSchedule<PiecewiseInterpolateResolved>({
  type: 'piecewiseInterpolate',
  summary:
    'From each boundary to the next, linear or cosine interpolation between running products initialValue * scale_1 * ... * scale_i, the last one held after the last boundary (optax piecewise_interpolate_schedule).',
  options: {
    interpolateType: { kind: 'enum', values: ['linear', 'cosine'], description: 'interpolation between boundaries' },
    initialValue: { kind: 'number', min: 0, description: 'value at step 0' },
    boundariesAndScales: {
      kind: 'stepRecord',
      min: 0,
      default: {},
      description: '{ step: scale }: scales multiply cumulatively, reached at their step',
    },
  },
  check: (o, path) => {
    // The running products are the values the schedule reaches: they keep the options' magnitude bound.
    const { values } = pieces(o.initialValue, o.boundariesAndScales);
    Object.entries(o.boundariesAndScales).forEach(([key, scale], i) => {
      const reached = values[i + 1] as number;
      if (reached > MAX_OPTION_MAGNITUDE) {
        fail(
          `${path}.boundariesAndScales[${JSON.stringify(key)}]`,
          `must keep the value reached at step ${key} (initialValue times the scales up to it, ${reached}) at most ${MAX_OPTION_MAGNITUDE}`,
          scale,
        );
      }
    });
  },
  build: ({ interpolateType, initialValue, boundariesAndScales }) => {
    const { bounds, values } = pieces(initialValue, boundariesAndScales);
    return { value: interpolatePieces(bounds, values, interpolateType) };
  },
});

/**
 * Piecewise interpolation between scaled values, exactly as optax
 * `piecewise_interpolate_schedule(interpolate_type, init_value, boundaries_and_scales)`:
 * with boundaries `b_1 < ... < b_n` (the keys, sorted) and running products
 * `v_0 = initialValue`, `v_i = v_(i-1) * scale_i`, the value on
 * `[b_(i-1), b_i)` (with `b_0 = 0`) goes from `v_(i-1)` to `v_i`:
 * linear `v_(i-1) + (v_i - v_(i-1)) * p` or cosine
 * `v_i + (v_(i-1) - v_i) * (1 + cos(pi * p)) / 2`, with
 * `p = (t - b_(i-1)) / (b_i - b_(i-1))`; `v_n` from `b_n` on.
 *
 * So `v_i` is reached AT step `b_i`, and the interpolation runs between the
 * accumulated values, not between the scales. A boundary at step 0 applies
 * its scale from step 0; no boundaries give a constant `initialValue`.
 * Scales must be >= 0 (as optax requires); keys are integer steps (JSON
 * object keys are strings: `{ "100": 0.1 }`).
 *
 * @example
 * ```ts
 * const lr = piecewiseInterpolate({ interpolateType: 'linear', initialValue: 1, boundariesAndScales: { 4: 0.1, 8: 0.01 } });
 * lr(2); // 0.55
 * lr(4); // 0.1
 * lr(6); // 0.0505
 * lr(8); // 0.001 (held after)
 * ```
 */
export function piecewiseInterpolate(options: PiecewiseInterpolateOptions): Schedule {
  return createSchedule(piecewiseInterpolateDefinition, options);
}
