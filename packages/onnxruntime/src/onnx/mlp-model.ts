import { readMlpSpec, StepsizeError } from '@stepsize/core';
import type { ParameterData } from '../parameters.js';
import { GraphBuilder } from './graph.js';
import { appendLoss } from './loss-head.js';

/**
 * Options of {@link buildMlpTrainingModel} and {@link buildMlpInferenceModel}: core's
 * `MlpSpec` (the same fields, so a spec can be passed as it is) and the layers' ONNX form.
 */
export interface MlpModelOptions {
  /** Features per example. */
  readonly inputSize: number;
  /** Dense layer widths, the last one being the output (logits). */
  readonly layers: readonly number[];
  /** Activation after every hidden layer. */
  readonly activation: 'relu' | 'tanh' | 'sigmoid';
  /** Loss on the logits (training model only). */
  readonly loss?: 'mse' | 'softmaxCrossEntropy' | 'binaryCrossEntropy';
  /**
   * Initial weights by parameter name (`dense{i}.weight` [in, out] row-major,
   * `dense{i}.bias` [out]), all finite. Default: core's `initialMlpWeights` of `seed`.
   */
  readonly weights?: Readonly<Record<string, ArrayLike<number>>> | undefined;
  /**
   * Seed of the initial weights when `weights` is left out (core's `initialMlpWeights`:
   * the engine's `Mlp` and every backend's generated MLP start from the same ones). Default 0.
   */
  readonly seed?: number | undefined;
  /** Dense layers as one `Gemm` node (default) or `MatMul` + `Add`. */
  readonly matmul?: 'Gemm' | 'MatMul';
  /**
   * {@link buildMlpInferenceModel} only: the parameters as inputs fed at every run
   * (`'inputs'`, default) or as initializers holding the initial weights (`'initializers'`:
   * a self-contained model, such as `buildTrainingModel` takes).
   */
  readonly parameters?: 'inputs' | 'initializers';
}

/**
 * A generated model and its parameters: by name, in layer order, each its shape and its
 * initial values (fresh copies), ready for `onnxruntimeTrainingBackend({ model, params })`.
 */
export interface MlpModel {
  /** The ONNX model (bytes). */
  readonly model: Uint8Array;
  /** The parameters by name (`dense0.weight`, `dense0.bias`, ...), in layer order. */
  readonly params: Readonly<Record<string, ParameterData>>;
}

const FLOAT = 1;

function check(options: MlpModelOptions, training: boolean, where: string): void {
  if (typeof options !== 'object' || options === null) throw new StepsizeError(where, 'must be an options object', options);
  const positive = (value: unknown, path: string): void => {
    if (!Number.isSafeInteger(value) || (value as number) < 1)
      throw new StepsizeError(`${where}.${path}`, `must be an integer >= 1, got ${String(value)}`, value);
  };
  positive(options.inputSize, 'inputSize');
  if (!Array.isArray(options.layers) || options.layers.length === 0)
    throw new StepsizeError(`${where}.layers`, 'must be a non-empty array of layer widths', options.layers);
  options.layers.forEach((width, i) => {
    positive(width, `layers[${i}]`);
  });
  if (!['relu', 'tanh', 'sigmoid'].includes(options.activation)) {
    throw new StepsizeError(
      `${where}.activation`,
      `must be "relu", "tanh" or "sigmoid", got ${JSON.stringify(options.activation)}`,
      options.activation,
    );
  }
  if (training && !['mse', 'softmaxCrossEntropy', 'binaryCrossEntropy'].includes(options.loss as string)) {
    throw new StepsizeError(
      `${where}.loss`,
      `must be "mse", "softmaxCrossEntropy" or "binaryCrossEntropy", got ${JSON.stringify(options.loss)}`,
      options.loss,
    );
  }
  if (options.parameters !== undefined && (training || (options.parameters !== 'inputs' && options.parameters !== 'initializers'))) {
    const message = training
      ? 'applies to buildMlpInferenceModel only'
      : `must be "inputs" or "initializers", got ${JSON.stringify(options.parameters)}`;
    throw new StepsizeError(`${where}.parameters`, message, options.parameters);
  }
  if (options.matmul !== undefined && options.matmul !== 'Gemm' && options.matmul !== 'MatMul') {
    throw new StepsizeError(`${where}.matmul`, `must be "Gemm" or "MatMul", got ${JSON.stringify(options.matmul)}`, options.matmul);
  }
}

/**
 * The initial parameters of a checked MLP: `weights` (checked: sizes, names, finite) or
 * core's seeded `initialMlpWeights`, with their shapes, in layer order.
 */
function initialParameters(
  options: MlpModelOptions,
  layout: readonly { readonly name: string; readonly shape: number[] }[],
  where: string,
): Record<string, ParameterData> {
  // Core's reader of an MlpSpec: the seed, or the given weights against the shapes (the loss is checked above).
  const weights = readMlpSpec({ ...options, loss: options.loss ?? 'mse' }, where);
  const params: Record<string, ParameterData> = {};
  for (const { name, shape } of layout) {
    const values = weights[name] as Float32Array;
    const index = values.findIndex((value) => !Number.isFinite(value));
    if (index >= 0) {
      const value = values[index] as number;
      throw new StepsizeError(`${where}.weights.${name}[${index}]`, `must be finite, got ${value}`, value);
    }
    params[name] = { values, shape: [...shape] };
  }
  return params;
}

interface Forward {
  readonly graph: GraphBuilder;
  readonly params: readonly { readonly name: string; readonly shape: number[] }[];
  /** Pre-activations and activations per layer (the last activation is the logits). */
  readonly pre: string[];
  readonly post: string[];
  readonly input: string;
}

/** The parameters' names and shapes, in layer order. */
function layout(options: MlpModelOptions): { name: string; shape: number[] }[] {
  let fanIn = options.inputSize;
  return options.layers.flatMap((fanOut, i) => {
    const layer = [
      { name: `dense${i}.weight`, shape: [fanIn, fanOut] },
      { name: `dense${i}.bias`, shape: [fanOut] },
    ];
    fanIn = fanOut;
    return layer;
  });
}

function forward(options: MlpModelOptions, name: string, weights?: Readonly<Record<string, ParameterData>>): Forward {
  const { inputSize, layers, activation, matmul = 'Gemm' } = options;
  const graph = new GraphBuilder(name);
  const input = graph.input('input', 'float32', ['batch', inputSize]);
  const params: { name: string; shape: number[] }[] = [];
  const pre: string[] = [];
  const post: string[] = [];
  let h = input;
  let fanIn = inputSize;
  const act = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid' }[activation];
  layers.forEach((fanOut, i) => {
    const declare = (parameter: string, shape: number[]): string =>
      weights
        ? graph.initializer(parameter, shape, (weights[parameter] as ParameterData).values)
        : graph.input(parameter, 'float32', shape);
    const weight = declare(`dense${i}.weight`, [fanIn, fanOut]);
    const bias = declare(`dense${i}.bias`, [fanOut]);
    params.push({ name: weight, shape: [fanIn, fanOut] }, { name: bias, shape: [fanOut] });
    const z = matmul === 'Gemm' ? graph.op('Gemm', [h, weight, bias]) : graph.op('Add', [graph.op('MatMul', [h, weight]), bias]);
    pre.push(z);
    h = i === layers.length - 1 ? z : graph.op(act, [z]);
    post.push(h);
    fanIn = fanOut;
  });
  return { graph, params, pre, post, input };
}

/**
 * An ONNX model that runs forward only: `input` [batch, inputSize] and the
 * parameters in, `output` (the logits) out. Same layers and names as
 * {@link buildMlpTrainingModel} and the engine's `Mlp`; `params` holds the
 * initial parameters (`weights`, or the seeded ones of `seed`) to feed it.
 *
 * @example
 * ```ts
 * const { model, params } = buildMlpInferenceModel({ inputSize: 4, layers: [16, 3], activation: 'tanh', seed: 1 });
 * const session = await ort.InferenceSession.create(model);
 * const feeds: Record<string, ort.Tensor> = { input: new ort.Tensor('float32', new Float32Array(8), [2, 4]) };
 * for (const [name, p] of Object.entries(params)) feeds[name] = new ort.Tensor('float32', p.values, [...p.shape]);
 * const { output } = await session.run(feeds); // logits [2, 3]
 * ```
 */
export function buildMlpInferenceModel(options: MlpModelOptions): MlpModel {
  const where = 'buildMlpInferenceModel options';
  check(options, false, where);
  const params = initialParameters(options, layout(options), where);
  const { graph, post } = forward(options, 'stepsize_mlp_inference', options.parameters === 'initializers' ? params : undefined);
  graph.output(post[post.length - 1] as string, 'output', 'float32', ['batch', options.layers[options.layers.length - 1] as number]);
  return { model: graph.toModel('stepsize MLP, forward'), params };
}

/**
 * An ONNX model of an MLP's forward and backward pass, and its initial
 * parameters: `weights` if given, else core's seeded `initialMlpWeights` of `seed`
 * (default 0), the engine's initialiser, so that ONNX Runtime and the engine start
 * equal. `{ model, params }` is what `onnxruntimeTrainingBackend` takes for a
 * model of yours, and trains as `onnxruntimeTrainingBackend({ mlp })` does with the
 * same spec. The model follows the training convention: inputs `input` [batch, inputSize],
 * `target` and one input per parameter (`dense{i}.weight` [in, out] row-major,
 * `dense{i}.bias` [out], as the engine's `Mlp` and Keras kernels); outputs
 * `loss` (scalar), `output` (logits [batch, width]) and `<param>_grad` for every
 * parameter. The batch dimension is dynamic. Losses (as the engine's and
 * PyTorch's):
 * - `mse`: mean over all elements of (o − y)², `target` [batch, width];
 * - `softmaxCrossEntropy`: mean over the batch of −log softmax(o)[y], `target`
 *   [batch] holding class indices as float32 (PyTorch `CrossEntropyLoss`);
 * - `binaryCrossEntropy` on logits: mean of max(o, 0) − o·y + log(1 + e^−|o|),
 *   `target` [batch, width] (PyTorch `BCEWithLogitsLoss`).
 *
 * The backward pass is written out node by node: dlogits from the loss, then
 * per layer dW = hᵀ·dz, db = Σ_batch dz, dh = dz·Wᵀ and dz = dh·act′.
 *
 * @example
 * ```ts
 * const { model, params } = buildMlpTrainingModel({ inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 });
 * params['dense0.weight'].shape; // [4, 16]
 * const backend = await onnxruntimeTrainingBackend({ model, params });
 * ```
 */
export function buildMlpTrainingModel(options: MlpModelOptions): MlpModel {
  return generateMlpTrainingModel(options, 'buildMlpTrainingModel options');
}

/**
 * {@link buildMlpTrainingModel} with its errors at `where` (`onnxruntimeTrainingBackend options.mlp`).
 *
 * @internal
 * @example
 * ```ts
 * const { model, params } = generateMlpTrainingModel(spec, 'onnxruntimeTrainingBackend options.mlp');
 * ```
 */
export function generateMlpTrainingModel(options: MlpModelOptions, where: string): MlpModel {
  check(options, true, where);
  const { layers, activation, matmul = 'Gemm' } = options;
  const width = layers[layers.length - 1] as number;
  const { graph, params, pre, post, input } = forward(options, 'stepsize_mlp_training');
  const logits = post[post.length - 1] as string;
  const loss = options.loss as NonNullable<MlpModelOptions['loss']>;
  const { value, gradient: dLogits } = appendLoss(graph, logits, ['batch', width], loss);
  graph.output(value, 'loss', 'float32', []);
  graph.output(logits, 'output', 'float32', ['batch', width]);
  const batchAxis = graph.ints([0], 'batch_axis');
  let dz = dLogits;
  for (let i = layers.length - 1; i >= 0; i -= 1) {
    const h = i === 0 ? input : (post[i - 1] as string);
    const weight = params[2 * i] as { name: string; shape: number[] };
    const bias = params[2 * i + 1] as { name: string; shape: number[] };
    const dWeight =
      matmul === 'Gemm' ? graph.op('Gemm', [h, dz], { transA: { int: 1 } }) : graph.op('MatMul', [graph.op('Transpose', [h]), dz]);
    graph.output(dWeight, `${weight.name}_grad`, 'float32', weight.shape);
    graph.output(graph.op('ReduceSum', [dz, batchAxis], { keepdims: { int: 0 } }), `${bias.name}_grad`, 'float32', bias.shape);
    if (i === 0) break;
    const dh =
      matmul === 'Gemm'
        ? graph.op('Gemm', [dz, weight.name], { transB: { int: 1 } })
        : graph.op('MatMul', [dz, graph.op('Transpose', [weight.name])]);
    const a = post[i - 1] as string;
    let slope: string;
    if (activation === 'relu')
      slope = graph.op('Cast', [graph.op('Greater', [pre[i - 1] as string, graph.scalar(0)])], { to: { int: FLOAT } });
    else if (activation === 'tanh') slope = graph.op('Sub', [graph.scalar(1), graph.op('Mul', [a, a])]);
    else slope = graph.op('Mul', [a, graph.op('Sub', [graph.scalar(1), a])]);
    dz = graph.op('Mul', [dh, slope]);
  }
  return { model: graph.toModel(`stepsize MLP, forward and backward, ${loss}`), params: initialParameters(options, params, where) };
}
