import type { Ops } from '../optimizers/ops.js';
import { type OptimizerStateJSON, stateFromJSON } from '../optimizers/state.js';
import { compileOptimizer, isNonFiniteGradientError } from '../optimizers/step.js';
import { train } from '../training/train.js';
import { type FindLearningRateOptions, readFindOptions } from './find-options.js';
import { type FindLearningRateResult, type FindLearningRateStop, rangeTestRecorder } from './range-test.js';

export type { FindLearningRateResult, FindLearningRateStop } from './range-test.js';

// checkState reads element counts only (ops.size): enough to check a state's JSON against the parameters.
const sizes = { size: (x: ArrayLike<number>) => x.length } as unknown as Ops<ArrayLike<number>>;

/**
 * The learning-rate range test (Smith 2017, "Cyclical learning rates", §3.3; as fastai's
 * `lr_find` and torch-lr-finder's `range_test`) on your model and data, on any backend:
 * `train()` runs `steps` updates with the optimizer's learning rate replaced by the sweep
 * (`min · (max/min)^(t/(n−1))`, or linear; see `sweepSpec`), so batching, seeded
 * shuffles, accumulation and the non-finite policy are the loop's. The loss of every
 * update is smoothed (`lossSmoother`, β = `smoothing`); the test stops after the update
 * whose smoothed loss exceeds `divergence` × the best smoothed loss so far
 * (torch-lr-finder's rule) or is not finite. A non-finite gradient refused under
 * `nonFinite: 'throw'` (the default) also ends it, as `'notFinite'`; other errors are thrown.
 *
 * The backend is restored afterwards, also when the test throws or is aborted: its
 * parameters and optimizer state are read before and written back after, bit for bit.
 * It is left holding the test's optimizer (the `TrainingBackend` interface cannot give
 * back an earlier one; `train()` sets its own anyway) with the state it had before, or a
 * fresh state if it had none (`readOptimizerState` threw: no optimizer yet). Every option
 * is checked before anything changes (errors name `findLearningRate options.<option>` and
 * the bad value), and so is a state from an earlier run that `optimizer` could not take
 * back (another type, other groups).
 *
 * Suggestions are fastai's (fastai/callback/schedule.py; see `suggestLearningRates`),
 * on the smoothed curve trimmed as `lr_find` trims it; `valley` is the default.
 * Defaults: rates 1e-7 to 10 over 100 steps, exponential, smoothing 0.98 (fastai),
 * divergence 5 (torch-lr-finder), seed 0.
 *
 * @example
 * ```ts
 * const backend = await engineTrainingBackend({ mlp: { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 } });
 * const result = await findLearningRate({ backend, data, batchSize: 16, optimizer: adamW({ weightDecay: 0.01 }) });
 * result.suggestion?.learningRate; // fastai's valley
 * await train({ backend, data, batchSize: 16, steps: 300, optimizer: adamW({ learningRate: result.suggestion?.learningRate ?? 1e-3 }) });
 * ```
 */
export async function findLearningRate(options: FindLearningRateOptions): Promise<FindLearningRateResult> {
  const { training, smoothing, divergence } = readFindOptions(options);
  const { backend, steps } = training;
  const parameters = await backend.readParameters();
  let state: OptimizerStateJSON | undefined;
  try {
    state = await backend.readOptimizerState();
  } catch {
    state = undefined; // no optimizer yet: nothing to restore but the parameters
  }
  // Refused before anything changes if the test's optimizer could not take the state back afterwards.
  if (state !== undefined) {
    const path = "findLearningRate options.optimizer: the backend's optimizer state";
    compileOptimizer(training.optimizer).checkState(
      sizes,
      parameters,
      stateFromJSON(state, (values) => values),
      { path },
    );
  }
  const curve = rangeTestRecorder({ steps, smoothing, divergence });
  let stopReason: FindLearningRateStop | undefined;
  // Thrown from onStep to end train() after the update that stopped the test (train's signal is the caller's).
  const stop = {};
  try {
    const result = await train({
      ...training,
      onStep: (record) => {
        // The default group (last, learningRateScale 1) runs at the sweep's rate itself.
        if (curve.record(record.learningRates.at(-1) as number, record.loss)) throw stop;
      },
    });
    if (result.stopReason === 'aborted') stopReason = 'aborted';
  } catch (error) {
    if (error !== stop && !isNonFiniteGradientError(error)) throw error;
    if (error !== stop) stopReason = 'notFinite';
  } finally {
    // Also after an error: the parameters first, so that they are back even if the state is refused.
    await backend.writeParameters(parameters);
    await backend.setOptimizer(training.optimizer);
    if (state !== undefined) await backend.writeOptimizerState(state);
  }
  return curve.result(stopReason);
}
