import { initialMlpWeights, StepsizeError } from '@stepsize/core';
import { fastMatmul } from '../wasm/fast-matmul.js';
import { lossAndGradient, type LossName } from './losses.js';
import type { Matmul } from './matmul.js';
import { type ReluKernels, referenceRelu } from './relu.js';

/** Hidden-layer activations. */
export type Activation = 'relu' | 'tanh' | 'sigmoid';

/** Options of {@link Mlp}. */
export interface MlpOptions {
  /** Features per example. */
  readonly inputSize: number;
  /** Widths of the dense layers, the last one being the output (logits). */
  readonly layers: readonly number[];
  /** Activation after every hidden layer. Default `'relu'`. */
  readonly activation?: Activation;
  /** Seed of the initialisation. Default 0. */
  readonly seed?: number;
  /**
   * The dense-layer product. Default {@link fastMatmul} (WebAssembly SIMD, falling back to
   * the reference where SIMD is missing); {@link referenceMatmul} gives bit-for-bit the same
   * results with plain loops. `fast.matmul` of `createFastKernels` splits the rows across
   * threads and rounds each term once where it runs on the hardware FMA
   * (`fusedReferenceMatmul`: the results differ from the default in the last bits).
   */
  readonly matmul?: Matmul;
  /**
   * Allocates the parameters, their gradients and the working arrays of the passes
   * (zero-filled Float32Arrays; the working arrays again only for a larger batch, at least
   * twice the previous one). Default `new Float32Array(length)`; pass `fast.allocate` of
   * `createFastKernels` so that an optimizer using `fast.kernels` updates the parameters in
   * place and `fast.matmul` reads the passes' arrays in place, without copies.
   */
  readonly allocate?: (length: number) => Float32Array;
  /**
   * The relu of the hidden layers and its backward pass (with `activation: 'relu'`). Default
   * {@link referenceRelu} (plain loops); `fast.relu` of `createFastKernels` runs them in
   * WebAssembly SIMD on the arrays of `fast.allocate`, bit for bit the same.
   */
  readonly relu?: ReluKernels;
}

/** Loss and gradients of one batch. */
export interface LossAndGradients {
  readonly loss: number;
  /** d(loss)/d(param) by parameter name (buffers reused by the next call). */
  readonly gradients: Record<string, Float32Array>;
}

function activate(kind: Activation, z: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Math.max(z, 0) is NaN for a NaN z; this relu gives 0, and changing it would change the model's outputs
  if (kind === 'relu') return z > 0 ? z : 0;
  if (kind === 'tanh') return Math.tanh(z);
  return 1 / (1 + Math.exp(-z));
}

/** d(activation)/dz expressed with the activation's output `a` (and `z` for relu). */
function activationSlope(kind: Activation, z: number, a: number): number {
  if (kind === 'relu') return z > 0 ? 1 : 0;
  if (kind === 'tanh') return 1 - a * a;
  return a * (1 - a);
}

/**
 * A multi-layer perceptron over Float32Array: dense layers
 * (`dense{i}.weight`, row-major `[in, out]` as tfjs/Keras kernels, and
 * `dense{i}.bias`), an activation after each hidden layer, logits out. The
 * backward pass is written by hand and checked against finite differences.
 * Every dense-layer product (forward, weight gradients, gradients of the layer
 * below) goes through one {@link Matmul}: float32 products and sums in a fixed
 * order, by default in WebAssembly SIMD ({@link fastMatmul}), bit-for-bit equal
 * to the plain-loop {@link referenceMatmul} (`fast.matmul` on the hardware FMA: to
 * `fusedReferenceMatmul`).
 * Initialisation is seeded, core's `initialMlpWeights`: Glorot (Xavier) uniform
 * for tanh/sigmoid, He uniform for relu, zero biases.
 *
 * @example
 * ```ts
 * const model = new Mlp({ inputSize: 4, layers: [16, 3], activation: 'tanh', seed: 1 });
 * const { loss, gradients } = model.lossAndGradients({ inputs, targets, batch: 32, loss: 'softmaxCrossEntropy' });
 *
 * // Products split across threads; parameters in the kernels' memory, updated in place.
 * const fast = await createFastKernels();
 * const big = new Mlp({ inputSize: 784, layers: [256, 10], matmul: fast.matmul, allocate: fast.allocate });
 * const runner = new OptimizerRunner({ optimizer: adam(), ops: fast.ops, params: big.params, kernels: fast.kernels });
 * ```
 */
export class Mlp {
  readonly inputSize: number;
  readonly layers: readonly number[];
  readonly activation: Activation;
  /** Parameters by name, in layer order. */
  readonly params: Record<string, Float32Array> = {};
  /** Shapes by parameter name. */
  readonly shapes: Record<string, readonly number[]> = {};
  private readonly gradients: Record<string, Float32Array> = {};
  private buffers: { batch: number; pre: Float32Array[]; post: Float32Array[]; delta: Float32Array[]; sums: Float32Array[] } | undefined;
  /** Working arrays from `allocate` (in the kernels' memory with `fast.allocate`), grown only to a larger batch. */
  private workspace: { capacity: number; arrays: Float32Array[] } | undefined;
  private readonly allocateZeros: (length: number) => Float32Array;
  private readonly matmul: Matmul;
  private readonly relu: ReluKernels;
  /** Transposed weights (layers after the first), rebuilt for each backward pass. */
  private readonly transposed: Float32Array[];

  constructor(options: MlpOptions) {
    const {
      inputSize,
      layers,
      activation = 'relu',
      seed = 0,
      matmul = fastMatmul,
      relu = referenceRelu,
      allocate = (length: number) => new Float32Array(length),
    } = options;
    if (typeof allocate !== 'function')
      throw new StepsizeError('Mlp options.allocate', `must be a function (length) => Float32Array, got ${String(allocate)}`, allocate);
    const zeros = (length: number): Float32Array => {
      const array = allocate(length);
      if (!(array instanceof Float32Array) || array.length !== length) {
        throw new StepsizeError('Mlp options.allocate', `must return a Float32Array of the length asked for (${length})`, array);
      }
      return array.fill(0);
    };
    this.allocateZeros = zeros;
    if (typeof matmul !== 'function')
      throw new StepsizeError(
        'Mlp options.matmul',
        `must be a function such as fastMatmul or referenceMatmul, got ${String(matmul)}`,
        matmul,
      );
    this.matmul = matmul;
    if (typeof relu?.forward !== 'function' || typeof relu.backward !== 'function')
      throw new StepsizeError(
        'Mlp options.relu',
        `must be { forward, backward } such as referenceRelu or fast.relu, got ${String(relu)}`,
        relu,
      );
    this.relu = relu;
    const positive = (value: unknown, path: string): void => {
      if (!Number.isSafeInteger(value) || (value as number) < 1) {
        throw new StepsizeError(`Mlp options.${path}`, `must be an integer >= 1, got ${String(value)}`, value);
      }
    };
    positive(inputSize, 'inputSize');
    if (!Array.isArray(layers) || layers.length === 0) {
      throw new StepsizeError('Mlp options.layers', 'must be a non-empty array of layer widths', layers);
    }
    layers.forEach((width, i) => {
      positive(width, `layers[${i}]`);
    });
    if (!['relu', 'tanh', 'sigmoid'].includes(activation)) {
      throw new StepsizeError(
        'Mlp options.activation',
        `must be "relu", "tanh" or "sigmoid", got ${JSON.stringify(activation)}`,
        activation,
      );
    }
    this.inputSize = inputSize;
    this.layers = [...layers];
    this.activation = activation;
    // Core's seeded initialisation, so that every backend's MLP starts from the same weights.
    const initial = initialMlpWeights({ inputSize, layers, activation, seed });
    let fanIn = inputSize;
    layers.forEach((fanOut, i) => {
      const parts = [
        [`dense${i}.weight`, [fanIn, fanOut]],
        [`dense${i}.bias`, [fanOut]],
      ] as const;
      for (const [name, shape] of parts) {
        this.params[name] = zeros(shape.reduce((a, b) => a * b, 1));
        (this.params[name] as Float32Array).set(initial[name] as Float32Array);
        this.shapes[name] = [...shape];
      }
      for (const [name] of parts) this.gradients[name] = zeros((this.params[name] as Float32Array).length);
      fanIn = fanOut;
    });
    this.transposed = layers.map((fanOut, i) => new Float32Array(i === 0 ? 0 : fanOut * (layers[i - 1] as number)));
  }

  /** Width of the output. */
  get outputSize(): number {
    return this.layers[this.layers.length - 1] as number;
  }

  private buffersFor(batch: number): { pre: Float32Array[]; post: Float32Array[]; delta: Float32Array[]; sums: Float32Array[] } {
    if (this.buffers?.batch !== batch) {
      // One array per buffer and layer (pre, post, delta, sums) plus the staged inputs, from
      // `allocate`, so that fast.matmul uses them in place; views of the first `batch` rows. A
      // larger batch allocates anew, at least twice the previous capacity, so that arrays the
      // allocator cannot take back stay under the final size.
      // The last width, 1: a row of ones, the left operand of the bias gradients' product.
      const widths = [...this.layers, ...this.layers, ...this.layers, ...this.layers, this.inputSize, 1];
      if (this.workspace === undefined || this.workspace.capacity < batch) {
        const capacity = Math.max(batch, 2 * (this.workspace?.capacity ?? 0));
        this.workspace = { capacity, arrays: widths.map((w) => this.allocateZeros(capacity * w)) };
      }
      const { arrays } = this.workspace;
      const views = widths.map((w, i) => (arrays[i] as Float32Array).subarray(0, batch * w));
      const count = this.layers.length;
      this.buffers = {
        batch,
        pre: views.slice(0, count),
        post: views.slice(count, 2 * count),
        delta: views.slice(2 * count, 3 * count),
        sums: views.slice(3 * count, 4 * count),
      };
      this.staged = views[4 * count] as Float32Array;
      this.ones = (views[4 * count + 1] as Float32Array).fill(1);
    }
    return this.buffers;
  }

  /** The inputs copied into the workspace (read by two products per step, in place there). */
  private staged: Float32Array | undefined;
  /** `batch` ones in the workspace. */
  private ones: Float32Array | undefined;

  /** Forward pass: logits for `batch` examples of `inputs` (row-major batch × inputSize). */
  predict(inputs: Float32Array, batch: number): Float32Array {
    if (inputs.length !== batch * this.inputSize) {
      throw new StepsizeError(
        'Mlp.predict inputs',
        `must hold batch * inputSize = ${batch * this.inputSize} values, got ${inputs.length}`,
        inputs.length,
      );
    }
    const { pre, post } = this.buffersFor(batch);
    const staged = this.staged as Float32Array;
    if (inputs !== staged) staged.set(inputs);
    let input = staged;
    let fanIn = this.inputSize;
    const last = this.layers.length - 1;
    this.layers.forEach((fanOut, layer) => {
      const weight = this.params[`dense${layer}.weight`] as Float32Array;
      const bias = this.params[`dense${layer}.bias`] as Float32Array;
      const z = pre[layer] as Float32Array;
      const a = post[layer] as Float32Array;
      // z = bias + input · weight
      for (let b = 0; b < batch; b += 1) z.set(bias, b * fanOut);
      this.matmul({ c: z, a: input, b: weight, rows: batch, depth: fanIn, columns: fanOut, aRowStride: fanIn, aDepthStride: 1 });
      if (layer === last) a.set(z);
      else if (this.activation === 'relu') this.relu.forward({ input: z, output: a });
      else for (let i = 0; i < z.length; i += 1) a[i] = activate(this.activation, z[i] as number);
      input = a;
      fanIn = fanOut;
    });
    return post[last] as Float32Array;
  }

  /** Mean loss of a batch and its gradients (written into reused buffers). */
  lossAndGradients(args: {
    readonly inputs: Float32Array;
    readonly targets: Float32Array;
    readonly batch: number;
    readonly loss: LossName;
  }): LossAndGradients {
    const { inputs, targets, batch, loss } = args;
    const outputs = this.predict(inputs, batch);
    const { pre, post, delta, sums } = this.buffersFor(batch);
    const last = this.layers.length - 1;
    const value = lossAndGradient(loss, outputs, targets, batch, this.outputSize, delta[last] as Float32Array);
    for (let layer = last; layer >= 0; layer -= 1) {
      const fanOut = this.layers[layer] as number;
      const fanIn = layer === 0 ? this.inputSize : (this.layers[layer - 1] as number);
      const input = layer === 0 ? (this.staged as Float32Array) : (post[layer - 1] as Float32Array);
      const d = delta[layer] as Float32Array;
      const gradWeight = this.gradients[`dense${layer}.weight`] as Float32Array;
      const gradBias = this.gradients[`dense${layer}.bias`] as Float32Array;
      gradWeight.fill(0);
      gradBias.fill(0);
      // gradBias = onesᵀ · d: each term 1 · d is exact, so every product rounds like the plain
      // sum over the batch in order (and a multiply-add of an exact product is that sum).
      this.matmul({
        c: gradBias,
        a: this.ones as Float32Array,
        b: d,
        rows: 1,
        depth: batch,
        columns: fanOut,
        aRowStride: batch,
        aDepthStride: 1,
      });
      // gradWeight = inputᵀ · d (the input read transposed, summed over the batch in order)
      this.matmul({ c: gradWeight, a: input, b: d, rows: fanIn, depth: batch, columns: fanOut, aRowStride: 1, aDepthStride: fanIn });
      if (layer === 0) break;
      // below = (d · weightᵀ) ⊙ activation'(z)
      const weight = this.params[`dense${layer}.weight`] as Float32Array;
      const weightT = this.transposed[layer] as Float32Array;
      for (let k = 0; k < fanIn; k += 1) for (let j = 0; j < fanOut; j += 1) weightT[j * fanIn + k] = weight[k * fanOut + j] as number;
      const sum = sums[layer - 1] as Float32Array;
      sum.fill(0);
      this.matmul({ c: sum, a: d, b: weightT, rows: batch, depth: fanOut, columns: fanIn, aRowStride: fanOut, aDepthStride: 1 });
      const below = delta[layer - 1] as Float32Array;
      const z = pre[layer - 1] as Float32Array;
      const a = post[layer - 1] as Float32Array;
      if (this.activation === 'relu') this.relu.backward({ gradient: sum, input: z, output: below });
      else
        for (let i = 0; i < below.length; i += 1)
          below[i] = (sum[i] as number) * activationSlope(this.activation, z[i] as number, a[i] as number);
    }
    return { loss: value, gradients: this.gradients };
  }
}
