import { StepsizeError } from '../errors.js';

/** What early stopping watches: a regular evaluation's validation loss or accuracy, or the mean training loss since the previous one. */
export type MonitoredMetric = 'validationLoss' | 'validationAccuracy' | 'trainingLoss';

/** Options of early stopping (see `train`). */
export interface EarlyStoppingOptions {
  /** The metric; accuracy is maximized, losses minimized. */
  readonly monitor: MonitoredMetric;
  /** Regular evaluations without an improvement before training stops (Keras `patience`). */
  readonly patience: number;
  /** An improvement must beat the best value by more than this. Default 0. */
  readonly minDelta?: number | undefined;
  /** At the end, put back the parameters of the best evaluation (Keras `restore_best_weights`). Default false. */
  readonly restoreBest?: boolean | undefined;
}

/** Early stopping's progress: plain data, part of a checkpoint. */
export interface EarlyStoppingState {
  /** The best value so far (null before the first evaluation). */
  readonly best: number | null;
  /** The update count at the best evaluation (-1 before the first). */
  readonly bestStep: number;
  /** Evaluations since the best one. */
  readonly waited: number;
  /** The parameters at the best evaluation (with `restoreBest`). */
  readonly bestParams?: Readonly<Record<string, readonly number[]>> | undefined;
}

const MONITORS: readonly MonitoredMetric[] = ['validationLoss', 'validationAccuracy', 'trainingLoss'];

/** Checks early-stopping options (errors name `train options.earlyStopping.<field>`). */
export function readEarlyStopping(
  options: EarlyStoppingOptions,
  hasValidation: boolean,
): Required<Omit<EarlyStoppingOptions, 'minDelta' | 'restoreBest'>> & { minDelta: number; restoreBest: boolean } {
  const where = 'train options.earlyStopping';
  if (typeof options !== 'object' || options === null)
    throw new StepsizeError(where, 'must be an object { monitor, patience, minDelta?, restoreBest? }', options);
  if (!MONITORS.includes(options.monitor))
    throw new StepsizeError(
      `${where}.monitor`,
      `must be one of ${MONITORS.join(', ')}, got ${JSON.stringify(options.monitor)}`,
      options.monitor,
    );
  if (options.monitor !== 'trainingLoss' && !hasValidation) {
    throw new StepsizeError(`${where}.monitor`, `is ${JSON.stringify(options.monitor)} but no validation data was given`, options.monitor);
  }
  if (!Number.isSafeInteger(options.patience) || options.patience < 1) {
    throw new StepsizeError(
      `${where}.patience`,
      `must be an integer >= 1 (evaluations), got ${String(options.patience)}`,
      options.patience,
    );
  }
  const minDelta = options.minDelta ?? 0;
  if (typeof minDelta !== 'number' || !Number.isFinite(minDelta) || minDelta < 0) {
    throw new StepsizeError(`${where}.minDelta`, `must be a finite number >= 0, got ${String(minDelta)}`, minDelta);
  }
  const restoreBest = options.restoreBest ?? false;
  if (typeof restoreBest !== 'boolean')
    throw new StepsizeError(`${where}.restoreBest`, `must be true or false, got ${String(restoreBest)}`, restoreBest);
  return { monitor: options.monitor, patience: options.patience, minDelta, restoreBest };
}

/** A fresh early-stopping state. */
export const initialEarlyStopping: EarlyStoppingState = { best: null, bestStep: -1, waited: 0 };

/**
 * One regular evaluation's verdict: whether `value` improves on the best (by more
 * than `minDelta`; a non-finite value never does), and the next state.
 */
export function observeEarlyStopping(
  state: EarlyStoppingState,
  options: { readonly monitor: MonitoredMetric; readonly minDelta: number },
  value: number,
  step: number,
): { readonly improved: boolean; readonly state: EarlyStoppingState } {
  const maximize = options.monitor === 'validationAccuracy';
  const improved =
    Number.isFinite(value) &&
    (state.best === null || (maximize ? value > state.best + options.minDelta : value < state.best - options.minDelta));
  if (improved) return { improved, state: { best: value, bestStep: step, waited: 0 } };
  return { improved, state: { ...state, waited: state.waited + 1 } };
}
