import { StepsizeError } from '../errors.js';
import type { ScheduleSpec } from '../schedules/schedule.js';
import { applyScheduleChanges, recordedSchedule } from './changes.js';
import { detectOverfitting, detectRepeatedSpikes, detectSpikes, spikeEpisodes } from './detect-events.js';
import { detectDiverging, detectOscillating, detectPlateau, detectSlow } from './detect-trend.js';
import { type DiagnoseOptions, readDiagnoseOptions } from './diagnose-options.js';
import type { DraftFinding, Finding, FindingKind, Severity } from './finding.js';
import { type LossHistory, readHistory } from './history.js';
import { type CurveProfile, profileOf, round3 } from './profile.js';

/** What {@link diagnose} read: the findings (most severe first) and the run's statistics. */
export interface Diagnosis {
  readonly findings: readonly Finding[];
  /** The history as read (see `readHistory`). */
  readonly history: LossHistory;
  readonly statistics: {
    /** Rolling-median window, in points. */
    readonly window: number;
    /** L0, L_min and L_end (medians of the first and last windows; lowest rolling median). */
    readonly initialLevel: number;
    readonly minimumLevel: number;
    readonly finalLevel: number;
    /** Robust scale of `loss − level` over the second half. */
    readonly lateNoise: number;
    /** The schedule recommendations were built on, when known. */
    readonly schedule: ScheduleSpec | undefined;
  };
}

const ORDER: Readonly<Record<Severity, number>> = { high: 0, medium: 1, low: 2, info: 3 };
/** Within a severity, causes before symptoms: the rate first, then what it leads to. */
const PRIORITY: Readonly<Record<FindingKind, number>> = {
  diverging: 0,
  oscillating: 1,
  slow: 2,
  overfitting: 3,
  plateau: 4,
  spike: 5,
  healthy: 6,
};
/** Fewest finite training losses a trend can be read from. */
const MINIMUM_POINTS = 8;

function healthy(profile: CurveProfile): DraftFinding {
  const drop = profile.initial > 0 ? 1 - profile.final / profile.initial : 0;
  return {
    kind: 'healthy',
    severity: 'info',
    steps: { from: profile.steps[0] as number, to: profile.steps[profile.count - 1] as number },
    summary: `The loss fell ${Math.round(drop * 100)}% (${round3(profile.initial)} → ${round3(profile.final)}) and settled, with no sign of a rate too high or too low.`,
    evidence: [
      { name: 'drop', value: drop, description: '1 − L_end / L0' },
      {
        name: 'lateNoiseShare',
        value: profile.lateNoise / Math.abs(profile.initial || 1),
        description: 'robust scale of loss − level over the second half, / L0',
      },
    ],
    recommendation: { text: 'Keep this schedule.', changes: [] },
  };
}

/**
 * Reads a loss curve and says what it means and what to change: the learning-rate advisor.
 *
 * `history` is anything `readHistory` reads: `train()`'s result, a tfjs `History`, rows of
 * `{ step, loss, valLoss, learningRate, gradientNorm }`, or that table as CSV or JSON text.
 * The curve is read through robust statistics: the level is the rolling median of the loss
 * over `window` points (about 4% of the run), L0 and L_end are the medians of the first and
 * last windows, L_min the lowest level, the noise is the robust scale
 * (`1.4826 · median |x − median x|`) of `loss − level`, and trends are least-squares slopes of
 * `log(loss)`. Each detector (its formula and threshold in its TSDoc and in
 * {@link DiagnoseOptions}) gives findings of one kind:
 * - `diverging`: a non-finite loss, or a level that gave back half its progress (`detectDiverging`);
 * - `oscillating`: late noise >= 10% of L0 and larger than the late trend (`detectOscillating`);
 * - `slow`: still falling at an unbent pace that would cut the loss by 5% more, or less than 10% progress (`detectSlow`);
 * - `plateau`: flat for a quarter of the run at a constant rate after progress (`detectPlateau`);
 * - `overfitting`: validation loss up 10% from its minimum while training loss fell (`detectOverfitting`);
 * - `spike`: a point 6 robust scales and half of L0 above its neighbours that recovers (`detectSpikes`);
 * - `healthy`: none of the above.
 * `diverging` excludes `oscillating`, `slow` and `plateau` (and spikes after the turn); of those
 * three at most one is reported. Each finding has the step range, the evidence (statistic,
 * value, threshold), a severity and a recommendation: a sentence, the changes as data
 * (`ScheduleChange`) and, when the base schedule is known (`options.schedule`, or a constant or
 * piecewise constant recorded rate), the changed schedule spec (`applyScheduleChanges`).
 *
 * Needs 8 finite training losses, unless the loss went non-finite (that alone is `diverging`).
 *
 * @example
 * ```ts
 * const rows = Array.from({ length: 200 }, (_, step) => ({ step, loss: 2 * Math.exp(-step / 1e4), learningRate: 1e-5 }));
 * const { findings } = diagnose(rows);
 * findings[0]?.kind; // 'slow'
 * findings[0]?.recommendation.schedule; // { type: 'scale', factor: 10, schedule: { type: 'constant', value: 0.00001 } }
 * ```
 */
export function diagnose(history: unknown, options?: DiagnoseOptions): Diagnosis {
  const settings = readDiagnoseOptions(options);
  const read = readHistory(history);
  const profile = profileOf(read, settings.window);
  if (profile.firstNonFinite === -1 && profile.count < MINIMUM_POINTS) {
    throw new StepsizeError(
      'diagnose history',
      `needs at least ${MINIMUM_POINTS} training losses to read a trend, got ${profile.count}`,
      profile.count,
    );
  }
  const base: ScheduleSpec | undefined =
    settings.schedule === undefined
      ? recordedSchedule(read.learningRates, read.steps)
      : typeof (settings.schedule as { toJSON?: unknown }).toJSON === 'function'
        ? (settings.schedule as { toJSON(): ScheduleSpec }).toJSON()
        : (settings.schedule as ScheduleSpec);
  if (base !== undefined) {
    try {
      applyScheduleChanges(base, []);
    } catch (error) {
      throw new StepsizeError(
        'diagnose options.schedule',
        `is not a valid schedule spec (${(error as Error).message})`,
        settings.schedule,
        { cause: error },
      );
    }
  }
  const drafts: DraftFinding[] = [];
  const diverging = detectDiverging(profile, settings);
  const turn = diverging === undefined ? profile.count : profile.steps.findIndex((step) => step >= diverging.steps.from) + 1;
  let spikes = detectSpikes(profile, settings, turn > 0 ? turn : profile.count);
  let trend: DraftFinding | undefined;
  if (diverging !== undefined) {
    drafts.push(diverging);
    // Many spikes before a blow-up are its first signs, already told by `diverging`; one or two may be its cause.
    if (spikeEpisodes(spikes) >= 3) spikes = [];
  } else {
    trend = detectSlow(profile, settings) ?? detectOscillating(profile, settings) ?? detectPlateau(profile, settings);
    const repeated = detectRepeatedSpikes(profile, spikes);
    if (repeated !== undefined) {
      if (trend?.kind !== 'oscillating') trend = repeated;
      spikes = [];
    }
    if (trend !== undefined) drafts.push(trend);
    // A rate that is too high comes first: the validation curve of an unstable run says nothing about overfitting.
    const overfitting = trend?.kind === 'oscillating' ? undefined : detectOverfitting(profile, settings);
    if (overfitting !== undefined) drafts.push(overfitting);
  }
  drafts.push(...spikes);
  if (drafts.length === 0) drafts.push(healthy(profile));
  const findings = drafts
    .map((draft): Finding => {
      const scheduleChanges = draft.recommendation.changes.filter((c) => c.kind !== 'stopAt' && c.kind !== 'clipGradientNorm');
      const schedule = base !== undefined && scheduleChanges.length > 0 ? applyScheduleChanges(base, scheduleChanges) : undefined;
      return { ...draft, recommendation: { ...draft.recommendation, schedule } };
    })
    .sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || PRIORITY[a.kind] - PRIORITY[b.kind] || a.steps.from - b.steps.from);
  return {
    findings,
    history: read,
    statistics: {
      window: profile.window,
      initialLevel: profile.initial,
      minimumLevel: profile.minimum.value,
      finalLevel: profile.final,
      lateNoise: profile.lateNoise,
      schedule: base,
    },
  };
}
