import type { Schedule, ScheduleSpec } from '../schedules/schedule.js';
import { fail, isPlainObject } from '../schedules/options.js';

/** Options of `diagnose`: the thresholds of every detector (documented defaults) and the schedule you trained with. */
export interface DiagnoseOptions {
  /** The schedule the history was trained with (a spec or a schedule): recommendations then include the changed spec. Default: told from the recorded rates when they are constant or piecewise constant. */
  readonly schedule?: ScheduleSpec | Schedule | undefined;
  /** Points in the rolling-median window. Default about 4% of the run: `2·⌊clamp(n/25, 5, 101)/2⌋ + 1`. */
  readonly window?: number | undefined;
  /** `diverging` when the final level has given back at least this share of the progress to its minimum: `(L_end − L_min) / max(L0 − L_min, 0.05·L0)`. Default 0.5. */
  readonly divergenceShare?: number | undefined;
  /** ... and is at least this multiple of the minimum level; or the final level is this multiple of L0. Default 1.5. */
  readonly divergenceRatio?: number | undefined;
  /** `oscillating` when the late noise (robust scale of `loss − level` over the second half) is at least this share of L0. Default 0.1. */
  readonly oscillationNoise?: number | undefined;
  /** `slow` when the loss, falling at its final pace for another run of the same length, would drop by at least this share. Default 0.05. */
  readonly slowProjection?: number | undefined;
  /** ... and its final pace is at least this share of its average pace (the curve has not bent). Default 0.6. */
  readonly slowPace?: number | undefined;
  /** Below this share of drop, `1 − L_end / L0`, nothing was learned (`slow`, too). Default 0.1. */
  readonly progressFloor?: number | undefined;
  /** `plateau` when the level stays flat, at a constant rate, for at least this share of the run. Default 0.25. */
  readonly plateauShare?: number | undefined;
  /** "Flat": within this share of the progress `L0 − L_min` (or 3 noise scales of the level, if more). Default 0.05. */
  readonly plateauTolerance?: number | undefined;
  /** `overfitting` when the validation loss has risen by at least this share above its minimum while the training loss fell. Default 0.1. */
  readonly overfittingRise?: number | undefined;
  /** `spike` when one point exceeds its neighbours' median by at least this share of L0 ... Default 0.5. */
  readonly spikeRise?: number | undefined;
  /** ... and by at least this many robust scales of its neighbours, and the loss comes back. Default 6. */
  readonly spikeScales?: number | undefined;
}

/** The options with their defaults. */
export type DiagnoseSettings = { readonly [K in keyof typeof DIAGNOSE_DEFAULTS]: number } & Pick<DiagnoseOptions, 'schedule' | 'window'>;

/**
 * The default thresholds of `diagnose` (each described at its option in {@link DiagnoseOptions}).
 *
 * @example
 * ```ts
 * diagnose(history, { oscillationNoise: 2 * DIAGNOSE_DEFAULTS.oscillationNoise });
 * ```
 */
export const DIAGNOSE_DEFAULTS = {
  divergenceShare: 0.5,
  divergenceRatio: 1.5,
  oscillationNoise: 0.1,
  slowProjection: 0.05,
  slowPace: 0.6,
  progressFloor: 0.1,
  plateauShare: 0.25,
  plateauTolerance: 0.05,
  overfittingRise: 0.1,
  spikeRise: 0.5,
  spikeScales: 6,
} as const;

const where = 'diagnose options';

/** The range of each threshold: a share in (0, 1), a ratio > 1, or any positive number. */
const RANGES: Readonly<Record<keyof typeof DIAGNOSE_DEFAULTS, 'share' | 'ratio' | 'positive'>> = {
  divergenceShare: 'positive',
  divergenceRatio: 'ratio',
  oscillationNoise: 'positive',
  slowProjection: 'share',
  slowPace: 'share',
  progressFloor: 'share',
  plateauShare: 'share',
  plateauTolerance: 'share',
  overfittingRise: 'positive',
  spikeRise: 'positive',
  spikeScales: 'positive',
};

/** Checks every option (errors name `diagnose options.<name>` and the bad value) and fills the defaults. */
export function readDiagnoseOptions(options: DiagnoseOptions | undefined): DiagnoseSettings {
  if (options === undefined) return { ...DIAGNOSE_DEFAULTS };
  if (!isPlainObject(options)) fail(where, 'must be an options object', options);
  const known = new Set(['schedule', 'window', ...Object.keys(DIAGNOSE_DEFAULTS)]);
  for (const key of Object.keys(options)) {
    if (!known.has(key))
      fail(`${where}.${key}`, `is not an option; known options: ${[...known].join(', ')}`, options[key as keyof DiagnoseOptions]);
  }
  const settings: Record<string, unknown> = { ...DIAGNOSE_DEFAULTS, schedule: options.schedule, window: options.window };
  for (const key of Object.keys(DIAGNOSE_DEFAULTS) as (keyof typeof DIAGNOSE_DEFAULTS)[]) {
    const value = options[key];
    if (value === undefined) continue;
    const range = RANGES[key];
    const finite = typeof value === 'number' && Number.isFinite(value);
    const ok = finite && (range === 'share' ? value > 0 && value < 1 : range === 'ratio' ? value > 1 : value > 0);
    if (!ok)
      fail(
        `${where}.${key}`,
        `must be ${range === 'share' ? 'a number in (0, 1)' : range === 'ratio' ? 'a finite number > 1' : 'a finite number > 0'}`,
        value,
      );
    settings[key] = value;
  }
  const { window } = options;
  if (window !== undefined && (!Number.isSafeInteger(window) || (window as number) < 1 || (window as number) % 2 === 0)) {
    fail(`${where}.window`, 'must be an odd integer >= 1', window);
  }
  return settings as DiagnoseSettings;
}
