import { StepsizeError } from '../errors.js';
import { seededRandom } from './random.js';

/** Hidden-layer activations of an MLP. */
export type MlpActivation = 'relu' | 'tanh' | 'sigmoid';

/** Losses on an MLP's outputs (logits). */
export type MlpLoss = 'mse' | 'softmaxCrossEntropy' | 'binaryCrossEntropy';

/**
 * A multi-layer perceptron described as data, so that every backend builds the
 * same model: dense layers `dense{i}.weight` (row-major `[in, out]`, as Keras and
 * tfjs kernels) and `dense{i}.bias`, the activation after every hidden layer,
 * logits out, and the loss on the logits (softmax cross-entropy takes one class
 * index per example). Without `weights`, the weights are {@link initialMlpWeights}
 * of `seed`, the same on every backend.
 *
 * @example
 * ```ts
 * const mlp: MlpSpec = { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 };
 * ```
 */
export interface MlpSpec {
  /** Values per example. */
  readonly inputSize: number;
  /** Dense layer widths, the last one being the output (logits). */
  readonly layers: readonly number[];
  /** Activation after every hidden layer. */
  readonly activation: MlpActivation;
  readonly loss: MlpLoss;
  /** Initial weights by parameter name (default: {@link initialMlpWeights} of `seed`). */
  readonly weights?: Readonly<Record<string, ArrayLike<number>>> | undefined;
  /** Seed of the initial weights when `weights` is left out. Default 0. */
  readonly seed?: number | undefined;
}

const ACTIVATIONS: readonly string[] = ['relu', 'tanh', 'sigmoid'];
const LOSSES: readonly string[] = ['mse', 'softmaxCrossEntropy', 'binaryCrossEntropy'];

/** The parameter shapes of an MLP, in layer order (`dense0.weight`, `dense0.bias`, ...). */
export function mlpParameterShapes(spec: Pick<MlpSpec, 'inputSize' | 'layers'>): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  let fanIn = spec.inputSize;
  spec.layers.forEach((fanOut, i) => {
    shapes[`dense${i}.weight`] = [fanIn, fanOut];
    shapes[`dense${i}.bias`] = [fanOut];
    fanIn = fanOut;
  });
  return shapes;
}

/**
 * Seeded initial weights of an MLP (mulberry32 of `seed`): Glorot (Xavier) uniform
 * `U(±√(6 / (in + out)))` for tanh and sigmoid, He uniform `U(±√(6 / in))` for relu,
 * zero biases; values drawn layer by layer, row-major. The engine's `Mlp` and every
 * adapter's generated MLP start from these, so all backends begin equal.
 *
 * @example
 * ```ts
 * const weights = initialMlpWeights({ inputSize: 4, layers: [16, 3], activation: 'tanh', seed: 1 });
 * weights['dense0.weight'].length; // 64
 * ```
 */
export function initialMlpWeights(
  spec: Pick<MlpSpec, 'inputSize' | 'layers' | 'activation'> & { readonly seed?: number | undefined },
): Record<string, Float32Array> {
  const next = seededRandom(spec.seed ?? 0);
  const weights: Record<string, Float32Array> = {};
  let fanIn = spec.inputSize;
  spec.layers.forEach((fanOut, i) => {
    const limit = spec.activation === 'relu' ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
    const weight = new Float32Array(fanIn * fanOut);
    for (let k = 0; k < weight.length; k += 1) weight[k] = (next() * 2 - 1) * limit;
    weights[`dense${i}.weight`] = weight;
    weights[`dense${i}.bias`] = new Float32Array(fanOut);
    fanIn = fanOut;
  });
  return weights;
}

/**
 * Checks an {@link MlpSpec} (errors name `where` and the field) and returns its
 * initial weights: the given ones (checked against the shapes) or the seeded ones.
 */
export function readMlpSpec(spec: MlpSpec, where: string): Record<string, Float32Array> {
  if (typeof spec !== 'object' || spec === null)
    throw new StepsizeError(where, 'must be an MLP spec object { inputSize, layers, activation, loss }', spec);
  const positive = (value: unknown, path: string): void => {
    if (!Number.isSafeInteger(value) || (value as number) < 1)
      throw new StepsizeError(`${where}.${path}`, `must be an integer >= 1, got ${String(value)}`, value);
  };
  positive(spec.inputSize, 'inputSize');
  if (!Array.isArray(spec.layers) || spec.layers.length === 0)
    throw new StepsizeError(`${where}.layers`, 'must be a non-empty array of layer widths', spec.layers);
  spec.layers.forEach((width, i) => {
    positive(width, `layers[${i}]`);
  });
  if (!ACTIVATIONS.includes(spec.activation)) {
    throw new StepsizeError(
      `${where}.activation`,
      `must be "relu", "tanh" or "sigmoid", got ${JSON.stringify(spec.activation)}`,
      spec.activation,
    );
  }
  if (!LOSSES.includes(spec.loss)) {
    throw new StepsizeError(
      `${where}.loss`,
      `must be "mse", "softmaxCrossEntropy" or "binaryCrossEntropy", got ${JSON.stringify(spec.loss)}`,
      spec.loss,
    );
  }
  if (spec.weights === undefined) {
    if (spec.seed !== undefined && !Number.isSafeInteger(spec.seed))
      throw new StepsizeError(`${where}.seed`, `must be an integer, got ${String(spec.seed)}`, spec.seed);
    return initialMlpWeights(spec);
  }
  const shapes = mlpParameterShapes(spec);
  const weights: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const values = spec.weights[name];
    const size = shape.reduce((a, b) => a * b, 1);
    if (values === undefined || typeof values.length !== 'number' || values.length !== size) {
      throw new StepsizeError(`${where}.weights.${name}`, `must hold ${size} values (shape [${shape.join(', ')}])`, values?.length);
    }
    weights[name] = Float32Array.from(values);
  }
  for (const name of Object.keys(spec.weights)) {
    if (!Object.hasOwn(shapes, name))
      throw new StepsizeError(`${where}.weights.${name}`, `is not a parameter of this MLP (${Object.keys(shapes).join(', ')})`, name);
  }
  return weights;
}
