import type { ScheduleChange } from './changes.js';
import type { DiagnoseSettings } from './diagnose-options.js';
import type { DraftFinding, Evidence } from './finding.js';
import { type CurveProfile, peakRate, round3, trendScale } from './profile.js';
import { argMin, linearFit, robustScale } from './statistics.js';

/** The highest recorded rate over the finite prefix and the rate at point `index` (undefined when unknown). */
function rates(profile: CurveProfile, index: number): { peak: number | undefined; at: number | undefined; first: number | undefined } {
  const at = profile.learningRates?.[index];
  const first = profile.learningRates?.[0];
  return {
    peak: peakRate(profile),
    at: at !== undefined && Number.isFinite(at) ? at : undefined,
    first: first !== undefined && Number.isFinite(first) ? first : undefined,
  };
}

const last = (values: readonly number[]): number => values[values.length - 1] as number;

/**
 * `diverging`: a non-finite loss; a final level at least `divergenceRatio` × L0 (it ended
 * well above where it started); or a final level that gave back at least `divergenceShare`
 * of the progress, `(L_end − L_min) / max(L0 − L_min, 0.05·L0)`, is at least
 * `divergenceRatio` × L_min, and rose by at least twice the late noise (a smaller rise is
 * the loss swinging: `oscillating`). Recommends a peak at the rate the loss was lowest at (when
 * the rate rose to the blow-up) or a tenth of it, plus a warmup when it blew up early without one.
 */
export function detectDiverging(profile: CurveProfile, settings: DiagnoseSettings): DraftFinding | undefined {
  const { initial, final, minimum, history } = profile;
  const nonFinite = profile.firstNonFinite !== -1;
  const progress = Math.max(initial - minimum.value, 0.05 * Math.abs(initial));
  const given = (final - minimum.value) / progress;
  const ratio = final / minimum.value;
  const aboveStart = initial > 0 && final >= settings.divergenceRatio * initial;
  // A rise smaller than twice the late noise is the loss swinging (oscillating), not moving to a new level.
  const risen = final - minimum.value >= 2 * profile.lateNoise;
  const finiteBlowUp =
    profile.count > 0 &&
    (aboveStart || (risen && given >= settings.divergenceShare && (minimum.value <= 0 || ratio >= settings.divergenceRatio)));
  if (!nonFinite && !finiteBlowUp) return undefined;
  // Where it turned: the lowest level before it first rose above divergenceRatio × L0 when it ended above its start, else the lowest level.
  const above = aboveStart ? profile.level.findIndex((value) => value >= settings.divergenceRatio * initial) : -1;
  const turn = above >= 0 ? Math.max(0, argMin(profile.level.slice(0, above + 1)).index) : Math.max(0, minimum.index);
  const from = profile.steps[turn] ?? (history.steps[0] as number);
  const to = last(history.steps);
  const evidence: Evidence[] = nonFinite
    ? [
        {
          name: 'firstNonFiniteStep',
          value: history.steps[profile.firstNonFinite] as number,
          description: 'first step whose loss is not finite',
        },
        { name: 'lastFiniteLoss', value: profile.losses[profile.count - 1] ?? Number.NaN, description: 'the loss just before' },
      ]
    : [
        { name: 'progressGivenBack', value: given, threshold: settings.divergenceShare, description: '(L_end − L_min) / (L0 − L_min)' },
        { name: 'finalOverMinimum', value: ratio, threshold: settings.divergenceRatio, description: 'L_end / L_min' },
        { name: 'finalOverInitial', value: final / initial, threshold: settings.divergenceRatio, description: 'L_end / L0' },
      ];
  evidence.push(
    { name: 'initialLevel', value: initial, description: 'L0, the loss the run started from' },
    { name: 'minimumLevel', value: minimum.value, description: `L_min, lowest rolling median over a tenth of the run (step ${from})` },
  );
  const { peak, at, first } = rates(profile, turn);
  const rose = peak !== undefined && at !== undefined && at > 0 && peak > 1.5 * at;
  const factor = rose ? Math.min(0.5, at / peak) : 0.1;
  const changes: ScheduleChange[] = [{ kind: 'scalePeak', factor: round3(factor) }];
  const early = from - (history.steps[0] as number) <= 0.1 * profile.span;
  const noWarmup = first !== undefined && peak !== undefined && first >= 0.5 * peak;
  if (early && noWarmup) changes.push({ kind: 'addWarmup', steps: Math.max(1, Math.round(0.05 * profile.span)) });
  const peakText = peak === undefined ? '' : ` (${round3(peak)} → ${round3(peak * factor)})`;
  const why = rose
    ? `the loss turned up at step ${from}, at a rate of ${round3(at)}, and rose as the rate went higher`
    : 'the rate is too high to be stable';
  return {
    kind: 'diverging',
    severity: nonFinite || final >= initial ? 'high' : 'medium',
    steps: { from, to },
    summary: nonFinite
      ? `The loss became ${String(history.losses[profile.firstNonFinite])} at step ${history.steps[profile.firstNonFinite]} after its lowest level at step ${from}.`
      : `The loss rose from ${round3(minimum.value)} at step ${from} to ${round3(final)} at the end, giving back ${Math.round(given * 100)}% of its progress.`,
    evidence,
    recommendation: {
      text: `Multiply the learning rate by ${round3(factor)}${peakText}: ${why}${changes.length > 1 ? `; and warm up over the first ${(changes[1] as { steps: number }).steps} steps, since it blew up early at full rate` : ''}.`,
      changes,
    },
  };
}

/**
 * `oscillating`: the late noise, robust scale of `loss − level` over the second half, is at
 * least `oscillationNoise` × L0 and half of L_end (the swings are as large as the level the
 * loss sits at, unlike mini-batch noise), and larger than the level's own fall over that half
 * (noise to trend above 1, the fall floored at 0.001 × L0). Recommends a third of the rate
 * (a tenth when the noise is above 0.25 × L0).
 */
export function detectOscillating(profile: CurveProfile, settings: DiagnoseSettings): DraftFinding | undefined {
  const { initial, final, lateNoise, level } = profile;
  if (profile.count < 8 || initial <= 0) return undefined;
  const half = Math.floor(profile.count / 2);
  const noise = lateNoise / initial;
  const lateFall = Math.max(0, (level[half] as number) - (last(level) as number));
  const noiseToTrend = lateNoise / Math.max(lateFall, 1e-3 * initial);
  if (noise < settings.oscillationNoise || noiseToTrend < 1 || lateNoise < 0.5 * final) return undefined;
  const factor = noise > 0.25 ? 0.1 : 1 / 3;
  const { peak } = rates(profile, 0);
  const from = profile.steps[half] as number;
  return {
    kind: 'oscillating',
    severity: noise > 0.25 ? 'high' : 'medium',
    steps: { from, to: last(profile.steps) },
    summary: `From step ${from} the loss swings by about ${round3(lateNoise)} (${Math.round(noise * 100)}% of its initial ${round3(initial)}) around a level that no longer falls.`,
    evidence: [
      {
        name: 'lateNoiseShare',
        value: noise,
        threshold: settings.oscillationNoise,
        description: 'robust scale of loss − level over the second half, / L0',
      },
      { name: 'noiseToTrend', value: noiseToTrend, threshold: 1, description: "late noise / the level's fall over the second half" },
      { name: 'noiseOverFinal', value: lateNoise / final, threshold: 0.5, description: 'late noise / L_end' },
    ],
    recommendation: {
      text: `Multiply the learning rate by ${round3(factor)}${peak === undefined ? '' : ` (${round3(peak)} → ${round3(peak * factor)})`}: updates this large overshoot, so the loss bounces instead of settling.`,
      changes: [{ kind: 'scalePeak', factor: round3(factor) }],
    },
  };
}

/**
 * `slow`: at the final pace (least-squares slope of the trend scale, log-loss, over the last
 * third) another run of the same length would cut the loss by at least `slowProjection`,
 * the slope is significant (below −3 standard errors), and it is at least `slowPace` × the
 * average slope `(y(L_end) − y(L0)) / span` (the curve has not bent); or the loss fell by
 * less than `progressFloor`. Recommends 10 × the rate when the curve is straight
 * (pace ratio >= 0.8 or no progress), else 3 ×.
 */
export function detectSlow(profile: CurveProfile, settings: DiagnoseSettings): DraftFinding | undefined {
  const { initial, final, count, steps, losses } = profile;
  if (count < 8) return undefined;
  const start = Math.floor((2 * count) / 3);
  const x = steps.slice(start);
  const y = losses.slice(start).map((loss) => trendScale(profile, loss));
  const fit = linearFit(x, y);
  const span = (last(steps) as number) - (steps[0] as number) || 1;
  const average = (trendScale(profile, final) - trendScale(profile, initial)) / span;
  const projected = profile.logScale ? 1 - Math.exp(fit.slope * profile.span) : -fit.slope * profile.span;
  const pace = average < 0 ? fit.slope / average : 0;
  const drop = initial > 0 ? 1 - final / initial : 0;
  const falling = projected >= settings.slowProjection && fit.slope < -3 * fit.slopeError && pace >= settings.slowPace;
  const stuck = drop < settings.progressFloor && initial > 0;
  if (!falling && !stuck) return undefined;
  const factor = stuck || pace >= 0.8 ? 10 : 3;
  const { peak } = rates(profile, 0);
  return {
    kind: 'slow',
    severity: stuck || drop < 0.3 ? 'high' : 'medium',
    steps: { from: steps[0] as number, to: last(steps) as number },
    summary: stuck
      ? `The loss fell only ${Math.round(drop * 100)}% (${round3(initial)} → ${round3(final)}) over the run.`
      : `The loss is still falling at its final pace (another run this long would cut it by ${Math.round(projected * 100)}%), and the curve has not bent.`,
    evidence: [
      { name: 'drop', value: drop, threshold: settings.progressFloor, description: '1 − L_end / L0' },
      {
        name: 'projectedDrop',
        value: projected,
        threshold: settings.slowProjection,
        description: 'drop in another run as long, at the final slope of log-loss',
      },
      { name: 'paceRatio', value: pace, threshold: settings.slowPace, description: 'final slope / average slope of log-loss' },
      {
        name: 'slopeInErrors',
        value: fit.slopeError > 0 ? fit.slope / fit.slopeError : 0,
        threshold: -3,
        description: 'final slope / its standard error',
      },
    ],
    recommendation: {
      text: `Multiply the learning rate by ${factor}${peak === undefined ? '' : ` (${round3(peak)} → ${round3(peak * factor)})`}: the loss falls steadily but slowly, as with a rate far below what the model takes (a range test, findLearningRate, finds the upper end).`,
      changes: [{ kind: 'scalePeak', factor }],
    },
  };
}

/**
 * `plateau`: after real progress (a drop of at least 0.2), the level stays flat, within
 * `plateauTolerance` × (L0 − L_min) of its value at the end of the flat stretch (or 3 robust
 * scales of the level, if more), for at least `plateauShare` of the run, at a constant rate
 * (when rates are recorded). Recommends a warmup-stable-decay cooldown from the plateau's start.
 */
export function detectPlateau(profile: CurveProfile, settings: DiagnoseSettings): DraftFinding | undefined {
  const { initial, final, minimum, count, steps, level, history } = profile;
  if (count < 8 || initial <= 0 || 1 - final / initial < 0.2) return undefined;
  const rates = profile.learningRates;
  let end = count - 1;
  let best: { from: number; to: number } | undefined;
  while (end > 0) {
    // The stretch of constant rate that ends at `end`.
    let begin = end;
    if (rates !== undefined && Number.isFinite(rates[end])) {
      while (begin > 0 && Math.abs((rates[begin - 1] as number) - (rates[end] as number)) <= 1e-9 * Math.abs(rates[end] as number))
        begin -= 1;
    } else begin = 0;
    const reference = level[end] as number;
    const noise = robustScale(profile.losses.slice(begin, end + 1).map((loss, i) => loss - (level[begin + i] as number)));
    const band = Math.max(settings.plateauTolerance * (initial - minimum.value), (3 * noise) / Math.sqrt(profile.window));
    let from = end;
    while (from > begin && Math.abs((level[from - 1] as number) - reference) <= band) from -= 1;
    if (best === undefined || (steps[end] as number) - (steps[from] as number) > best.to - best.from) {
      best = { from: steps[from] as number, to: steps[end] as number };
    }
    end = begin - 1;
  }
  if (best === undefined || best.to - best.from + 1 < settings.plateauShare * profile.span) return undefined;
  const share = (best.to - best.from + 1) / profile.span;
  const total = (last(history.steps) as number) + 1;
  const cooldown = Math.max(1, total - best.from);
  return {
    kind: 'plateau',
    severity: share > 0.5 ? 'medium' : 'low',
    steps: best,
    summary: `The loss stayed flat from step ${best.from} to ${best.to} (${Math.round(share * 100)}% of the run)${rates === undefined ? '' : ' at a constant learning rate'}.`,
    evidence: [
      { name: 'plateauShare', value: share, threshold: settings.plateauShare, description: 'share of the run the level stayed flat' },
      { name: 'drop', value: 1 - final / initial, description: '1 − L_end / L0' },
    ],
    recommendation: {
      text: `Start decaying the learning rate at step ${best.from} (a warmup-stable-decay cooldown to 0 over ${cooldown} steps), or reduce it on plateau: the rate has done what it can at this value.`,
      changes: [{ kind: 'decayFrom', step: best.from, steps: cooldown }],
    },
  };
}
