/**
 * The learning-rate advisor: `diagnose` reads a loss curve (from `train()`, a tfjs
 * `History`, a CSV or JSON file) and says what it means and what to change.
 * A subpath of its own (`@stepsize/core/advisor`), so a training bundle does not carry it.
 */
export { applyScheduleChanges, recordedSchedule, type ScheduleChange } from './changes.js';
export { detectOverfitting, detectRepeatedSpikes, detectSpikes, spikeEpisodes, spikeRise } from './detect-events.js';
export { detectDiverging, detectOscillating, detectPlateau, detectSlow } from './detect-trend.js';
export { type Diagnosis, diagnose } from './diagnose.js';
export { DIAGNOSE_DEFAULTS, type DiagnoseOptions, type DiagnoseSettings, readDiagnoseOptions } from './diagnose-options.js';
export type { Evidence, Finding, FindingKind, Recommendation, Severity } from './finding.js';
export { LOSS_GUARD_DEFAULTS, type LossGuardOptions, lossGuard } from './guard.js';
export { GuardKeeper, type GuardState, readGuardState } from './guard-state.js';
export { type HistoryRow, type LossHistory, readHistory } from './history.js';
export { type CurveProfile, defaultWindow, peakRate, profileOf } from './profile.js';
export { argMin, type LinearFit, linearFit, median, robustScale, rollingMedian } from './statistics.js';
