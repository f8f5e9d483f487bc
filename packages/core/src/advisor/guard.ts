import { fail, isPlainObject } from '../schedules/options.js';
import type { GuardDecision, GuardEvidence, GuardSettings, GuardView, TrainingGuard } from '../training/guard.js';
import { GuardKeeper } from './guard-state.js';
import { spikeRise } from './detect-events.js';
import { detectDiverging, detectPlateau } from './detect-trend.js';
import { DIAGNOSE_DEFAULTS, type DiagnoseSettings } from './diagnose-options.js';
import type { Evidence } from './finding.js';
import type { LossHistory } from './history.js';
import { type CurveProfile, profileOf, round3 } from './profile.js';

/** Options of {@link lossGuard} (every one optional; defaults in {@link LOSS_GUARD_DEFAULTS}). */
export interface LossGuardOptions {
  /** Updates between snapshots of the parameters and optimizer state. Default 50. */
  readonly snapshotEvery?: number | undefined;
  /** Snapshots kept besides the run's start (a divergence that began earlier goes back further). Default 2. */
  readonly keep?: number | undefined;
  /** Rollbacks allowed; the next trouble ends the run at the last good snapshot (`stopReason: 'guard'`). Default 5 (the rate down to 1/32). */
  readonly maxRollbacks?: number | undefined;
  /** Multiplies the learning rate at each rollback. Default 0.5. */
  readonly rollbackFactor?: number | undefined;
  /** Multiplies the learning rate on a plateau at a constant rate; 0 turns plateau reductions off. Default 0.5. */
  readonly plateauFactor?: number | undefined;
  /** Plateau reductions allowed. Default 3. */
  readonly maxReductions?: number | undefined;
  /** Updates a plateau must last. Default (0): 15% of the run, at least 4 windows, at most `memory`. */
  readonly plateauPatience?: number | undefined;
  /** Updates the detectors read. Default 500. */
  readonly memory?: number | undefined;
  /** Points in the detectors' rolling median (odd). Default 11. */
  readonly window?: number | undefined;
  /** Updates between runs of the trend detectors (divergence, plateau); spikes are checked at every update. Default (0): (window + 1) / 2. */
  readonly checkEvery?: number | undefined;
  /** The advisor's thresholds (`DiagnoseOptions`, same defaults): `spikeRise`, `spikeScales`, `divergenceShare`, `divergenceRatio`, `plateauTolerance`. */
  readonly spikeRise?: number | undefined;
  readonly spikeScales?: number | undefined;
  readonly divergenceShare?: number | undefined;
  readonly divergenceRatio?: number | undefined;
  readonly plateauTolerance?: number | undefined;
}

/**
 * The defaults of {@link lossGuard}.
 *
 * @example
 * ```ts
 * lossGuard({ rollbackFactor: LOSS_GUARD_DEFAULTS.rollbackFactor / 2 });
 * ```
 */
export const LOSS_GUARD_DEFAULTS = {
  snapshotEvery: 50,
  keep: 2,
  maxRollbacks: 5,
  rollbackFactor: 0.5,
  plateauFactor: 0.5,
  maxReductions: 3,
  plateauPatience: 0,
  memory: 500,
  window: 11,
  checkEvery: 0,
  spikeRise: DIAGNOSE_DEFAULTS.spikeRise,
  spikeScales: DIAGNOSE_DEFAULTS.spikeScales,
  divergenceShare: DIAGNOSE_DEFAULTS.divergenceShare,
  divergenceRatio: DIAGNOSE_DEFAULTS.divergenceRatio,
  plateauTolerance: DIAGNOSE_DEFAULTS.plateauTolerance,
} as const;

type Rule = 'count' | 'count0' | 'cut' | 'cut0' | 'positive' | 'ratio' | 'share' | 'odd';
const RULES: Readonly<Record<keyof typeof LOSS_GUARD_DEFAULTS, Rule>> = {
  snapshotEvery: 'count',
  keep: 'count',
  maxRollbacks: 'count0',
  rollbackFactor: 'cut',
  plateauFactor: 'cut0',
  maxReductions: 'count0',
  plateauPatience: 'count0',
  memory: 'count',
  window: 'odd',
  checkEvery: 'count0',
  spikeRise: 'positive',
  spikeScales: 'positive',
  divergenceShare: 'positive',
  divergenceRatio: 'ratio',
  plateauTolerance: 'share',
};
const MESSAGES: Readonly<Record<Rule, string>> = {
  count: 'an integer >= 1',
  count0: 'an integer >= 0',
  cut: 'a number in (0, 1)',
  cut0: 'a number in [0, 1)',
  positive: 'a finite number > 0',
  ratio: 'a finite number > 1',
  share: 'a number in (0, 1)',
  odd: 'an odd integer >= 3',
};

function valid(rule: Rule, value: unknown): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  switch (rule) {
    case 'count':
      return Number.isSafeInteger(value) && value >= 1;
    case 'count0':
      return Number.isSafeInteger(value) && value >= 0;
    case 'cut':
    case 'share':
      return value > 0 && value < 1;
    case 'cut0':
      return value >= 0 && value < 1;
    case 'positive':
      return value > 0;
    case 'ratio':
      return value > 1;
    case 'odd':
      return Number.isSafeInteger(value) && value >= 3 && value % 2 === 1;
  }
}

const where = 'lossGuard options';

/** Checks the options (errors name `lossGuard options.<name>` and the bad value) and fills the defaults. */
function readGuardOptions(options: LossGuardOptions | undefined): typeof LOSS_GUARD_DEFAULTS {
  if (options === undefined) return { ...LOSS_GUARD_DEFAULTS };
  if (!isPlainObject(options)) fail(where, 'must be an options object', options);
  const settings: Record<string, number> = { ...LOSS_GUARD_DEFAULTS };
  for (const [key, value] of Object.entries(options)) {
    const rule = RULES[key as keyof typeof RULES];
    if (rule === undefined) fail(`${where}.${key}`, `is not an option; known options: ${Object.keys(RULES).join(', ')}`, value);
    if (value === undefined) continue;
    if (!valid(rule, value)) fail(`${where}.${key}`, `must be ${MESSAGES[rule]}`, value);
    settings[key] = value as number;
  }
  if ((settings.memory as number) < 4 * (settings.window as number)) {
    fail(`${where}.memory`, `must be at least 4 windows (${4 * (settings.window as number)} updates)`, settings.memory);
  }
  if ((settings.plateauPatience as number) > (settings.memory as number)) {
    fail(`${where}.plateauPatience`, `must be at most memory (${settings.memory})`, settings.plateauPatience);
  }
  return settings as typeof LOSS_GUARD_DEFAULTS;
}

const evidenceOf = (evidence: readonly Evidence[]): GuardEvidence[] =>
  evidence.map((e) =>
    e.threshold === undefined ? { name: e.name, value: e.value } : { name: e.name, value: e.value, threshold: e.threshold },
  );

/** The view as the advisor's profile, its L0 the run's (the view starts later than the run). */
function profileOfView(view: GuardView, from: number, window: number, initial: number): CurveProfile {
  const history: LossHistory = {
    steps: view.steps.slice(from),
    losses: view.losses.slice(from),
    learningRates: view.learningRates.slice(from),
    validation: { steps: [], losses: [] },
  };
  return { ...profileOf(history, Math.min(window, 2 * Math.floor((history.steps.length - 1) / 2) + 1)), initial };
}

/**
 * A guard for `train()` (its `guard` option) and for tfjs `model.fit` (`fitGuard` in
 * `@stepsize/tfjs`), built on the advisor's detectors, read online on the recent updates
 * (`memory` of them) with the run's L0:
 * - **spike** at every update: the newest loss rises above the median of the `(window + 1) / 2`
 *   before it by `spikeRise` × L0 and `spikeScales` robust scales (the rise half of
 *   `detectSpikes`: the guard acts before the loss could come back) → roll back;
 * - **diverging** every `checkEvery` updates, once a window has passed since the last action:
 *   `detectDiverging` on the view (the level gave back `divergenceShare` of the progress and is
 *   `divergenceRatio` × its minimum, or ended `divergenceRatio` × L0), or a non-finite loss or
 *   gradient at any update → roll back to a snapshot from before the level's minimum;
 * - **plateau** every `checkEvery` updates, once `plateauPatience` updates have passed since the
 *   last action: `detectPlateau` on the last `plateauPatience` updates, flat over 90% of them at
 *   a constant rate → multiply the rate by `plateauFactor`.
 *
 * A rollback multiplies every learning rate by `rollbackFactor`; cuts multiply
 * (`learningRateScale` in each action). The convention follows large-model practice
 * (PaLM, Chowdhery et al. 2022, §5.1: restart from a checkpoint before the spike and skip
 * the batches that led to it) with the rate cut of OPT (Zhang et al. 2022).
 *
 * @example
 * ```ts
 * import { lossGuard } from '@stepsize/core/advisor';
 * const result = await train({ backend, optimizer, data, batchSize: 16, steps: 600, guard: lossGuard({ maxRollbacks: 2 }) });
 * result.guardActions; // [{ action: 'rollback', reason: 'spike', step: 311, toStep: 300, learningRateScale: 0.5, ... }]
 * ```
 */
export function lossGuard(options?: LossGuardOptions): TrainingGuard {
  const settings = readGuardOptions(options);
  const { window } = settings;
  const reach = Math.max(3, Math.ceil(window / 2));
  const checkEvery = settings.checkEvery === 0 ? (window + 1) / 2 : settings.checkEvery;
  const detectorSettings = { ...DIAGNOSE_DEFAULTS, ...settings } as unknown as DiagnoseSettings;
  const patienceOf = (total: number | undefined): number => {
    if (settings.plateauPatience > 0) return settings.plateauPatience;
    const share = total === undefined ? settings.memory : Math.round(0.15 * total);
    return Math.min(settings.memory, Math.max(4 * window, share));
  };
  const inspect = (view: GuardView): GuardDecision | undefined => {
    const { steps, losses, sinceAction, initialLoss } = view;
    const n = losses.length;
    if (initialLoss === undefined || !Number.isFinite(initialLoss) || n < 4 || sinceAction < 1) return undefined;
    const rise = spikeRise(losses, n - 1, reach, Math.abs(initialLoss), settings);
    const step = steps[n - 1] as number;
    if (rise !== undefined) {
      return {
        action: 'rollback',
        reason: 'spike',
        from: step,
        summary: `At update ${step} the loss jumped to ${round3(losses[n - 1] as number)}, ${round3(rise.jump)} above the updates before.`,
        evidence: [
          { name: 'jumpShare', value: rise.jump / Math.abs(initialLoss), threshold: settings.spikeRise },
          { name: 'jumpInScales', value: rise.scales, threshold: settings.spikeScales },
        ],
      };
    }
    if (sinceAction % checkEvery !== 0) return undefined;
    if (sinceAction >= window && n >= 2 * window) {
      const diverging = detectDiverging(profileOfView(view, 0, window, initialLoss), detectorSettings);
      if (diverging !== undefined) {
        return {
          action: 'rollback',
          reason: 'diverging',
          from: diverging.steps.from,
          summary: diverging.summary,
          evidence: evidenceOf(diverging.evidence),
        };
      }
    }
    const patience = patienceOf(view.totalUpdates);
    if (settings.plateauFactor > 0 && sinceAction >= patience && n >= patience) {
      const plateau = detectPlateau(profileOfView(view, n - patience, window, initialLoss), { ...detectorSettings, plateauShare: 0.9 });
      if (plateau !== undefined) {
        return {
          action: 'reduce',
          reason: 'plateau',
          from: plateau.steps.from,
          summary: plateau.summary,
          evidence: evidenceOf(plateau.evidence),
        };
      }
    }
    return undefined;
  };
  const guardSettings = settings as unknown as GuardSettings;
  return { settings: guardSettings, start: (saved, context) => new GuardKeeper(guardSettings, inspect, saved, context) };
}
