import {
  type AccuracyScoring,
  checkParameterValues,
  type Dataset,
  l2Norm,
  mlpScoring,
  type MlpSpec,
  type Optimizer,
  readAccuracyOption,
  readModelSource,
  StepsizeError,
  stateFromJSON,
  stateToJSON,
  type TrainingBackend,
} from '@stepsize/core';
import type * as ort from 'onnxruntime-node';
import { checkTrainingModel } from './onnx/model-contract.js';
import { byName, type ParameterData, readParameterData } from './parameters.js';
import { generateMlpTrainingModel } from './onnx/mlp-model.js';
import { openModel, type TrainingModelSource } from './onnx/session.js';
import { trainingRun } from './onnx/training-run.js';
import { ParameterUpdater, type UpdatePath } from './update/parameter-updater.js';

/** Options of {@link onnxruntimeTrainingBackend}: one model source, where the update runs, and session options. */
export interface OnnxruntimeTrainingBackendOptions {
  /** An MLP described as data (core's `MlpSpec`), generated as an ONNX training model (`buildMlpTrainingModel`). */
  readonly mlp?: MlpSpec | undefined;
  /**
   * A model of yours in the training convention: inputs `input` [batch, ...], `target`
   * [batch, ...] and one float32 input per parameter (named as the parameter); outputs
   * `loss` (a scalar), `<param>_grad` per parameter and optionally `output` (predictions).
   */
  readonly model?: TrainingModelSource | undefined;
  /**
   * Initial parameters of `model`: `{ values, shape }` by name (copied), every value finite
   * (`buildMlpTrainingModel` returns them this way). Names are data, except `__proto__`,
   * which core's optimizer state cannot hold and is refused.
   */
  readonly params?: Readonly<Record<string, ParameterData>> | undefined;
  /**
   * How the `output` is scored: `{ rule: 'argmax' }` for class logits, `{ rule: 'binary', threshold }`,
   * or `'none'`. Default: an `mlp`'s loss decides (as on every backend); none for a `model`.
   */
  readonly accuracy?: AccuracyScoring | 'none' | undefined;
  /** Where the update runs: `'onnx'` (default, a traced update graph) or `'engine'` (the engine's kernels on the same memory). */
  readonly update?: UpdatePath | undefined;
  /**
   * Session options of the model and the update graphs (the CPU execution provider unless
   * they name others). An execution provider ONNX Runtime cannot use is reported at
   * `sessionOptions.executionProviders` (the provider, ONNX Runtime's message as the
   * error's `cause`, and the providers this build has) when the model loads on the CPU.
   */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions | undefined;
}

/** ONNX Runtime's training backend: core's `TrainingBackend`, its sessions, and `dispose`. */
export interface OnnxruntimeTrainingBackend extends TrainingBackend<Readonly<Record<string, Float32Array>>> {
  /** ONNX Runtime's session of the model (forward and backward). */
  readonly session: ort.InferenceSession;
  /** The optimizer's updater (parameters, state, update graphs), once `setOptimizer` ran. */
  readonly updater: ParameterUpdater | undefined;
  /** Releases the ONNX Runtime sessions (the model's, when the backend loaded it, and the update graphs). */
  dispose(): Promise<void>;
}

/**
 * ONNX Runtime as a training backend of core's `train()`: ONNX Runtime runs the
 * model's forward and backward graph (a generated MLP or your own model in the
 * training convention; it is checked against it and the parameters, every
 * problem in one error), and core's pure step updates the parameters in a
 * traced ONNX graph or with the engine's kernels. On the engine path ONNX
 * Runtime writes the gradients straight into the kernels' memory, so the
 * gradients `lossAndGradients` returns are valid until its next call. Call
 * `dispose()` when done.
 *
 * @example
 * ```ts
 * const backend = await onnxruntimeTrainingBackend({ mlp: { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 } });
 * await train({ backend, optimizer: adamW({ learningRate: 0.01 }), data, batchSize: 16, steps: 300 });
 * await backend.dispose();
 *
 * // A model in the training convention, with its initial parameters by name (here a generated one):
 * const { model, params } = buildMlpTrainingModel({ inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 });
 * const yours = await onnxruntimeTrainingBackend({ model, params, update: 'engine' });
 * ```
 */
export async function onnxruntimeTrainingBackend(options: OnnxruntimeTrainingBackendOptions): Promise<OnnxruntimeTrainingBackend> {
  const where = 'onnxruntimeTrainingBackend options';
  const source = readModelSource(options, where, 'a training model, with params');
  const update = options.update ?? 'onnx';
  if (update !== 'onnx' && update !== 'engine')
    throw new StepsizeError(`${where}.update`, `must be "onnx" or "engine", got ${JSON.stringify(update)}`, update);
  const sessionOptions = options.sessionOptions ?? {};
  let initial: Readonly<Record<string, ParameterData>>;
  let model: TrainingModelSource;
  const accuracyOption = readAccuracyOption(options.accuracy, `${where}.accuracy`);
  let accuracy = accuracyOption === 'none' ? undefined : accuracyOption;
  if (source === 'mlp') {
    const spec = options.mlp as MlpSpec;
    // The same model and seeded initial weights as buildMlpTrainingModel(spec) (core's initialMlpWeights).
    const generated = generateMlpTrainingModel(spec, `${where}.mlp`);
    model = generated.model;
    initial = byName(Object.entries(generated.params));
    if (accuracyOption === undefined) accuracy = mlpScoring(spec).accuracy;
  } else {
    model = options.model as TrainingModelSource;
    const given = Object.entries(readParameterData(options.params, `${where}.params`));
    initial = byName(given.map(([name, p]) => [name, { values: Float32Array.from(p.values), shape: [...p.shape] }] as const));
  }
  const { session, owned } = await openModel(model, sessionOptions, where, source);
  try {
    checkTrainingModel(session, initial);
  } catch (error) {
    if (owned) await session.release();
    throw error;
  }
  const shapes = byName(Object.entries(initial).map(([name, p]) => [name, [...p.shape]] as const));
  const names = Object.keys(shapes);
  const training = trainingRun(session, shapes);
  let updater: ParameterUpdater | undefined;
  const values = (name: string): Float32Array => updater?.values(name) ?? (initial[name] as ParameterData).values;
  const active = (what: string): ParameterUpdater => {
    if (updater === undefined)
      throw new StepsizeError(`onnxruntime backend ${what}`, 'needs an optimizer: call setOptimizer first (train does)', undefined);
    return updater;
  };
  const run = (batch: Dataset) => training.run(batch, values, updater?.gradientBuffers);
  return {
    name: `onnxruntime (${update === 'onnx' ? 'update graph' : 'engine kernels'})`,
    parameterShapes: shapes,
    exampleWidths: training.exampleWidths,
    accuracy,
    session,
    get updater() {
      return updater;
    },
    setOptimizer: async (optimizer: Optimizer) => {
      const params = byName(
        Object.entries(shapes).map(([name, shape]) => [name, { values: Float32Array.from(values(name)), shape }] as const),
      );
      const next = await ParameterUpdater.create({ optimizer, params, path: update, sessionOptions });
      await updater?.dispose();
      updater = next;
    },
    lossAndGradients: async (batch) => {
      const { loss, gradients } = await run(batch);
      return { loss, gradientNorm: l2Norm(Object.values(gradients)), gradients };
    },
    applyGradients: (gradients) => active('applyGradients').step(gradients),
    evaluate: async (data) => {
      const result = await run(data);
      return { loss: result.loss, outputs: result.output ? Float32Array.from(result.output) : undefined };
    },
    readParameters: () => Object.fromEntries(names.map((name) => [name, Float32Array.from(values(name))])),
    writeParameters: (given) => {
      checkParameterValues(given, shapes, 'parameters');
      const next = byName(names.map((name) => [name, Float32Array.from(given[name] as ArrayLike<number>)] as const));
      if (updater) updater.load({ params: next });
      else for (const [name, v] of Object.entries(next)) (initial[name] as ParameterData).values.set(v);
    },
    readOptimizerState: () => stateToJSON(active('readOptimizerState').state, (t) => t),
    writeOptimizerState: (json) => active('writeOptimizerState').load({ state: stateFromJSON(json, (v) => Float32Array.from(v)) }),
    dispose: async () => {
      await updater?.dispose();
      updater = undefined;
      if (owned) await session.release();
    },
  };
}
