import { StepsizeError } from '../errors.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { optimizerFromJSON } from '../optimizers/spec.js';
import { float32Ops } from '../optimizers/float32-ops.js';
import { mapRecord, stateFromJSON } from '../optimizers/state.js';
import { compileOptimizer, isNonFiniteGradientError } from '../optimizers/step.js';
import { fail } from '../schedules/options.js';
import type { Awaitable, TrainingBackend } from './backend.js';
import {
  CHECKPOINT_FORMAT,
  type Checkpoint,
  checkCheckpointFinite,
  checkCheckpointFits,
  type LoopState,
  readCheckpoint,
  readNestedCheckpoint,
} from './checkpoint.js';
import { BatchSampler, type Dataset, datasetWidths } from './data.js';
import {
  type EarlyStoppingOptions,
  type EarlyStoppingState,
  initialEarlyStopping,
  observeEarlyStopping,
  readEarlyStopping,
} from './early-stopping.js';
import {
  type GuardAction,
  type GuardDecision,
  type GuardSession,
  type GuardSnapshot,
  planGuardAction,
  readGuard,
  type TrainingGuard,
} from './guard.js';
import { type AccuracyRule, classificationAccuracy, MetricFeeder } from './metrics.js';

/** What the loop records for every optimizer update. */
export interface StepRecord {
  /** The update's index: updates done before it (0 for the first). */
  readonly step: number;
  /** The epoch of the update's last batch. */
  readonly epoch: number;
  /** Batches drawn so far, this update's included (micro-batches and skipped batches count). */
  readonly batches: number;
  /** Mean training loss of the update's batches (its micro-batches when accumulating). */
  readonly loss: number;
  /** "The learning rate" of the update (core's definition: the optimizer's first group's). */
  readonly learningRate: number;
  /** The learning rate of every parameter group, in group order (the default group last). */
  readonly learningRates: readonly number[];
  /** L2 norm of the gradients, averaged over the update's micro-batches. */
  readonly gradientNorm: number;
  /** Batches skipped so far (non-finite gradients under `nonFinite: 'skip'`). */
  readonly skipped: number;
  /** Milliseconds since `train` started. */
  readonly time: number;
}

/** An evaluation on the validation data. */
export interface EvaluationRecord {
  /** Updates done when it ran. */
  readonly step: number;
  readonly loss: number;
  /** Share of correct predictions (when an accuracy rule applies). */
  readonly accuracy: number | undefined;
  /** Milliseconds since `train` started. */
  readonly time: number;
  /** True for the evaluation at the end of a run that is not on the `evaluateEvery` grid (it feeds no schedule and no early stopping). */
  readonly final: boolean;
}

/** When `train` writes checkpoints, and where to. */
export interface CheckpointOptions {
  /** Updates between checkpoints. */
  readonly every: number;
  /** Receives each checkpoint (awaited); `checkpointWriter(path)` from `@stepsize/core/node` writes it to a file atomically. */
  readonly save: (checkpoint: Checkpoint) => Awaitable<void>;
}

/** Options of {@link train}. */
export interface TrainOptions {
  /** The stack: any adapter's training backend (`engineTrainingBackend`, `tfjsTrainingBackend`, `onnxruntimeTrainingBackend`). */
  readonly backend: TrainingBackend;
  /** The optimizer, schedules included (required unless resuming: a checkpoint brings its own, with schedule state). */
  readonly optimizer?: Optimizer | undefined;
  readonly data: Dataset;
  /** Held-out data: evaluated every `evaluateEvery` updates and at the end. */
  readonly validation?: Dataset | undefined;
  /** Examples per batch (the last partial batch of an epoch is dropped). */
  readonly batchSize: number;
  /** Train until this many optimizer updates are done (counting those before a resume). Give `steps` or `epochs`. */
  readonly steps?: number | undefined;
  /** Train until this many epochs of batches are drawn (counting those before a resume). Give `steps` or `epochs`. */
  readonly epochs?: number | undefined;
  /** Seed of the per-epoch shuffles. Default 0. */
  readonly seed?: number | undefined;
  /** Updates between regular evaluations (validation, plateau metric, early stopping). Default: the updates of one epoch. */
  readonly evaluateEvery?: number | undefined;
  /** The metric fed to metric-driven schedules at regular evaluations. Default `'validation'` with validation data, else `'training'` (the mean training loss since the previous evaluation). */
  readonly plateauMetric?: 'validation' | 'training' | undefined;
  /** How validation outputs are scored. Default: the backend's rule for its loss (`'argmax'` for softmax cross-entropy); `'none'` skips accuracy. */
  readonly accuracy?: AccuracyRule | 'none' | undefined;
  /** Stop when a monitored metric stops improving (Keras `EarlyStopping`). */
  readonly earlyStopping?: EarlyStoppingOptions | undefined;
  /**
   * Checkpoints every `every` updates, handed to `save` (awaited). A run whose parameters or
   * optimizer state went non-finite (`nonFinite: 'propagate'`) stops with a {@link StepsizeError}
   * naming the first bad value instead of saving it (see `checkCheckpointFinite`).
   */
  readonly checkpoint?: CheckpointOptions | undefined;
  /**
   * Continue a run from a checkpoint (an object from a previous run or `readCheckpoint`, or its JSON text), on any
   * backend with the same parameters. The whole checkpoint is validated first (`readCheckpoint`): a refused one
   * leaves the backend's parameters and optimizer state as they were.
   */
  readonly resumeFrom?: Checkpoint | string | undefined;
  /** Called after every update. */
  readonly onStep?: ((record: StepRecord) => void) | undefined;
  /** Called after every evaluation. */
  readonly onEvaluate?: ((record: EvaluationRecord) => void) | undefined;
  /** Stops the run after the current batch (the result says `'aborted'`). */
  readonly signal?: AbortSignal | undefined;
  /** Skipped batches in a row that stop training with an error (with a guard: a rollback). Default: one epoch's batches. */
  readonly maxConsecutiveSkips?: number | undefined;
  /**
   * Acts on the loss online (`lossGuard()` from `@stepsize/core/advisor`): it keeps snapshots of
   * the parameters and optimizer state every `snapshotEvery` updates; when its detectors see a
   * spike or divergence (a non-finite loss or gradient, or `maxConsecutiveSkips` skipped
   * batches, included), the run goes back to the newest snapshot taken before the trouble,
   * with every learning rate multiplied by `rollbackFactor` (at most `maxRollbacks` times; the
   * next trouble ends the run at that snapshot, `stopReason: 'guard'`), and draws on with the
   * next batches (the ones after the snapshot are not replayed). On a plateau at a constant
   * rate it multiplies the rate by `plateauFactor`. The updates a rollback undoes leave the
   * history; every action is in `guardActions` and, with the snapshots, in each checkpoint, so
   * a resumed run (given the same guard) acts exactly the same.
   */
  readonly guard?: TrainingGuard | undefined;
  /** Called after each action of the guard. */
  readonly onGuardAction?: ((action: GuardAction) => void) | undefined;
}

/** What {@link train} returns. */
export interface TrainResult {
  /** One record per update of this run. */
  readonly history: StepRecord[];
  readonly evaluations: EvaluationRecord[];
  /** Why the run ended. */
  readonly stopReason: 'completed' | 'earlyStopping' | 'aborted' | 'guard';
  /** What the guard did, in order (counting those before a resume); empty without a guard. */
  readonly guardActions: readonly GuardAction[];
  /** Updates done (counting those before a resume). */
  readonly step: number;
  /** Batches drawn (counting those before a resume). */
  readonly batches: number;
  /** Batches skipped (counting those before a resume). */
  readonly skipped: number;
  /** With early stopping: the best value of the monitored metric and its update count (null before any evaluation). */
  readonly best: { readonly step: number; readonly value: number } | null;
  /** The optimizer that trained (the checkpoint's when resuming), its schedules' state current. */
  readonly optimizer: Optimizer;
  /** A checkpoint of the run's end (the backend's current parameters and state). */
  checkpoint(): Promise<Checkpoint>;
}

const where = 'train options';

function positiveInteger(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new StepsizeError(`${where}.${name}`, `must be an integer >= 1, got ${String(value)}`, value);
  }
  return value as number;
}

const jsonNumber = (value: number): number => (Number.isFinite(value) ? value : (null as unknown as number));

/**
 * The one training loop, for every backend: seeded per-epoch shuffles; gradient
 * accumulation over distinct micro-batches; the non-finite policy (a skipped batch
 * is counted and training moves on to the next); metric-driven schedules fed with
 * the gradient norm of every backward pass and, at each regular evaluation, the
 * validation (or training) loss; evaluation every `evaluateEvery` updates and at
 * the end; early stopping with an optional restore of the best parameters;
 * backend-independent checkpoints with exact resume (a run resumed from a
 * checkpoint continues bit for bit, on the same backend or another one with the
 * same parameters); per-update history; progress through `onStep`.
 *
 * @example
 * ```ts
 * const backend = await engineTrainingBackend({ mlp: { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 } });
 * const result = await train({
 *   backend, data, validation, batchSize: 16, steps: 300,
 *   optimizer: adamW({ learningRate: warmup({ steps: 30, schedule: cosineAnnealing({ initialValue: 0.01, steps: 270 }) }) }),
 * });
 * result.history.at(-1)?.loss;
 * ```
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  if (typeof options !== 'object' || options === null) throw new StepsizeError(where, 'must be an options object', options);
  const { backend, data, validation, onStep, onEvaluate, signal } = options;
  if (typeof backend !== 'object' || backend === null || typeof backend.lossAndGradients !== 'function') {
    throw new StepsizeError(
      `${where}.backend`,
      'must be a training backend (engineTrainingBackend, tfjsTrainingBackend or onnxruntimeTrainingBackend)',
      backend,
    );
  }
  const batchSize = positiveInteger(options.batchSize, 'batchSize');
  if ((options.steps === undefined) === (options.epochs === undefined)) {
    throw new StepsizeError(where, 'must give exactly one of steps (updates) and epochs', { steps: options.steps, epochs: options.epochs });
  }
  const steps = options.steps === undefined ? undefined : positiveInteger(options.steps, 'steps');
  const epochs = options.epochs === undefined ? undefined : positiveInteger(options.epochs, 'epochs');
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new StepsizeError(`${where}.seed`, `must be an integer, got ${String(seed)}`, seed);
  const widths = datasetWidths(data, `${where}.data`, backend.exampleWidths);
  if (validation !== undefined) datasetWidths(validation, `${where}.validation`, widths);
  if (batchSize > data.examples) {
    throw new StepsizeError(`${where}.batchSize`, `must be at most the number of examples (${data.examples}), got ${batchSize}`, batchSize);
  }
  if (signal !== undefined && !(typeof signal === 'object' && typeof signal.aborted === 'boolean')) {
    throw new StepsizeError(`${where}.signal`, 'must be an AbortSignal', signal);
  }
  const checkpointOptions = options.checkpoint;
  if (checkpointOptions !== undefined) {
    positiveInteger(checkpointOptions.every, 'checkpoint.every');
    if (typeof checkpointOptions.save !== 'function')
      throw new StepsizeError(`${where}.checkpoint.save`, 'must be a function (checkpoint) => void', checkpointOptions.save);
  }
  const rule = options.accuracy ?? backend.accuracy?.rule ?? 'none';
  if (!['argmax', 'binary', 'none'].includes(rule))
    throw new StepsizeError(`${where}.accuracy`, `must be 'argmax', 'binary' or 'none', got ${JSON.stringify(rule)}`, rule);

  // Everything about a resume is checked before the backend is touched (readCheckpoint checks its
  // values, counters and that its optimizer state fits its parameters): a bad checkpoint changes nothing.
  const resumeFrom: unknown = options.resumeFrom;
  if (resumeFrom !== undefined && typeof resumeFrom !== 'string' && (typeof resumeFrom !== 'object' || resumeFrom === null)) {
    fail(`${where}.resumeFrom`, 'must be a checkpoint (an object, or its JSON text)', resumeFrom);
  }
  const resume = resumeFrom === undefined ? undefined : readCheckpoint(resumeFrom);
  if (resume) {
    if (resume.seed !== seed || resume.batchSize !== batchSize) {
      throw new StepsizeError(
        'checkpoint',
        `was written with seed ${resume.seed} and batchSize ${resume.batchSize}; resume with the same (got ${seed}, ${batchSize})`,
        { seed: resume.seed, batchSize: resume.batchSize },
      );
    }
    checkCheckpointFits(resume, backend.parameterShapes, backend.name);
  } else if (options.optimizer === undefined || typeof options.optimizer?.toJSON !== 'function') {
    throw new StepsizeError(`${where}.optimizer`, 'must be a stepsize optimizer, e.g. adamW({ learningRate: 1e-3 })', options.optimizer);
  }
  const guard = options.guard === undefined ? undefined : readGuard(options.guard, `${where}.guard`);
  if (resume?.loop.guard !== undefined && guard === undefined) {
    throw new StepsizeError(
      'checkpoint.loop.guard',
      'is present: the checkpoint was written by a guarded run; resume it with the same guard (train options.guard)',
      guard,
    );
  }
  let optimizer = resume ? optimizerFromJSON(resume.optimizer) : (options.optimizer as Optimizer);
  if (guard && optimizer.toJSON().learningRate === undefined) {
    throw new StepsizeError(`${where}.guard`, `needs an optimizer with a learningRate to cut (${optimizer.type} has none)`, optimizer.type);
  }
  const sampler = new BatchSampler({ data, batchSize, seed });
  const batchesPerEpoch = sampler.batchesPerEpoch;
  const updatesPerEpoch = Math.max(1, Math.floor(batchesPerEpoch / optimizer.accumulationSteps));
  const evaluateEvery = options.evaluateEvery === undefined ? updatesPerEpoch : positiveInteger(options.evaluateEvery, 'evaluateEvery');
  const maxConsecutiveSkips =
    options.maxConsecutiveSkips === undefined ? batchesPerEpoch : positiveInteger(options.maxConsecutiveSkips, 'maxConsecutiveSkips');
  const newFeeder = (): MetricFeeder =>
    new MetricFeeder({ optimizer, metric: options.plateauMetric, hasValidation: validation !== undefined, where });
  let feeder = newFeeder();
  const early = options.earlyStopping === undefined ? undefined : readEarlyStopping(options.earlyStopping, validation !== undefined);
  const totalUpdates = steps ?? (epochs === undefined ? undefined : Math.floor((epochs * batchesPerEpoch) / optimizer.accumulationSteps));
  // A resumed guard state is checked here, before the backend is touched.
  const keeper = guard?.start(resume?.loop.guard, {
    step: resume?.step ?? 0,
    totalUpdates,
    params: resume?.params ?? {},
    readCheckpoint: readNestedCheckpoint,
  });

  await backend.setOptimizer(optimizer);
  let step = 0;
  let cursor = 0;
  let skipped = 0;
  let consecutiveSkips = 0;
  let earlyState: EarlyStoppingState = initialEarlyStopping;
  let cycle = { lossSum: 0, normSum: 0, batches: 0 };
  if (resume) {
    const values: Record<string, readonly number[]> = Object.fromEntries(
      Object.entries(resume.params).map(([name, parameter]) => [name, parameter.values]),
    );
    await backend.writeOptimizerState(resume.optimizerState);
    await backend.writeParameters(values);
    step = resume.optimizerState.step;
    skipped = resume.optimizerState.skipped;
    cursor = resume.batches;
    consecutiveSkips = resume.loop.consecutiveSkips;
    earlyState = resume.loop.earlyStopping ?? initialEarlyStopping;
    cycle = { ...(resume.loop.cycle ?? cycle) };
    feeder.restore(resume.loop);
  }

  const start = performance.now();
  const history: StepRecord[] = [];
  const evaluations: EvaluationRecord[] = [];
  let stopReason: TrainResult['stopReason'] = 'completed';

  /** The backend's parameters, `y`, while it holds schedule-free's `x` (at the end of a run). */
  let trainingParams: Record<string, Float32Array> | undefined;
  /**
   * The parameters to evaluate at for an optimizer that trains elsewhere (schedule-free's
   * `x`, computed with core's host float32 ops from `y` and the optimizer state), else undefined.
   */
  const evaluationParams = async (params: Record<string, Float32Array>): Promise<Record<string, Float32Array> | undefined> => {
    if (optimizer.definition.math.evaluate === undefined) return undefined;
    const state = stateFromJSON(await backend.readOptimizerState(), (values) => Float32Array.from(values));
    return compileOptimizer(optimizer).evaluationParams(float32Ops, params, state);
  };
  const makeCheckpoint = async (withGuard = true): Promise<Checkpoint> => {
    const params = trainingParams ?? (await backend.readParameters());
    const evaluation = await evaluationParams(params);
    const loop: LoopState = {
      lossSum: jsonNumber(feeder.state.lossSum),
      lossCount: feeder.state.lossCount,
      consecutiveSkips,
      ...(cycle.batches > 0 && {
        cycle: { lossSum: jsonNumber(cycle.lossSum), normSum: jsonNumber(cycle.normSum), batches: cycle.batches },
      }),
      ...(early && { earlyStopping: earlyState }),
      ...(keeper && withGuard && { guard: keeper.state() }),
    };
    const checkpoint: Checkpoint = {
      format: CHECKPOINT_FORMAT,
      step,
      batches: cursor,
      seed,
      batchSize,
      params: Object.fromEntries(
        Object.entries(params).map(([name, values]) => [
          name,
          { shape: [...(backend.parameterShapes[name] ?? [values.length])], values: Array.from(values) },
        ]),
      ),
      optimizer: optimizer.toJSON(),
      optimizerState: await backend.readOptimizerState(),
      loop,
      ...(evaluation && { evaluationParams: mapRecord(evaluation, (values) => Array.from(values)) }),
      backend: backend.name,
    };
    // A diverged run (nonFinite: 'propagate') is refused here, naming the first bad value: JSON would write null.
    checkCheckpointFinite(checkpoint);
    return checkpoint;
  };

  /** Evaluates at `x` for schedule-free (swapped in, then `y` back), at the parameters otherwise. */
  const evaluateBackend = async (data: Dataset) => {
    if (trainingParams !== undefined || optimizer.definition.math.evaluate === undefined) return backend.evaluate(data);
    const params = await backend.readParameters();
    await backend.writeParameters((await evaluationParams(params)) as Record<string, Float32Array>);
    try {
      return await backend.evaluate(data);
    } finally {
      await backend.writeParameters(params);
    }
  };
  const evaluate = async (final: boolean): Promise<EvaluationRecord | undefined> => {
    if (validation === undefined) return undefined;
    const result = await evaluateBackend(validation);
    const accuracy =
      rule === 'none' || result.outputs === undefined
        ? undefined
        : classificationAccuracy({
            outputs: result.outputs,
            targets: validation.targets,
            examples: validation.examples,
            rule,
            threshold: backend.accuracy?.threshold,
          });
    const record: EvaluationRecord = { step, loss: result.loss, accuracy, time: performance.now() - start, final };
    evaluations.push(record);
    onEvaluate?.(record);
    return record;
  };

  /** Goes back to a guard snapshot, with the optimizer the plan rescaled. */
  const restoreSnapshot = async (snapshot: GuardSnapshot, rescaled: Optimizer): Promise<void> => {
    const saved = snapshot.checkpoint;
    optimizer = rescaled;
    await backend.setOptimizer(optimizer);
    await backend.writeOptimizerState(saved.optimizerState);
    await backend.writeParameters(Object.fromEntries(Object.entries(saved.params).map(([name, parameter]) => [name, parameter.values])));
    step = saved.step;
    skipped = saved.optimizerState.skipped;
    consecutiveSkips = 0;
    earlyState = saved.loop.earlyStopping ?? initialEarlyStopping;
    cycle = { lossSum: 0, normSum: 0, batches: 0 };
    feeder = newFeeder();
    feeder.restore(saved.loop);
    const kept = history.findIndex((record) => record.step >= saved.step);
    if (kept >= 0) history.length = kept;
    const evaluated = evaluations.findIndex((record) => record.step > saved.step);
    if (evaluated >= 0) evaluations.length = evaluated;
  };

  /** Does what the guard decided (core's rules, `planGuardAction`); true when the run must stop. */
  const act = async (decision: GuardDecision): Promise<boolean> => {
    const session = keeper as GuardSession;
    const at = { step, batches: cursor };
    const plan = planGuardAction({ session, settings: (guard as TrainingGuard).settings, decision, step, optimizer });
    if (plan === undefined) return false;
    if (plan.action === 'reduce') {
      const state = await backend.readOptimizerState();
      const running = feeder.state;
      optimizer = plan.optimizer;
      await backend.setOptimizer(optimizer);
      await backend.writeOptimizerState(state);
      feeder = newFeeder();
      feeder.restore(running);
    } else await restoreSnapshot(plan.snapshot, plan.optimizer);
    const record = session.acted(decision, plan.action, { ...at, toStep: step }, plan.factor);
    options.onGuardAction?.(record);
    return plan.action === 'stop';
  };

  /** The guard's decision for a divergence the loop sees itself (a non-finite gradient, too many skipped batches). */
  const diverged = (summary: string, evidence: GuardDecision['evidence']): GuardDecision => ({
    action: 'rollback',
    reason: 'diverging',
    from: step,
    summary,
    evidence,
  });

  if (keeper && !keeper.hasSnapshot) keeper.addSnapshot(await makeCheckpoint(false));

  const done = (): boolean => (steps !== undefined ? step >= steps : cursor >= (epochs as number) * batchesPerEpoch);
  while (!done()) {
    if (signal?.aborted) {
      stopReason = 'aborted';
      break;
    }
    const batch = sampler.batch(cursor);
    cursor += 1;
    const backward = await backend.lossAndGradients(batch);
    feeder.gradientNorm(step, backward.gradientNorm);
    let report: Awaited<ReturnType<TrainingBackend['applyGradients']>>;
    try {
      report = await backend.applyGradients(backward.gradients);
    } catch (error) {
      // With a guard, a non-finite gradient (nonFinite: 'throw', which changed nothing) is divergence: roll back.
      if (!keeper || !isNonFiniteGradientError(error)) throw error;
      const summary = `A gradient of update ${step} (batch ${cursor - 1}) was not finite (${(error as Error).message}).`;
      if (await act(diverged(summary, [{ name: 'gradientNorm', value: backward.gradientNorm }]))) {
        stopReason = 'guard';
        break;
      }
      continue;
    }
    if (report.outcome === 'skipped') {
      skipped += 1;
      consecutiveSkips += 1;
      if (keeper && consecutiveSkips >= maxConsecutiveSkips) {
        const summary = `${consecutiveSkips} batches in a row gave non-finite gradients (the last at batch ${cursor - 1}, update ${step}).`;
        if (await act(diverged(summary, [{ name: 'consecutiveSkips', value: consecutiveSkips, threshold: maxConsecutiveSkips }]))) {
          stopReason = 'guard';
          break;
        }
        continue;
      }
      if (consecutiveSkips >= maxConsecutiveSkips) {
        throw new StepsizeError(
          'train',
          `skipped ${consecutiveSkips} batches in a row (non-finite gradients; the last at batch ${cursor - 1}, update ${step}): the model has diverged or the data holds NaN. Lower the learning rate, check the data, or resume from a checkpoint`,
          consecutiveSkips,
        );
      }
      continue;
    }
    consecutiveSkips = 0;
    cycle.lossSum += backward.loss;
    cycle.normSum += backward.gradientNorm;
    cycle.batches += 1;
    if (report.outcome === 'accumulated') continue;
    const record: StepRecord = {
      step,
      epoch: batch.epoch,
      batches: cursor,
      loss: cycle.lossSum / cycle.batches,
      learningRate: report.learningRate ?? Number.NaN,
      learningRates: report.learningRates ?? [],
      gradientNorm: cycle.normSum / cycle.batches,
      skipped,
      time: performance.now() - start,
    };
    step = report.step;
    cycle = { lossSum: 0, normSum: 0, batches: 0 };
    history.push(record);
    onStep?.(record);
    const decision = keeper?.observe(record.step, record.loss, record.learningRate);
    if (decision) {
      const stopped = await act(decision);
      if (stopped) {
        stopReason = 'guard';
        break;
      }
      if (decision.action === 'rollback') continue;
    }
    feeder.loss(record.loss);
    let stop = false;
    if (step % evaluateEvery === 0) {
      const trainingLoss = feeder.state.lossCount > 0 ? feeder.state.lossSum / feeder.state.lossCount : Number.NaN;
      const evaluation = await evaluate(false);
      feeder.evaluated(step, evaluation?.loss);
      if (early) {
        const value =
          early.monitor === 'trainingLoss' ? trainingLoss : early.monitor === 'validationLoss' ? evaluation?.loss : evaluation?.accuracy;
        const observed = observeEarlyStopping(earlyState, early, value ?? Number.NaN, step);
        earlyState = observed.state;
        if (observed.improved && early.restoreBest) {
          const current = await backend.readParameters();
          // The best parameters are the evaluated ones (schedule-free: x).
          const params = (await evaluationParams(current)) ?? current;
          earlyState = {
            ...earlyState,
            bestParams: Object.fromEntries(Object.entries(params).map(([name, values]) => [name, Array.from(values)])),
          };
        }
        stop = earlyState.waited >= early.patience;
      }
    }
    if (keeper && step % (guard as TrainingGuard).settings.snapshotEvery === 0) keeper.addSnapshot(await makeCheckpoint(false));
    if (checkpointOptions && step % checkpointOptions.every === 0) await checkpointOptions.save(await makeCheckpoint());
    if (stop) {
      stopReason = 'earlyStopping';
      break;
    }
  }
  const restore = early?.restoreBest === true && earlyState.bestParams !== undefined && earlyState.bestStep !== step;
  if (restore) await backend.writeParameters(earlyState.bestParams as Readonly<Record<string, readonly number[]>>);
  else if (optimizer.definition.math.evaluate !== undefined) {
    // Schedule-free ends at x, what evaluate, predict and save need; checkpoints keep y (and x).
    const params = await backend.readParameters();
    const evaluation = await evaluationParams(params);
    trainingParams = params;
    await backend.writeParameters(evaluation as Record<string, Float32Array>);
  }
  if (validation !== undefined && (restore || evaluations.at(-1)?.step !== step)) await evaluate(true);
  return {
    history,
    evaluations,
    stopReason,
    guardActions: keeper ? [...keeper.actions] : [],
    step,
    batches: cursor,
    skipped,
    best: early && earlyState.best !== null ? { step: earlyState.bestStep, value: earlyState.best } : null,
    optimizer,
    checkpoint: makeCheckpoint,
  };
}
