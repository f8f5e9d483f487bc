import { StepsizeError } from '@stepsize/core';
import { GraphBuilder } from './graph.js';

/** Options of {@link buildMlpTrainingModel} and {@link buildMlpInferenceModel}. */
export interface MlpModelOptions {
  /** Features per example. */
  readonly inputSize: number;
  /** Dense layer widths, the last one being the output (logits). */
  readonly layers: readonly number[];
  /** Activation after every hidden layer. */
  readonly activation: 'relu' | 'tanh' | 'sigmoid';
  /** Loss on the logits (training model only). */
  readonly loss?: 'mse' | 'softmaxCrossEntropy' | 'binaryCrossEntropy';
  /** Dense layers as one `Gemm` node (default) or `MatMul` + `Add`. */
  readonly matmul?: 'Gemm' | 'MatMul';
}

/** A generated model and its parameters (names and shapes, in order). */
export interface MlpModel {
  readonly model: Uint8Array;
  readonly params: readonly { readonly name: string; readonly shape: number[] }[];
}

const FLOAT = 1;
const INT64 = 7;

function check(options: MlpModelOptions, training: boolean): void {
  const where = training ? 'buildMlpTrainingModel options' : 'buildMlpInferenceModel options';
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
  if (options.matmul !== undefined && options.matmul !== 'Gemm' && options.matmul !== 'MatMul') {
    throw new StepsizeError(`${where}.matmul`, `must be "Gemm" or "MatMul", got ${JSON.stringify(options.matmul)}`, options.matmul);
  }
}

interface Forward {
  readonly graph: GraphBuilder;
  readonly params: MlpModel['params'];
  /** Pre-activations and activations per layer (the last activation is the logits). */
  readonly pre: string[];
  readonly post: string[];
  readonly input: string;
}

function forward(options: MlpModelOptions, name: string): Forward {
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
    const weight = graph.input(`dense${i}.weight`, 'float32', [fanIn, fanOut]);
    const bias = graph.input(`dense${i}.bias`, 'float32', [fanOut]);
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
 * {@link buildMlpTrainingModel} and the engine's `Mlp`.
 *
 * @example
 * ```ts
 * const { model } = buildMlpInferenceModel({ inputSize: 4, layers: [16, 3], activation: 'tanh' });
 * ```
 */
export function buildMlpInferenceModel(options: MlpModelOptions): MlpModel {
  check(options, false);
  const { graph, params, post } = forward(options, 'stepsize_mlp_inference');
  graph.output(post[post.length - 1] as string, 'output', 'float32', ['batch', options.layers[options.layers.length - 1] as number]);
  return { model: graph.toModel('stepsize MLP, forward'), params };
}

/**
 * An ONNX model of an MLP's forward and backward pass, following the training
 * convention of `onnxruntimeTrainingBackend`: inputs `input` [batch, inputSize],
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
 * const { model, params } = buildMlpTrainingModel({ inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy' });
 * ```
 */
export function buildMlpTrainingModel(options: MlpModelOptions): MlpModel {
  check(options, true);
  const { layers, activation, matmul = 'Gemm' } = options;
  const width = layers[layers.length - 1] as number;
  const { graph, params, pre, post, input } = forward(options, 'stepsize_mlp_training');
  const logits = post[post.length - 1] as string;
  const loss = options.loss as NonNullable<MlpModelOptions['loss']>;
  const target = graph.input('target', 'float32', loss === 'softmaxCrossEntropy' ? ['batch'] : ['batch', width]);
  const count = (x: string): string => graph.op('Cast', [graph.op('Size', [x])], { to: { int: FLOAT } });
  const batch = graph.op(
    'Cast',
    [graph.op('Gather', [graph.op('Shape', [logits]), graph.constant('zero', 'int64', [], [0])], { axis: { int: 0 } })],
    { to: { int: FLOAT } },
  );
  let value: string;
  let dLogits: string;
  if (loss === 'mse') {
    const difference = graph.op('Sub', [logits, target]);
    value = graph.op('ReduceMean', [graph.op('Mul', [difference, difference])], { keepdims: { int: 0 } });
    dLogits = graph.op('Div', [graph.op('Mul', [difference, graph.scalar(2)]), count(difference)]);
  } else if (loss === 'binaryCrossEntropy') {
    const terms = graph.op('Add', [
      graph.op('Sub', [graph.op('Relu', [logits]), graph.op('Mul', [logits, target])]),
      graph.op('Softplus', [graph.op('Neg', [graph.op('Abs', [logits])])]),
    ]);
    value = graph.op('ReduceMean', [terms], { keepdims: { int: 0 } });
    dLogits = graph.op('Div', [graph.op('Sub', [graph.op('Sigmoid', [logits]), target]), count(logits)]);
  } else {
    const oneHot = graph.op(
      'OneHot',
      [
        graph.op('Cast', [target], { to: { int: INT64 } }),
        graph.constant('depth', 'int64', [], [width]),
        graph.constant('off_on', 'float32', [2], [0, 1]),
      ],
      { axis: { int: -1 } },
    );
    const logProbabilities = graph.op('LogSoftmax', [logits], { axis: { int: 1 } });
    value = graph.op('Div', [
      graph.op('Neg', [graph.op('ReduceSum', [graph.op('Mul', [oneHot, logProbabilities])], { keepdims: { int: 0 } })]),
      batch,
    ]);
    dLogits = graph.op('Div', [graph.op('Sub', [graph.op('Softmax', [logits], { axis: { int: 1 } }), oneHot]), batch]);
  }
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
  return { model: graph.toModel(`stepsize MLP, forward and backward, ${loss}`), params };
}
