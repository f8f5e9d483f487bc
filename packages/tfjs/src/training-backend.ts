import {
  type AccuracyScoring,
  checkParameterValues,
  type Dataset,
  type MlpSpec,
  type Optimizer,
  readAccuracyOption,
  readModelSource,
  type OptimizerStateJSON,
  StepsizeError,
  type TrainingBackend,
} from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { readyBackendName } from './tfjs/active-backend.js';
import { checkClassIndices, layersModel, mlpModel, type TrainableModel } from './tfjs/training-model.js';
import { TfjsOptimizerState } from './training-state.js';

/**
 * The gradients of one batch, by parameter name: tensors that `applyGradients` frees.
 *
 * @example
 * ```ts
 * const { gradients } = await backend.lossAndGradients(batch);
 * await backend.applyGradients(gradients); // gradients are disposed now
 * ```
 */
export type TfjsGradients = Readonly<Record<string, tf.Tensor>>;

/**
 * Options of {@link tfjsTrainingBackend}: exactly one model source, `mlp` or `model`.
 *
 * @example
 * ```ts
 * const options: TfjsTrainingBackendOptions = { mlp: { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy' } };
 * ```
 */
export interface TfjsTrainingBackendOptions {
  /**
   * An MLP described as data (core's `MlpSpec`), built as a `tf.sequential` of dense
   * layers from the spec's (or the seeded) weights, so it starts equal to the
   * engine's; parameters are the spec's names (`dense0.weight`, `dense0.bias`, ...).
   */
  readonly mlp?: MlpSpec | undefined;
  /**
   * A `tf.LayersModel` with one input and one output, compiled with a loss
   * (`model.compile({ optimizer, loss })`): that loss trains it (the compiled
   * optimizer is not used: train's optimizer updates the trainable weights), with
   * the regularizer penalties added during training as `model.fit` does, and
   * without them in `evaluate` as `model.evaluate` does.
   */
  readonly model?: LayersModel | undefined;
  /**
   * Parameter names of `model`, one per trainable weight in `model.trainableWeights`
   * order (default: the variables' names, `dense_Dense1/kernel`). Name them as
   * another backend does (`dense0.weight`, ...) to move checkpoints between them.
   */
  readonly names?: readonly string[] | undefined;
  /**
   * How `model`'s outputs are scored. Default by its loss: `{ rule: 'argmax' }` for
   * categorical and sparse categorical cross-entropy (and `tf.losses.softmaxCrossEntropy`),
   * `{ rule: 'binary', threshold: 0.5 }` for binary cross-entropy (on a sigmoid's
   * probabilities), `{ rule: 'binary', threshold: 0 }` for `tf.losses.sigmoidCrossEntropy`
   * (on logits), none for other losses (regression). `'none'` turns it off.
   */
  readonly accuracy?: AccuracyScoring | 'none' | undefined;
}

/**
 * A tfjs training backend: core's `TrainingBackend`, plus its model and `dispose`.
 *
 * @example
 * ```ts
 * const backend: TfjsTrainingBackend = await tfjsTrainingBackend({ model, names: ['dense0.weight', 'dense0.bias'] });
 * await train({ backend, optimizer: sgd({ learningRate: 0.1 }), data, batchSize: 32, epochs: 5 });
 * backend.dispose();
 * ```
 */
export interface TfjsTrainingBackend extends TrainingBackend<TfjsGradients> {
  /** The model trained: the one given, or the one built from the `MlpSpec`. */
  readonly model: LayersModel;
  /** Frees the optimizer state, and the model when it was built from an `MlpSpec` (a given model stays yours). */
  dispose(): void;
}

/** The model source of the options, checked (before any tensor is made). */
function readModel(options: TfjsTrainingBackendOptions, where: string): TrainableModel {
  if (readModelSource(options, where, 'a compiled tf.LayersModel') === 'mlp') {
    for (const key of ['names', 'accuracy'] as const) {
      if (options[key] !== undefined)
        throw new StepsizeError(`${where}.${key}`, 'applies to a model only (an MlpSpec names its own parameters)', options[key]);
    }
    return mlpModel(options.mlp as MlpSpec, `${where}.mlp`);
  }
  const accuracy = readAccuracyOption(options.accuracy, `${where}.accuracy`);
  return layersModel({ model: options.model as LayersModel, names: options.names, accuracy, where });
}

/**
 * TensorFlow.js as a training backend of core's `train()`, on the active tfjs
 * backend (`tfjs (cpu)`, `tfjs (wasm)`, ...): an `MlpSpec` built as a
 * `tf.sequential`, or your compiled `tf.LayersModel`. Gradients come from
 * `tf.variableGrads`, the loss and their norm are read back in one `data()` call,
 * and the update is core's pure step over tf ops (`tfjsOps`, the same step
 * as {@link StepsizeOptimizer}'s) inside `tf.tidy`, the optimizer state in `tf.Variable`s: the tensor
 * count stays constant over training. Checkpoints hold plain numbers by parameter
 * name, so they resume on any backend with the same parameters.
 *
 * @example
 * ```ts
 * const backend = await tfjsTrainingBackend({ mlp: { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 } });
 * const result = await train({ backend, optimizer: adamW({ learningRate: 0.01 }), data, batchSize: 16, steps: 300 });
 * ```
 */
export async function tfjsTrainingBackend(options: TfjsTrainingBackendOptions): Promise<TfjsTrainingBackend> {
  const where = 'tfjsTrainingBackend options';
  const backendName = await readyBackendName(where);
  return backendOf(readModel(options, where), backendName);
}

function backendOf(trainable: TrainableModel, backendName: string): TfjsTrainingBackend {
  const { model, names, variables } = trainable;
  const params: Record<string, tf.Variable> = Object.fromEntries(names.map((name, i) => [name, variables[i] as tf.Variable]));
  const parameterShapes = Object.fromEntries(names.map((name) => [name, [...(params[name] as tf.Variable).shape]]));
  let holder: TfjsOptimizerState | undefined;
  const active = (what: string): TfjsOptimizerState => {
    if (holder === undefined)
      throw new StepsizeError(`tfjs backend ${what}`, 'needs an optimizer: call setOptimizer first (train does)', undefined);
    return holder;
  };
  // Batch tensors are made and freed within a call: the cpu backend may keep a view of the sampler's reused buffers.
  const rows = (data: Float32Array, examples: number, dims: readonly number[] | undefined): tf.Tensor =>
    tf.tensor(data, dims ? [examples, ...dims] : [examples, data.length / examples], 'float32');
  const tensorsOf = (data: Dataset): { inputs: tf.Tensor; targets: tf.Tensor } => ({
    inputs: rows(data.inputs, data.examples, trainable.inputDims),
    targets: rows(data.targets, data.examples, trainable.targetDims),
  });
  const width = (dims: readonly number[] | undefined): number | undefined => dims?.reduce((a, b) => a * b, 1);
  const freeGradients = (gradients: TfjsGradients): void => {
    for (const gradient of Object.values(gradients)) gradient.dispose();
  };

  return {
    name: `tfjs (${backendName})`,
    parameterShapes,
    exampleWidths: { input: width(trainable.inputDims), target: width(trainable.targetDims) },
    accuracy: trainable.accuracy,
    model,

    setOptimizer: (optimizer: Optimizer) => {
      const next = new TfjsOptimizerState(optimizer);
      next.init(params);
      holder?.dispose();
      holder = next;
    },

    lossAndGradients: async (batch) => {
      checkClassIndices(batch.targets, trainable.classes, 'batch');
      const { value, grads } = tf.variableGrads(() => {
        const { inputs, targets } = tensorsOf(batch);
        const outputs = model.apply(inputs, { training: true }) as tf.Tensor;
        let loss = trainable.loss(targets, outputs);
        for (const penalty of model.calculateLosses()) loss = tf.add(loss, penalty);
        return loss;
      }, variables as tf.Variable[]);
      const gradients: Record<string, tf.Tensor> = {};
      names.forEach((name, i) => {
        const gradient = grads[(variables[i] as tf.Variable).name];
        if (gradient !== undefined) gradients[name] = gradient;
      });
      const missing = names.find((name) => gradients[name] === undefined);
      if (missing !== undefined) {
        value.dispose();
        freeGradients(gradients);
        throw new StepsizeError(`gradients.${missing}`, 'is missing: the loss does not depend on this trainable weight', missing);
      }
      // The loss and √(Σ g²) over every gradient, read back together.
      const summary = tf.tidy(() => {
        const squares = Object.values(gradients).map((gradient) => tf.sum(tf.square(gradient)));
        return tf.stack([value, tf.sqrt(tf.addN(squares))]);
      });
      value.dispose();
      const [loss, gradientNorm] = await summary.data();
      summary.dispose();
      return { loss: loss as number, gradientNorm: gradientNorm as number, gradients };
    },

    applyGradients: (gradients) => {
      try {
        return active('applyGradients').step(params, gradients);
      } finally {
        freeGradients(gradients);
      }
    },

    evaluate: async (data) => {
      checkClassIndices(data.targets, trainable.classes, 'data');
      const [loss, outputs] = tf.tidy(() => {
        const { inputs, targets } = tensorsOf(data);
        const result = model.apply(inputs, { training: false }) as tf.Tensor;
        return [trainable.loss(targets, result), result];
      });
      const [lossValue, outputValues] = await Promise.all([loss.data(), outputs.data()]);
      loss.dispose();
      outputs.dispose();
      return { loss: lossValue[0] as number, outputs: Float32Array.from(outputValues) };
    },

    readParameters: async () => {
      const values = await Promise.all(variables.map((variable) => variable.data()));
      return Object.fromEntries(names.map((name, i) => [name, Float32Array.from(values[i] as ArrayLike<number>)]));
    },

    writeParameters: (values) => {
      checkParameterValues(values, parameterShapes, 'parameters');
      tf.tidy(() => {
        for (const name of names) {
          const variable = params[name] as tf.Variable;
          // A copy: the cpu backend would otherwise keep (and see changes to) the caller's array.
          variable.assign(tf.tensor(Float32Array.from(values[name] as ArrayLike<number>), variable.shape, 'float32'));
        }
      });
    },

    readOptimizerState: async () => (await active('readOptimizerState').toJSON()) as OptimizerStateJSON,
    writeOptimizerState: (json) => active('writeOptimizerState').load(json, params),
    dispose: () => {
      holder?.dispose();
      holder = undefined;
      if (trainable.owned) model.dispose();
    },
  };
}
