import {
  type AccuracyRule,
  type Dataset,
  l2Norm,
  type MlpSpec,
  type Optimizer,
  readMlpSpec,
  StepsizeError,
  stateFromJSON,
  stateToJSON,
  type TrainingBackend,
} from '@stepsize/core';
import * as ort from 'onnxruntime-node';
import { buildMlpTrainingModel } from './onnx/mlp-model.js';
import { loadModel, OnnxTrainingSession, type TrainingModelSource } from './training-session.js';
import type { ParameterData, UpdatePath } from './update/parameter-updater.js';

/** Options of {@link onnxruntimeTrainingBackend}: one model source, where the update runs, and session options. */
export interface OnnxruntimeTrainingBackendOptions {
  /** An MLP described as data (core's `MlpSpec`), generated as an ONNX training model (`buildMlpTrainingModel`). */
  readonly mlp?: MlpSpec | undefined;
  /** A model of yours in the training convention (bytes, a file path or an `InferenceSession`); give `params`. */
  readonly model?: TrainingModelSource | undefined;
  /** Initial parameters of `model` (values and shape by name). */
  readonly params?: Readonly<Record<string, ParameterData>> | undefined;
  /** How `model`'s `output` is scored (default none; `{ rule: 'argmax' }` for class logits). */
  readonly accuracy?: { readonly rule: AccuracyRule; readonly threshold?: number } | undefined;
  /** Where the update runs: `'onnx'` (default, a traced update graph) or `'engine'` (the engine's kernels on the same memory). */
  readonly update?: UpdatePath | undefined;
  /** Session options of the model and the update graphs (CPU execution provider). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions | undefined;
}

/** ONNX Runtime's training backend: core's `TrainingBackend`, its session, and `dispose`. */
export interface OnnxruntimeTrainingBackend extends TrainingBackend<Readonly<Record<string, Float32Array>>> {
  /** The training session the backend runs now (the model session, the optimizer's updater). */
  session(): OnnxTrainingSession;
  /** Releases the ONNX Runtime sessions (the model's, when the backend loaded it, and the update graphs). */
  dispose(): Promise<void>;
}

/** Copies of parameter data. */
function copies(params: Readonly<Record<string, ParameterData>>): Record<string, ParameterData> {
  return Object.fromEntries(
    Object.entries(params).map(([name, p]) => [name, { values: Float32Array.from(p.values), shape: [...p.shape] }]),
  );
}

/**
 * ONNX Runtime as a training backend of core's `train()`: ONNX Runtime runs the
 * model's forward and backward graph (a generated MLP or your own model in the
 * training convention), and core's pure step updates the parameters in a traced
 * ONNX graph or with the engine's kernels. Call `dispose()` when done (it frees the
 * ONNX Runtime sessions).
 *
 * @example
 * ```ts
 * const backend = await onnxruntimeTrainingBackend({ mlp: { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 } });
 * await train({ backend, optimizer: adamW({ learningRate: 0.01 }), data, batchSize: 16, steps: 300 });
 * await backend.dispose();
 * ```
 */
export async function onnxruntimeTrainingBackend(options: OnnxruntimeTrainingBackendOptions): Promise<OnnxruntimeTrainingBackend> {
  const where = 'onnxruntimeTrainingBackend options';
  if (typeof options !== 'object' || options === null)
    throw new StepsizeError(where, 'must be an options object { mlp } or { model, params }', options);
  if ((options.mlp === undefined) === (options.model === undefined)) {
    throw new StepsizeError(
      where,
      'must give exactly one of mlp (an MlpSpec) and model (a training model, with params)',
      Object.keys(options),
    );
  }
  const update = options.update ?? 'onnx';
  if (update !== 'onnx' && update !== 'engine')
    throw new StepsizeError(`${where}.update`, `must be "onnx" or "engine", got ${JSON.stringify(update)}`, update);
  const sessionOptions = options.sessionOptions ?? {};
  let params: Record<string, ParameterData>;
  let source: TrainingModelSource;
  let accuracy = options.accuracy;
  if (options.mlp !== undefined) {
    const weights = readMlpSpec(options.mlp, `${where}.mlp`);
    const generated = buildMlpTrainingModel(options.mlp);
    source = generated.model;
    params = Object.fromEntries(generated.params.map(({ name, shape }) => [name, { values: weights[name] as Float32Array, shape }]));
    const { loss } = options.mlp;
    accuracy ??=
      loss === 'softmaxCrossEntropy' ? { rule: 'argmax' } : loss === 'binaryCrossEntropy' ? { rule: 'binary', threshold: 0 } : undefined;
  } else {
    if (typeof options.params !== 'object' || options.params === null) {
      throw new StepsizeError(`${where}.params`, 'must give the initial parameters of model ({ name: { values, shape } })', options.params);
    }
    source = options.model as TrainingModelSource;
    params = copies(options.params);
  }
  // The model session lives as long as the backend; each optimizer gets a training session over it.
  const { session: model, owned } = await loadModel(source, sessionOptions, `${where}.${options.mlp ? 'mlp' : 'model'}`);
  let training: OnnxTrainingSession;
  try {
    training = await OnnxTrainingSession.create({ model, params, optimizer: undefined, update, sessionOptions });
  } catch (error) {
    if (owned) await model.release();
    throw error;
  }
  const widthOf = (dims: readonly number[]): number | undefined =>
    dims.every(Number.isFinite) ? dims.reduce((a, b) => a * b, 1) : undefined;
  const shapes = Object.fromEntries(Object.entries(params).map(([name, p]) => [name, [...p.shape]]));
  const outputs = training.hasOutput;
  return {
    name: `onnxruntime (${update === 'onnx' ? 'update graph' : 'engine kernels'})`,
    parameterShapes: shapes,
    exampleWidths: { input: widthOf(training.exampleShape.input), target: widthOf(training.exampleShape.target) },
    accuracy,
    session: () => training,
    setOptimizer: async (optimizer: Optimizer) => {
      training = await training.withOptimizer(optimizer);
    },
    lossAndGradients: async (batch: Dataset) => {
      const { loss, gradients } = await training.forwardBackward({ inputs: batch.inputs, targets: batch.targets, batch: batch.examples });
      return { loss, gradientNorm: l2Norm(Object.values(gradients)), gradients };
    },
    applyGradients: (gradients) => training.updater.step(gradients),
    evaluate: async (data) => {
      const result = await training.forwardBackward({ inputs: data.inputs, targets: data.targets, batch: data.examples });
      return { loss: result.loss, outputs: outputs && result.output ? Float32Array.from(result.output) : undefined };
    },
    readParameters: () => Object.fromEntries(Object.keys(shapes).map((name) => [name, Float32Array.from(training.values(name))])),
    writeParameters: (values) => training.writeParameters(values),
    readOptimizerState: () => stateToJSON(training.updater.state, (t) => t),
    writeOptimizerState: (state) => {
      const updater = training.updater;
      updater.load(
        Object.fromEntries(updater.names.map((name) => [name, updater.values(name)])),
        stateFromJSON(state, (v) => Float32Array.from(v)),
      );
    },
    dispose: async () => {
      await training.release();
      if (owned) await model.release();
    },
  };
}
