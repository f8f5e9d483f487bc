import {
  type AccuracyScoring,
  type MlpLoss,
  type MlpSpec,
  mlpParameterShapes,
  mlpScoring,
  readMlpSpec,
  StepsizeError,
} from '@stepsize/core';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, layers, sequential } from '@tensorflow/tfjs-layers';

/** What the tfjs training backend trains: a model, its mean loss and its parameters by name. */
export interface TrainableModel {
  readonly model: LayersModel;
  /** Parameter names, one per trainable weight, in `model.trainableWeights` order. */
  readonly names: readonly string[];
  readonly variables: readonly tf.Variable[];
  /** The batch's mean loss (the model's regularizer penalties are added during training). */
  readonly loss: (targets: tf.Tensor, outputs: tf.Tensor) => tf.Scalar;
  /** Set when targets are class indices (checked on the host: tf's one-hot would drop a bad one silently). */
  readonly classes: number | undefined;
  readonly inputDims: readonly number[] | undefined;
  readonly targetDims: readonly number[] | undefined;
  readonly accuracy: AccuracyScoring | undefined;
  /** True when the backend built the model (and so disposes it). */
  readonly owned: boolean;
}

/**
 * An `MlpSpec` loss on logits, as the engine computes it: `mse` the mean of
 * (output − target)² over every element; `softmaxCrossEntropy` the mean over the
 * batch of −log softmax(logits)[class] (targets hold class indices); and
 * `binaryCrossEntropy` the mean of max(o, 0) − o·y + log(1 + exp(−|o|)) (PyTorch
 * `BCEWithLogitsLoss`).
 */
function mlpLoss(loss: MlpLoss, classes: number): TrainableModel['loss'] {
  if (loss === 'mse') return (targets, outputs) => tf.mean(tf.square(tf.sub(outputs, targets)));
  if (loss === 'binaryCrossEntropy') {
    return (targets, logits) => tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
  }
  return (targets, logits) => {
    const oneHot = tf.oneHot(tf.cast(tf.reshape(targets, [-1]), 'int32'), classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1)));
  };
}

/** An `MlpSpec` as a `tf.sequential` of dense layers starting from `readMlpSpec`'s weights (the engine MLP's). */
export function mlpModel(spec: MlpSpec, where: string): TrainableModel {
  const weights = readMlpSpec(spec, where);
  const shapes = mlpParameterShapes(spec);
  const last = spec.layers.length - 1;
  const model = sequential({
    layers: spec.layers.map((units, i) =>
      layers.dense({
        units,
        activation: i < last ? spec.activation : 'linear',
        kernelInitializer: 'zeros',
        ...(i === 0 && { inputShape: [spec.inputSize] }),
      }),
    ),
  });
  const names = Object.keys(shapes);
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  tf.tidy(() =>
    names.forEach((name, i) => void (variables[i] as tf.Variable).assign(tf.tensor(weights[name] as Float32Array, shapes[name]))),
  );
  const classes = spec.layers[last] as number;
  const softmax = spec.loss === 'softmaxCrossEntropy';
  const { accuracy, exampleWidths } = mlpScoring(spec);
  return {
    model,
    names,
    variables,
    loss: mlpLoss(spec.loss, classes),
    classes: softmax ? classes : undefined,
    inputDims: [spec.inputSize],
    targetDims: [exampleWidths.target],
    accuracy,
    owned: true,
  };
}

/** The default accuracy of a compiled loss by its name: argmax for class losses, a threshold for binary ones. */
const ACCURACY: Readonly<Record<string, AccuracyScoring>> = {
  categoricalCrossentropy: { rule: 'argmax' },
  sparseCategoricalCrossentropy: { rule: 'argmax' },
  softmaxCrossEntropy: { rule: 'argmax' },
  binaryCrossentropy: { rule: 'binary', threshold: 0.5 },
  sigmoidCrossEntropy: { rule: 'binary', threshold: 0 },
};

/** The name of a compiled loss: the string given to `compile`, or the function's name without bundler and op suffixes. */
function lossName(loss: unknown): string | undefined {
  const first = Array.isArray(loss) ? loss[0] : typeof loss === 'object' && loss !== null ? Object.values(loss)[0] : loss;
  if (typeof first === 'string') return first;
  return typeof first === 'function' ? first.name.replace(/\$\d+$/, '').replace(/_+op$/, '') : undefined;
}

/** The parts of a compiled LayersModel read here (a Sequential keeps its compiled state in an inner model). */
interface Compiled {
  readonly loss?: unknown;
  readonly lossFunctions?: readonly ((targets: tf.Tensor, outputs: tf.Tensor) => tf.Tensor)[];
  readonly model?: Compiled;
}

const known = (dims: readonly (number | null)[] | undefined): number[] | undefined =>
  dims?.every((d) => typeof d === 'number') ? (dims as number[]) : undefined;

/** A compiled `tf.LayersModel` (one input, one output) with its compiled loss; parameters named after the variables or by `names`. */
export function layersModel(args: {
  readonly model: LayersModel;
  readonly names: readonly string[] | undefined;
  readonly accuracy: AccuracyScoring | 'none' | undefined;
  readonly where: string;
}): TrainableModel {
  const { model, where } = args;
  if (typeof model?.apply !== 'function' || !Array.isArray(model.trainableWeights) || !Array.isArray(model.inputs)) {
    throw new StepsizeError(`${where}.model`, 'must be a tf.LayersModel (tf.sequential or tf.model) compiled with a loss', model);
  }
  const compiled = model as unknown as Compiled;
  const lossFunction = (compiled.lossFunctions ?? compiled.model?.lossFunctions)?.[0];
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
      `must have one input and one output, got ${model.inputs.length} and ${model.outputs.length}`,
      model,
    );
  }
  const weights = model.trainableWeights;
  const names = args.names ?? weights.map((weight) => weight.name);
  if (!Array.isArray(names) || names.length !== weights.length) {
    const got = Array.isArray(names) ? `${names.length} names` : String(names);
    throw new StepsizeError(
      `${where}.names`,
      `must be an array of ${weights.length} names, one per trainable weight of the model, got ${got}`,
      names,
    );
  }
  names.forEach((name: unknown, i) => {
    if (typeof name !== 'string' || name === '' || names.indexOf(name) !== i) {
      throw new StepsizeError(`${where}.names[${i}]`, `must be a non-empty string not given before, got ${JSON.stringify(name)}`, name);
    }
  });
  const bad = weights.find((weight) => weight.dtype !== 'float32');
  if (bad)
    throw new StepsizeError(`${where}.model`, `trainable weight ${bad.name} has dtype ${bad.dtype}; stepsize updates float32`, bad.name);
  const name = lossName(compiled.loss ?? compiled.model?.loss);
  const outputDims = known(model.outputs[0]?.shape.slice(1));
  const sparse = name === 'sparseCategoricalCrossentropy';
  return {
    model,
    names,
    variables: weights.map((weight) => weight.read() as tf.Variable),
    loss: (targets, outputs) => tf.mean(lossFunction(targets, outputs)),
    classes: sparse ? outputDims?.at(-1) : undefined,
    inputDims: known(model.inputs[0]?.shape.slice(1)),
    targetDims: sparse ? [1] : outputDims,
    accuracy: args.accuracy === 'none' ? undefined : (args.accuracy ?? ACCURACY[name ?? '']),
    owned: false,
  };
}

/** Checks class-index targets on the host: errors name `where` and the element. */
export function checkClassIndices(targets: Float32Array, classes: number | undefined, where: string): void {
  if (classes === undefined) return;
  targets.forEach((value, i) => {
    if (!Number.isInteger(value) || value < 0 || value >= classes) {
      throw new StepsizeError(`${where}.targets[${i}]`, `must be a class index in [0, ${classes - 1}], got ${value}`, value);
    }
  });
}
