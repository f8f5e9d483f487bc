import { cosineInterpolate } from './cosine.js';
import { createSchedule, defineSchedule, type Schedule } from './schedule.js';

/** Options of {@link warmupStableDecay}. */
export interface WarmupStableDecayOptions {
  /** Value of the stable phase. */
  readonly peakValue: number;
  /** Linear warmup length, an integer >= 0. */
  readonly warmupSteps: number;
  /** Stable phase length, an integer >= 0. */
  readonly stableSteps: number;
  /** Decay phase length, an integer >= 1. */
  readonly decaySteps: number;
  /** Value at step 0 (start of the warmup). Default 0. */
  readonly initialValue?: number;
  /** Value at the end of the decay, held after. Default 0. */
  readonly minValue?: number;
  /** Decay shape: `'linear'`, `'cosine'` or `'sqrt'` (1 - sqrt(progress), as MiniCPM). Default `'linear'`. */
  readonly decayShape?: 'linear' | 'cosine' | 'sqrt';
}

export const warmupStableDecayDefinition = defineSchedule<Required<WarmupStableDecayOptions>>({
  type: 'warmupStableDecay',
  summary:
    'WSD: linear warmup initialValue -> peakValue, stable at peakValue, then decay to minValue (linear, cosine or 1 - sqrt) and hold (Hugging Face get_wsd_schedule).',
  options: {
    peakValue: { kind: 'number', min: 0, description: 'value of the stable phase' },
    warmupSteps: { kind: 'number', integer: true, min: 0, description: 'linear warmup length' },
    stableSteps: { kind: 'number', integer: true, min: 0, description: 'stable phase length' },
    decaySteps: { kind: 'number', integer: true, min: 1, description: 'decay phase length' },
    initialValue: { kind: 'number', min: 0, default: 0, description: 'value at step 0' },
    minValue: { kind: 'number', min: 0, default: 0, description: 'value at the end of the decay' },
    decayShape: {
      kind: 'enum',
      values: ['linear', 'cosine', 'sqrt'],
      default: 'linear',
      description: 'shape of the decay',
    },
  },
  build: ({ peakValue, warmupSteps, stableSteps, decaySteps, initialValue, minValue, decayShape }) => {
    const decayStart = warmupSteps + stableSteps;
    return {
      value: (t) => {
        if (t < warmupSteps) return initialValue + ((peakValue - initialValue) * t) / warmupSteps;
        if (t < decayStart) return peakValue;
        const progress = Math.min(t - decayStart, decaySteps) / decaySteps;
        if (decayShape === 'cosine') return cosineInterpolate(peakValue, minValue, progress);
        const remaining = decayShape === 'linear' ? 1 - progress : 1 - Math.sqrt(progress);
        return minValue + (peakValue - minValue) * remaining;
      },
    };
  },
});

/**
 * Warmup-stable-decay (WSD, "trapezoidal"; Hu et al. 2024, MiniCPM):
 * linear from `initialValue` to `peakValue` over `warmupSteps`, `peakValue`
 * for `stableSteps`, then down to `minValue` over `decaySteps` following the
 * decay shape (`linear`: `1 - p`; `cosine`: `(1 + cos(pi p)) / 2`; `sqrt`:
 * `1 - sqrt(p)`), and `minValue` after.
 *
 * Follows Hugging Face `get_wsd_schedule` (`min_lr_ratio * peak` → `minValue`,
 * `decay_type` → `decayShape`; HF's `cosine` is this with `num_cycles = 0.5`).
 * Defaults: `initialValue = 0`, `minValue = 0`, `decayShape = 'linear'`.
 *
 * @example
 * ```ts
 * const lr = warmupStableDecay({ peakValue: 1e-3, warmupSteps: 100, stableSteps: 800, decaySteps: 100 });
 * lr(50);   // 0.0005
 * lr(500);  // 0.001
 * lr(950);  // 0.0005
 * ```
 */
export function warmupStableDecay(options: WarmupStableDecayOptions): Schedule {
  return createSchedule(warmupStableDecayDefinition, options);
}
