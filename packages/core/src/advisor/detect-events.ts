import type { ScheduleChange } from './changes.js';
import type { DiagnoseSettings } from './diagnose-options.js';
import type { DraftFinding, Evidence } from './finding.js';
import { type CurveProfile, peakRate, round3 } from './profile.js';
import { argMin, median, robustScale, rollingMedian } from './statistics.js';

/**
 * The rise half of the spike test at point `i`: its loss exceeds the median of the `reach`
 * points before it by at least `spikeRise` × `scale` (|L0|) and by at least `spikeScales`
 * robust scales of them. Returns the jump, the baseline and the jump in scales, or undefined.
 * `detectSpikes` adds that the loss comes back; the online guard (`lossGuard`) acts on the rise.
 */
export function spikeRise(
  losses: readonly number[],
  i: number,
  reach: number,
  scale: number,
  settings: Pick<DiagnoseSettings, 'spikeRise' | 'spikeScales'>,
): { readonly jump: number; readonly baseline: number; readonly scales: number } | undefined {
  const recent = losses.slice(Math.max(0, i - reach), i);
  const baseline = median(recent);
  const jump = (losses[i] as number) - baseline;
  if (!(jump >= settings.spikeRise * scale)) return undefined;
  const spread = robustScale(recent);
  if (jump < settings.spikeScales * spread) return undefined;
  return { jump, baseline, scales: spread > 0 ? jump / spread : Number.POSITIVE_INFINITY };
}

/**
 * `spike`: a point whose loss exceeds the median of the k points before it (k =
 * max(3, ⌈window/2⌉)) by at least `spikeRise` × L0 and by at least `spikeScales` robust
 * scales of them, after which the loss comes back (the median of the next k points is below
 * that median + half the jump). Spike points less than `window` points apart are one finding.
 * Recommends clipping the gradient norm at 2 × its median (when gradient norms are recorded).
 */
export function detectSpikes(profile: CurveProfile, settings: DiagnoseSettings, before = profile.count): DraftFinding[] {
  const { losses, steps, window, initial } = profile;
  const scale = Math.abs(initial);
  const reach = Math.max(3, Math.ceil(window / 2));
  const points: { index: number; jump: number; scales: number }[] = [];
  for (let i = 3; i < Math.min(before, profile.count) - 1; i += 1) {
    const rise = spikeRise(losses, i, reach, scale, settings);
    if (rise === undefined) continue;
    // It came back: the median of the next points is below the baseline plus half the jump.
    if (median(losses.slice(i + 1, i + 1 + reach)) > rise.baseline + rise.jump / 2) continue;
    points.push({ index: i, jump: rise.jump, scales: rise.scales });
  }
  const groups: (typeof points)[] = [];
  for (const point of points) {
    const group = groups[groups.length - 1];
    if (group !== undefined && point.index - (group[group.length - 1] as (typeof points)[number]).index <= window) group.push(point);
    else groups.push([point]);
  }
  const norms = profile.history.gradientNorms?.slice(0, profile.count);
  const knownNorms = norms?.filter((norm) => Number.isFinite(norm)) ?? [];
  const typicalNorm = knownNorms.length > 0 ? median(knownNorms) : undefined;
  return groups.map((group) => {
    const top = group.reduce((a, b) => (b.jump > a.jump ? b : a));
    const step = steps[top.index] as number;
    const evidence: Evidence[] = [
      { name: 'jump', value: top.jump, description: 'loss − median of the points before, at the highest point' },
      { name: 'jumpShare', value: top.jump / scale, threshold: settings.spikeRise, description: 'jump / L0' },
      { name: 'jumpInScales', value: top.scales, threshold: settings.spikeScales, description: 'jump / robust scale of the points before' },
      {
        name: 'episodes',
        value: group.filter((point, i) => i === 0 || point.index > (group[i - 1] as (typeof points)[number]).index + 1).length,
        description: 'separate runs of spike points in this finding',
      },
    ];
    const norm = norms?.[top.index];
    const changes: ScheduleChange[] = [];
    if (typicalNorm !== undefined && typicalNorm > 0) {
      if (norm !== undefined && Number.isFinite(norm)) {
        evidence.push({
          name: 'gradientNormRatio',
          value: norm / typicalNorm,
          description: 'gradient norm at the spike / its median over the run',
        });
      }
      changes.push({ kind: 'clipGradientNorm', maxNorm: round3(2 * typicalNorm) });
    }
    const from = steps[(group[0] as (typeof points)[number]).index] as number;
    const to = steps[(group[group.length - 1] as (typeof points)[number]).index] as number;
    return {
      kind: 'spike',
      severity: top.jump >= 2 * scale || group.length >= 3 ? 'high' : 'medium',
      steps: { from, to },
      summary: `At step ${step} the loss jumped to ${round3(losses[top.index] as number)}, ${round3(top.jump)} above the steps before, and came back.`,
      evidence,
      recommendation: {
        text: `${changes.length > 0 ? `Clip the gradient norm at ${(changes[0] as { maxNorm: number }).maxNorm} (twice its median)` : 'Clip the gradient norm'} and check the batch at step ${step}: one bad batch moved the model this far.`,
        changes,
      },
    };
  });
}

/**
 * `overfitting`: the validation loss (rolling median of 3 evaluations when there are 6 or
 * more) reached its minimum at step m and has since risen by at least `overfittingRise` ×
 * that minimum, while the training level at the end is below its level at m. Recommends
 * stopping at m, with the rate cooled down to 0 over the last fifth before it.
 */
export function detectOverfitting(profile: CurveProfile, settings: DiagnoseSettings): DraftFinding | undefined {
  const { validation } = profile.history;
  if (validation.losses.length < 4 || validation.losses.some((loss) => !Number.isFinite(loss))) return undefined;
  const smooth = validation.losses.length >= 6 ? rollingMedian(validation.losses, 3) : [...validation.losses];
  const smoothed = argMin(smooth);
  // The lowest raw loss next to the smoothed minimum: the median of 3 flattens a sharp minimum onto its neighbours.
  const around = [smoothed.index - 1, smoothed.index, smoothed.index + 1].filter((i) => i >= 0 && i < smooth.length);
  const bestIndex = around.reduce((a, b) => ((validation.losses[b] as number) < (validation.losses[a] as number) ? b : a));
  const best = { index: bestIndex, value: smooth[bestIndex] as number };
  if (smoothed.index < 0 || best.index > smooth.length - 3 || best.value <= 0) return undefined;
  const final = smooth[smooth.length - 1] as number;
  const rise = (final - best.value) / best.value;
  const bestStep = validation.steps[best.index] as number;
  const at = profile.steps.findIndex((step) => step >= bestStep);
  if (rise < settings.overfittingRise || at < 0) return undefined;
  const trainingAtBest = profile.level[at] as number;
  if (!(profile.final < trainingAtBest)) return undefined;
  const stop = Math.max(1, bestStep);
  const cooldownStart = Math.round(0.8 * stop);
  const changes: ScheduleChange[] = [{ kind: 'stopAt', step: stop }];
  if (stop - cooldownStart >= 1) changes.push({ kind: 'decayFrom', step: cooldownStart, steps: stop - cooldownStart });
  return {
    kind: 'overfitting',
    severity: rise >= 0.5 ? 'high' : rise >= 0.2 ? 'medium' : 'low',
    steps: { from: bestStep, to: validation.steps[validation.steps.length - 1] as number },
    summary: `The validation loss was lowest at step ${bestStep} (${round3(best.value)}) and rose ${Math.round(rise * 100)}% to ${round3(final)}, while the training loss kept falling (${round3(trainingAtBest)} → ${round3(profile.final)}).`,
    evidence: [
      {
        name: 'validationRise',
        value: rise,
        threshold: settings.overfittingRise,
        description: '(final − minimum) / minimum of the validation loss',
      },
      { name: 'bestValidationStep', value: bestStep, description: 'step of the lowest validation loss' },
      { name: 'trainingFall', value: 1 - profile.final / trainingAtBest, description: '1 − L_end / training level at that step' },
    ],
    recommendation: {
      text: `Stop at step ${stop} (early stopping on the validation loss, restoring the best parameters), decaying the rate to 0 from step ${cooldownStart}; or regularize (weight decay, more data): beyond it the model learns the training set, not the task.`,
      changes,
    },
  };
}

/**
 * `oscillating` from repeated spikes: three or more separate spikes ({@link detectSpikes} episodes)
 * mean an unstable rate, not bad batches (each spike and recovery is the loss overshooting).
 * Recommends a third of the rate.
 */
export function detectRepeatedSpikes(profile: CurveProfile, spikes: readonly DraftFinding[]): DraftFinding | undefined {
  const episodes = spikeEpisodes(spikes);
  if (episodes < 3) return undefined;
  const largest = Math.max(...spikes.map((spike) => spike.evidence.find((e) => e.name === 'jumpShare')?.value ?? 0));
  const peak = peakRate(profile);
  const from = (spikes[0] as DraftFinding).steps.from;
  const to = (spikes[spikes.length - 1] as DraftFinding).steps.to;
  return {
    kind: 'oscillating',
    severity: 'high',
    steps: { from, to },
    summary: `The loss spiked ${episodes} times between steps ${from} and ${to} (up to ${round3(largest)} × its initial value) and fell back each time.`,
    evidence: [
      { name: 'spikes', value: episodes, threshold: 3, description: 'separate spikes (see detectSpikes)' },
      { name: 'largestJumpShare', value: largest, description: 'largest jump / L0' },
    ],
    recommendation: {
      text: `Multiply the learning rate by 0.333${peak === undefined ? '' : ` (${round3(peak)} → ${round3(peak / 3)})`}: repeated spikes that recover are updates overshooting, which a lower rate (or a longer warmup) removes.`,
      changes: [{ kind: 'scalePeak', factor: 0.333 }],
    },
  };
}

/** Separate spikes in `detectSpikes` findings (their `episodes` evidence). */
export function spikeEpisodes(spikes: readonly DraftFinding[]): number {
  return spikes.reduce((sum, spike) => sum + (spike.evidence.find((e) => e.name === 'episodes')?.value ?? 1), 0);
}
