import { type MlpSpec, mlpParameterShapes, readMlpSpec, StepsizeError } from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, layers, sequential } from '@tensorflow/tfjs-layers';
import { type AccuracyDefault, checkClassIndices, lossAccuracy, lossName, type MeanLoss, mlpLoss } from './training-loss.js';

/**
 * What a tfjs training backend trains: a model, its loss and its parameters by
 * name (made by {@link mlpTrainable} or {@link layersTrainable}).
 *
 * @example
 * ```ts
 * const { model, names, variables } = mlpTrainable(spec, 'options.mlp');
 * ```
 */
export interface TrainableModel {
  readonly model: LayersModel;
  /** Parameter names, one per trainable variable, in `model.trainableWeights` order. */
  readonly names: readonly string[];
  readonly variables: readonly tf.Variable[];
  /** The batch's mean loss; during training the model's regularizer penalties are added. */
  readonly loss: MeanLoss;
  /** The model's regularizer penalties (computed inside the gradient tape). */
  penalties(): tf.Scalar[];
  /** Tensor shapes of `examples` rows holding `values` numbers in all. */
  inputShape(examples: number, values: number): number[];
  targetShape(examples: number, values: number): number[];
  /** Host checks of a dataset's targets (class indices). */
  checkTargets(targets: Float32Array, where: string): void;
  readonly exampleWidths: { readonly input?: number | undefined; readonly target?: number | undefined } | undefined;
  readonly accuracy: AccuracyDefault | undefined;
  /** True when the backend built the model (and so disposes it). */
  readonly owned: boolean;
}

/** `[examples, ...dims]` when every dim is known, else `[examples, values / examples]`. */
function rowsOf(dims: readonly (number | null)[] | undefined): (examples: number, values: number) => number[] {
  const known = dims?.every((dim) => typeof dim === 'number') ? (dims as number[]) : undefined;
  return (examples, values) => (known === undefined ? [examples, values / examples] : [examples, ...known]);
}

const product = (dims: readonly (number | null)[] | undefined): number | undefined =>
  dims?.every((dim) => typeof dim === 'number') ? (dims as number[]).reduce((a, b) => a * b, 1) : undefined;

/**
 * An `MlpSpec` as a `tf.sequential` of dense layers (kernels `[in, out]`, biases,
 * the spec's activation after every hidden layer, linear logits), starting from
 * `readMlpSpec`'s weights, so it starts equal to the engine's MLP.
 *
 * @example
 * ```ts
 * const trainable = mlpTrainable({ inputSize: 4, layers: [8, 3], activation: 'tanh', loss: 'softmaxCrossEntropy' }, 'options.mlp');
 * trainable.names; // ['dense0.weight', 'dense0.bias', 'dense1.weight', 'dense1.bias']
 * ```
 */
export function mlpTrainable(spec: MlpSpec, where: string): TrainableModel {
  const weights = readMlpSpec(spec, where);
  const shapes = mlpParameterShapes(spec);
  const names = Object.keys(shapes);
  const model = sequential({
    layers: spec.layers.map((units, i) =>
      layers.dense({
        units,
        activation: i < spec.layers.length - 1 ? spec.activation : 'linear',
        kernelInitializer: 'zeros',
        ...(i === 0 && { inputShape: [spec.inputSize] }),
      }),
    ),
  });
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  tf.tidy(() => {
    names.forEach((name, i) => {
      (variables[i] as tf.Variable).assign(tf.tensor(weights[name] as Float32Array, shapes[name], 'float32'));
    });
  });
  const classes = spec.layers[spec.layers.length - 1] as number;
  const softmax = spec.loss === 'softmaxCrossEntropy';
  return {
    model,
    names,
    variables,
    loss: mlpLoss(spec.loss, classes),
    penalties: () => [],
    inputShape: (examples) => [examples, spec.inputSize],
    targetShape: (examples) => (softmax ? [examples] : [examples, classes]),
    checkTargets: (targets, at) => {
      if (softmax) checkClassIndices(targets, classes, at);
    },
    exampleWidths: { input: spec.inputSize, target: softmax ? 1 : classes },
    accuracy: softmax ? { rule: 'argmax' } : spec.loss === 'binaryCrossEntropy' ? { rule: 'binary', threshold: 0 } : undefined,
    owned: true,
  };
}

/** The parts of a compiled LayersModel read here (a Sequential keeps its compiled state in an inner model). */
interface CompiledParts {
  readonly loss?: unknown;
  readonly lossFunctions?: readonly ((targets: tf.Tensor, outputs: tf.Tensor) => tf.Tensor)[];
  readonly model?: CompiledParts;
}

function checkNames(names: unknown, count: number, where: string): readonly string[] | undefined {
  if (names === undefined) return undefined;
  if (!Array.isArray(names) || names.length !== count) {
    throw new StepsizeError(
      `${where}.names`,
      `must be an array of ${count} names, one per trainable weight of the model, got ${Array.isArray(names) ? `${names.length} names` : String(names)}`,
      names,
    );
  }
  const seen = new Set<string>();
  names.forEach((name: unknown, i) => {
    if (typeof name !== 'string' || name === '' || seen.has(name)) {
      throw new StepsizeError(`${where}.names[${i}]`, `must be a non-empty string not given before, got ${JSON.stringify(name)}`, name);
    }
    seen.add(name);
  });
  return names as string[];
}

/**
 * A compiled `tf.LayersModel` (one input, one output) with its compiled loss:
 * the mean of the loss function over the batch, plus the regularizer penalties
 * during training (as `model.fit`). Parameters are its trainable weights, named
 * after the variables or by `names`.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
 * const trainable = layersTrainable({ model, names: undefined, accuracy: undefined, where: 'options' });
 * ```
 */
export function layersTrainable(args: {
  readonly model: LayersModel;
  readonly names: readonly string[] | undefined;
  readonly accuracy: AccuracyDefault | 'none' | undefined;
  readonly where: string;
}): TrainableModel {
  const { model, where } = args;
  if (
    typeof model !== 'object' ||
    model === null ||
    typeof model.apply !== 'function' ||
    !Array.isArray(model.trainableWeights) ||
    !Array.isArray(model.inputs)
  ) {
    throw new StepsizeError(`${where}.model`, 'must be a tf.LayersModel (tf.sequential or tf.model) compiled with a loss', model);
  }
  const parts = model as unknown as CompiledParts;
  const lossFunction = (parts.lossFunctions ?? parts.model?.lossFunctions)?.[0];
  if (lossFunction === undefined) {
    throw new StepsizeError(
      `${where}.model`,
      `must be compiled: call model.compile({ optimizer, loss }) first (its loss is what trains), got the uncompiled model "${model.name}"`,
      model,
    );
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new StepsizeError(
      `${where}.model`,
      `must have one input and one output (train feeds a dataset's inputs and targets), got ${model.inputs.length} and ${model.outputs.length}`,
      model,
    );
  }
  const weights = model.trainableWeights;
  const names = checkNames(args.names, weights.length, where) ?? weights.map((weight) => weight.name);
  weights.forEach((weight, i) => {
    if (weight.dtype !== 'float32')
      throw new StepsizeError(`${where}.model`, `trainable weight ${weight.name} has dtype ${weight.dtype}; stepsize updates float32`, i);
  });
  const name = lossName(parts.loss ?? parts.model?.loss);
  const inputDims = model.inputs[0]?.shape.slice(1);
  const outputDims = model.outputs[0]?.shape.slice(1);
  const sparse = name === 'sparseCategoricalCrossentropy';
  const accuracy = args.accuracy === 'none' ? undefined : (args.accuracy ?? lossAccuracy(name));
  return {
    model,
    names,
    variables: weights.map((weight) => weight.read() as tf.Variable),
    loss: (targets, outputs) => tf.mean(lossFunction(targets, outputs)),
    penalties: () => model.calculateLosses(),
    inputShape: rowsOf(inputDims),
    targetShape: sparse ? (examples, values) => [examples, values / examples] : rowsOf(outputDims),
    checkTargets: (targets, at) => {
      const classes = outputDims?.at(-1);
      if (sparse && typeof classes === 'number') checkClassIndices(targets, classes, at);
    },
    exampleWidths: { input: product(inputDims), target: sparse ? 1 : product(outputDims) },
    accuracy,
    owned: false,
  };
}
