import type { ScheduleSpec } from '../schedules/schedule.js';
import type { ScheduleChange } from './changes.js';

/** What a finding says about the curve. */
export type FindingKind = 'diverging' | 'oscillating' | 'slow' | 'plateau' | 'overfitting' | 'spike' | 'healthy';

/** How much a finding matters: `'info'` (healthy), then `'low'`, `'medium'`, `'high'`. */
export type Severity = 'info' | 'low' | 'medium' | 'high';

/** One statistic behind a finding, with the threshold it was compared with. */
export interface Evidence {
  readonly name: string;
  readonly value: number;
  /** The option's value it was compared with, when there is one. */
  readonly threshold?: number | undefined;
  readonly description: string;
}

/** What to change: a sentence, the changes as data, and the changed schedule when the base is known. */
export interface Recommendation {
  readonly text: string;
  readonly changes: readonly ScheduleChange[];
  /** The base schedule with the schedule changes applied (`applyScheduleChanges`); absent when the base is unknown or nothing in it changes. */
  readonly schedule?: ScheduleSpec | undefined;
}

/** One thing the advisor read in a history. */
export interface Finding {
  readonly kind: FindingKind;
  readonly severity: Severity;
  /** The steps it concerns (inclusive). */
  readonly steps: { readonly from: number; readonly to: number };
  /** What was seen, in one sentence. */
  readonly summary: string;
  readonly evidence: readonly Evidence[];
  readonly recommendation: Recommendation;
}

/** A finding before the recommended schedule is built from the base. */
export type DraftFinding = Omit<Finding, 'recommendation'> & {
  readonly recommendation: Omit<Recommendation, 'schedule'>;
};
