import {
  CHECKPOINT_FORMAT,
  type Checkpoint,
  type GuardAction,
  type GuardDecision,
  type GuardSession,
  optimizerFromJSON,
  planGuardAction,
  StepsizeError,
  type TrainingGuard,
} from '@stepsize/core';
import { lossGuard } from '@stepsize/core/advisor';
import * as tf from '@tensorflow/tfjs-core';
import { Callback, type Logs } from '@tensorflow/tfjs-layers';
import { loggedNumber } from '../tfjs/logs.js';
import { StepsizeOptimizer } from '../optimizer.js';

/** Options of {@link fitGuard}. */
export interface FitGuardOptions {
  /** The detectors and their numbers. Default `lossGuard()` from `@stepsize/core/advisor`. */
  readonly guard?: TrainingGuard | undefined;
  /** Called after each action. */
  readonly onAction?: ((action: GuardAction) => void) | undefined;
  /**
   * Continue a guarded run: what `state()` returned at the end of an earlier `fit` (or its
   * JSON text), with the model's weights and the optimizer's state restored as they were
   * then. The guard then acts exactly as it would have in one uninterrupted run.
   */
  readonly resumeFrom?: unknown;
}

/** What {@link FitGuardCallback.state} returns: the guard's session and the callback's counters. */
export interface FitGuardState {
  readonly format: 'stepsize-fit-guard/1';
  readonly session: unknown;
  readonly batches: number;
  readonly skips: number;
}

/** What a compiled `LayersModel` has that the guard uses. */
interface GuardedModel {
  optimizer?: tf.Optimizer;
  stopTraining: boolean;
  readonly weights: readonly { readonly name: string; readonly shape: readonly (number | null)[] }[];
  getWeights(): tf.Tensor[];
  setWeights(weights: tf.Tensor[]): void;
}

/**
 * Reads a snapshot of a resumed fit guard: its weights by position (`weight0`, ...) with their
 * shapes and finite values, and its optimizer spec. The optimizer state is checked against
 * the model's variables when a rollback restores it (`useOptimizer`).
 */
function readSnapshot(input: unknown, path: string): Checkpoint {
  const snapshot = input as Partial<Checkpoint> | null;
  if (typeof snapshot !== 'object' || snapshot === null || snapshot.format !== CHECKPOINT_FORMAT || typeof snapshot.params !== 'object') {
    throw new StepsizeError(path, 'must be a snapshot the fit guard wrote', input);
  }
  for (const [name, parameter] of Object.entries(snapshot.params ?? {})) {
    const values = (parameter as { values?: unknown }).values;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new StepsizeError(`${path}.params.${name}.values`, 'must be an array of finite numbers', values);
    }
  }
  try {
    optimizerFromJSON(snapshot.optimizer);
  } catch (error) {
    throw new StepsizeError(`${path}.optimizer`, `is not an optimizer spec (${(error as Error).message})`, snapshot.optimizer, {
      cause: error,
    });
  }
  return snapshot as Checkpoint;
}

/**
 * `train()`'s guard for `model.fit`: a callback that reads each batch's loss with the guard's
 * detectors (`lossGuard()`), keeps snapshots of the model's weights and the
 * {@link StepsizeOptimizer}'s state, and on a spike or divergence puts the newest good
 * snapshot back with every learning rate cut (`useOptimizer(scaleLearningRate(...))`); `fit`
 * goes on with its next batches. On a plateau it cuts the rate in place; after
 * `maxRollbacks` the next trouble restores the last good snapshot and stops `fit`
 * (`model.stopTraining`). The model must be compiled with a `StepsizeOptimizer`; use its
 * `nonFinite: 'skip'` or `'propagate'` (the default `'throw'` ends `fit` with the error
 * before a callback runs): skipped batches a window long, or a non-finite loss, count as
 * divergence. Actions are in `actions` (and `onAction`). Callbacks run after tfjs has
 * read the batch loss back, so the guard costs one weight copy per snapshot. Each epoch's logs (and so `model.fit`'s
 * `History`) get `guardActions` (actions so far) and `learningRateScale`; `state()` is the
 * guard's JSON state, which `resumeFrom` continues.
 *
 * @example
 * ```ts
 * const guard = fitGuard();
 * await model.fit(x, y, { batchSize: 16, epochs: 20, callbacks: [guard] });
 * guard.actions; // [{ action: 'rollback', reason: 'spike', step: 311, toStep: 300, learningRateScale: 0.5, ... }]
 * ```
 */
export function fitGuard(options: FitGuardOptions = {}): FitGuardCallback {
  if (typeof options !== 'object' || options === null) throw new StepsizeError('fitGuard options', 'must be an options object', options);
  const guard = options.guard ?? lossGuard();
  if (typeof guard?.start !== 'function' || typeof guard.settings !== 'object') {
    throw new StepsizeError('fitGuard options.guard', 'must be a guard, e.g. lossGuard() from @stepsize/core/advisor', guard);
  }
  if (options.onAction !== undefined && typeof options.onAction !== 'function') {
    throw new StepsizeError('fitGuard options.onAction', 'must be a function (action) => void', options.onAction);
  }
  let resume: FitGuardState | undefined;
  if (options.resumeFrom !== undefined) {
    let saved = options.resumeFrom;
    if (typeof saved === 'string') {
      try {
        saved = JSON.parse(saved);
      } catch (error) {
        throw new StepsizeError('fitGuard options.resumeFrom', `is not valid JSON (${(error as Error).message})`, saved);
      }
    }
    const state = saved as Partial<FitGuardState> | null;
    const count = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
    if (
      typeof state !== 'object' ||
      state === null ||
      state.format !== 'stepsize-fit-guard/1' ||
      !count(state.batches) ||
      !count(state.skips)
    ) {
      throw new StepsizeError(
        'fitGuard options.resumeFrom',
        "must be what a fitGuard's state() returned ({ format: 'stepsize-fit-guard/1', ... })",
        saved,
      );
    }
    resume = state as FitGuardState;
  }
  return new FitGuardCallback(guard, options.onAction, resume);
}

/** The callback {@link fitGuard} returns. */
export class FitGuardCallback extends Callback {
  private session: GuardSession | undefined;
  private skips = 0;
  private batches = 0;
  /** Snapshots taken before the optimizer had a state (restoring one starts a fresh state). */
  private readonly fresh = new WeakSet<Checkpoint>();

  constructor(
    private readonly guard: TrainingGuard,
    private readonly onAction: ((action: GuardAction) => void) | undefined,
    private readonly resume: FitGuardState | undefined,
  ) {
    super();
  }

  /**
   * The guard's state as JSON data: its settings, cuts, actions, recent losses and
   * snapshots. Save it with the model and the optimizer's weights, and pass it as
   * `resumeFrom` to continue the run.
   */
  state(): FitGuardState {
    if (this.session === undefined)
      throw new StepsizeError('fitGuard state()', 'has nothing yet: call it after model.fit started', undefined);
    return { format: 'stepsize-fit-guard/1', session: this.session.state(), batches: this.batches, skips: this.skips };
  }

  /** What the guard did so far, in order. */
  get actions(): readonly GuardAction[] {
    return this.session?.actions ?? [];
  }

  private get fitted(): { model: GuardedModel; optimizer: StepsizeOptimizer } {
    const model = this.model as unknown as GuardedModel | undefined;
    const optimizer = model?.optimizer;
    if (model === undefined || !StepsizeOptimizer.is(optimizer)) {
      throw new StepsizeError(
        'fitGuard',
        `needs a model compiled with a StepsizeOptimizer (it cuts the rate and restores its state), got ${optimizer?.getClassName() ?? 'no optimizer'}`,
        undefined,
      );
    }
    return { model, optimizer };
  }

  private async snapshot(step: number): Promise<Checkpoint> {
    const { model, optimizer } = this.fitted;
    const weights = model.getWeights();
    const values = await Promise.all(weights.map((tensor) => tensor.data()));
    const state = await optimizer.readState();
    const params = Object.fromEntries(
      // By position: a model loaded again names its variables anew (dense_Dense2/kernel), in the same order.
      model.weights.map((_, i) => [
        `weight${i}`,
        { shape: [...(weights[i] as tf.Tensor).shape], values: Array.from(values[i] as Float32Array) },
      ]),
    );
    const checkpoint: Checkpoint = {
      format: CHECKPOINT_FORMAT,
      step,
      batches: this.batches,
      seed: 0,
      batchSize: 1,
      params,
      optimizer: optimizer.optimizer.toJSON(),
      optimizerState: state ?? { step, skipped: 0, microStep: 0, groups: [], params: {}, accumulated: {}, ema: {} },
      loop: { lossSum: 0, lossCount: 0, consecutiveSkips: 0 },
    };
    if (state === undefined) this.fresh.add(checkpoint);
    return checkpoint;
  }

  /** Starts the guard's session and takes the first snapshot (tfjs calls it). */
  override async onTrainBegin(): Promise<void> {
    if (!(this instanceof FitGuardCallback)) {
      throw new StepsizeError(
        'fitGuard',
        'was given to model.fit after a plain-object callback: put tf.Callback objects first or pass callbacks: fitCallbacks(...)',
        undefined,
      );
    }
    const { optimizer } = this.fitted;
    if (optimizer.optimizer.toJSON().learningRate === undefined) {
      throw new StepsizeError(
        'fitGuard',
        `needs an optimizer with a learningRate to cut (${optimizer.optimizer.type} has none)`,
        optimizer.optimizer.type,
      );
    }
    const { epochs, steps, samples, batchSize } = (this.params ?? {}) as {
      epochs?: number;
      steps?: number;
      samples?: number;
      batchSize?: number;
    };
    const perEpoch = steps ?? (samples && batchSize ? Math.ceil(samples / batchSize) : undefined);
    const step = (await optimizer.readState())?.step ?? 0;
    const params = this.resume === undefined ? {} : (await this.snapshot(step)).params;
    this.session = this.guard.start(this.resume?.session, {
      step,
      totalUpdates: epochs !== undefined && perEpoch !== undefined ? step + epochs * perEpoch : undefined,
      params,
      readCheckpoint: readSnapshot,
    });
    this.batches = this.resume?.batches ?? 0;
    this.skips = this.resume?.skips ?? 0;
    if (!this.session.hasSnapshot) this.session.addSnapshot(await this.snapshot(step));
  }

  /** Reads the batch's loss, acts on what the detectors decide, and takes the snapshots (tfjs calls it). */
  override async onBatchEnd(_batch: number, logs?: Logs): Promise<void> {
    const session = this.session;
    if (session === undefined) return;
    this.batches += 1;
    const { model, optimizer } = this.fitted;
    const report = optimizer.lastReport;
    const loss = await loggedNumber(logs, 'loss');
    if (report?.outcome === 'skipped') {
      this.skips += 1;
      if (this.skips < (this.guard.settings.window ?? 11)) return;
      const step = (await optimizer.readState())?.step ?? 0;
      const summary = `${this.skips} batches in a row gave non-finite gradients (update ${step}).`;
      await this.act(
        { action: 'rollback', reason: 'diverging', from: step, summary, evidence: [{ name: 'consecutiveSkips', value: this.skips }] },
        step,
        model,
        optimizer,
      );
      return;
    }
    if (report?.outcome !== 'updated') return;
    this.skips = 0;
    const decision = session.observe(report.step - 1, loss, report.learningRate ?? Number.NaN);
    if (decision) await this.act(decision, report.step, model, optimizer);
    else if (report.step % this.guard.settings.snapshotEvery === 0) session.addSnapshot(await this.snapshot(report.step));
  }

  /** Adds the guard's count of actions and its learning-rate multiplier to the epoch's logs (so to `model.fit`'s `History`). */
  override async onEpochEnd(_epoch: number, logs?: Logs): Promise<void> {
    if (logs === undefined || this.session === undefined) return;
    logs.guardActions = this.session.actions.length;
    logs.learningRateScale = this.session.learningRateScale;
  }

  private async act(decision: GuardDecision, step: number, model: GuardedModel, optimizer: StepsizeOptimizer): Promise<void> {
    const session = this.session as GuardSession;
    // Core's rules (the same as train()'s): what to restore, and the rescaled optimizer.
    const plan = planGuardAction({ session, settings: this.guard.settings, decision, step, optimizer: optimizer.optimizer });
    if (plan === undefined) return;
    let toStep = step;
    if (plan.action === 'reduce') await optimizer.useOptimizer(plan.optimizer);
    else {
      const saved = plan.snapshot.checkpoint;
      await optimizer.useOptimizer(plan.optimizer, this.fresh.has(saved) ? null : saved.optimizerState);
      const tensors = model.weights.map((_, i) => {
        const parameter = Object.values(saved.params)[i] as { shape?: readonly number[]; values: readonly number[] };
        return tf.tensor(parameter.values as number[], parameter.shape as number[], 'float32');
      });
      model.setWeights(tensors);
      tf.dispose(tensors);
      toStep = saved.step;
      this.skips = 0;
      if (plan.action === 'stop') model.stopTraining = true;
    }
    const record = session.acted(decision, plan.action, { step, batches: this.batches, toStep }, plan.factor);
    this.onAction?.(record);
  }
}
