import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { type Dimension, GraphBuilder } from '../../onnx/graph.js';
import type { LossName, TargetKind } from '../../onnx/loss-head.js';
import { type BuildTrainingModelOptions, buildTrainingModel } from '../build-training-model.js';
import { worstRelativeError } from './torch-fixtures.js';

const { onnx } = onnxProto;

/** A float32 tensor: its values and dimensions. */
export interface Tensor {
  readonly values: Float32Array;
  readonly shape: readonly number[];
}

/** A seeded generator of uniform numbers in [low, high) (mulberry32). */
export function randomSource(seed: number): (low?: number, high?: number) => number {
  let state = seed >>> 0;
  return (low = -1, high = 1) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return low + (high - low) * unit;
  };
}

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A tensor of `shape` with values `fill(i)` by flat index. */
export function tensor(shape: readonly number[], fill: (index: number) => number): Tensor {
  return { values: Float32Array.from({ length: count(shape) }, (_, i) => fill(i)), shape };
}

/** A tensor of `shape` with uniform values in [low, high). */
export function randomTensor(random: (low?: number, high?: number) => number, shape: readonly number[], low = -1, high = 1): Tensor {
  return tensor(shape, () => random(low, high));
}

/** Values in ±[gap, gap + 1): uniform, but kept away from 0 (for Relu, LeakyRelu and Abs kinks). */
export function awayFromZero(random: (low?: number, high?: number) => number, length: number, gap = 0.2): number[] {
  return Array.from({ length }, () => {
    const magnitude = gap + random(0, 1);
    return random() < 0 ? -magnitude : magnitude;
  });
}

/**
 * An inference model with one data input `x` of dimensions `inputDims` (batch first, e.g.
 * `['batch', 3, 4]`); `build` adds the nodes, its initializers and its outputs (`graph.output`).
 */
export function inferenceModel(inputDims: readonly Dimension[], build: (graph: GraphBuilder, x: string) => void): Uint8Array {
  const graph = new GraphBuilder('operator_under_test');
  build(graph, graph.input('x', 'float32', inputDims));
  return graph.toModel();
}

/**
 * The same model with the named initializers turned into graph inputs, so that each run
 * feeds their values (onnxruntime-node does not let a run override an initializer).
 */
function withParameterInputs(model: Uint8Array, names: readonly string[]): Uint8Array {
  const decoded = onnx.ModelProto.decode(model);
  const graph = decoded.graph as onnxProto.onnx.GraphProto;
  const lifted = (tensor: onnxProto.onnx.ITensorProto): boolean => names.includes(tensor.name ?? '');
  for (const tensor of graph.initializer.filter(lifted)) {
    const dim = (tensor.dims ?? []).map((d) => ({ dimValue: d }));
    graph.input.push({ name: tensor.name ?? '', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim } } } });
  }
  graph.initializer = graph.initializer.filter((tensor) => !lifted(tensor));
  return onnx.ModelProto.encode(decoded).finish();
}

/** A loss on the predictions, in float64 as PyTorch defines it, with its target. */
export interface LossCase {
  readonly name: LossName;
  readonly targetKind?: TargetKind;
  /** The target, given the predictions' dimensions. */
  readonly target: (outputShape: readonly number[]) => Tensor;
  readonly evaluate: (output: ArrayLike<number>, target: ArrayLike<number>, outputShape: readonly number[]) => number;
}

/** `MSELoss()`: the mean of the squared differences. */
export function meanSquaredError(output: ArrayLike<number>, target: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < output.length; i += 1) sum += ((output[i] as number) - (target[i] as number)) ** 2;
  return sum / output.length;
}

/** The default loss: mse against a fixed random target (seeded by the output's size). */
export const MSE: LossCase = {
  name: 'mse',
  target: (shape) => randomTensor(randomSource(count(shape) + 17), shape, -1, 1),
  evaluate: meanSquaredError,
};

/** What {@link checkGradients} checks: a model, its data input, and the options of `buildTrainingModel`. */
export interface GradientCheck {
  readonly model: Uint8Array;
  readonly input: Tensor;
  readonly options?: Omit<BuildTrainingModelOptions, 'loss' | 'target'>;
  /** Default {@link MSE}. */
  readonly loss?: LossCase;
  /** The finite-difference step relative to max(|parameter|, 0.5). Default 1e-2. */
  readonly step?: number;
}

/** The analytic gradients (training model), the central finite differences (inference model), and how they differ. */
export interface GradientResult {
  /** Worst scale-aware relative error per parameter, and over all. */
  readonly errors: Readonly<Record<string, number>>;
  readonly worst: number;
  readonly analytic: Readonly<Record<string, Float32Array>>;
  readonly numeric: Readonly<Record<string, Float64Array>>;
  /** The training model's `loss` against the float64 loss of the inference model's output. */
  readonly lossError: number;
  /** The training model's `output` against the inference model's output. */
  readonly outputError: number;
}

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };

/**
 * Builds the training model of `check.model`, runs it for the analytic gradients, and
 * compares them with central finite differences (L(p + h) − L(p − h)) / 2h of the float64
 * loss of the inference model's float32 output, every element of every parameter.
 */
export async function checkGradients(check: GradientCheck): Promise<GradientResult> {
  const loss = check.loss ?? MSE;
  const { model, params } = buildTrainingModel(check.model, {
    ...check.options,
    loss: loss.name,
    ...(loss.targetKind ? { target: loss.targetKind } : {}),
  });
  const inference = await ort.InferenceSession.create(withParameterInputs(check.model, Object.keys(params)), SESSION_OPTIONS);
  const training = await ort.InferenceSession.create(model, SESSION_OPTIONS);
  try {
    const outputName = check.options?.output ?? (inference.outputNames[0] as string);
    const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', check.input.values, [...check.input.shape]) };
    for (const [name, p] of Object.entries(params)) feeds[name] = new ort.Tensor('float32', Float32Array.from(p.values), [...p.shape]);
    const forward = async (): Promise<ort.Tensor> => (await inference.run(feeds))[outputName] as ort.Tensor;
    const first = await forward();
    const outputShape = first.dims.map(Number);
    const target = loss.target(outputShape);
    const evaluate = async (): Promise<number> => loss.evaluate((await forward()).data as Float32Array, target.values, outputShape);

    const trainingFeeds: Record<string, ort.Tensor> = {
      input: feeds.x as ort.Tensor,
      target: new ort.Tensor('float32', target.values, [...target.shape]),
    };
    for (const [name, p] of Object.entries(params)) trainingFeeds[name] = new ort.Tensor('float32', p.values, [...p.shape]);
    const results = await training.run(trainingFeeds);
    const trainingLoss = (results.loss as ort.Tensor).data[0] as number;
    const lossError = Math.abs(trainingLoss - (await evaluate())) / Math.max(Math.abs(trainingLoss), 1e-12);
    const outputError = worstRelativeError((results.output as ort.Tensor).data as Float32Array, Array.from(first.data as Float32Array));

    const analytic: Record<string, Float32Array> = {};
    const numeric: Record<string, Float64Array> = {};
    const errors: Record<string, number> = {};
    for (const name of Object.keys(params)) {
      analytic[name] = (results[`${name}_grad`] as ort.Tensor).data as Float32Array;
      const values = (feeds[name] as ort.Tensor).data as Float32Array;
      const differences = new Float64Array(values.length);
      for (let i = 0; i < values.length; i += 1) {
        const value = values[i] as number;
        const h = (check.step ?? 1e-2) * Math.max(Math.abs(value), 0.5);
        values[i] = value + h;
        const up = Math.fround(value + h);
        const plus = await evaluate();
        values[i] = value - h;
        const down = Math.fround(value - h);
        const minus = await evaluate();
        values[i] = value;
        // The step actually taken in float32.
        differences[i] = (plus - minus) / (up - down);
      }
      numeric[name] = differences;
      errors[name] = worstRelativeError(analytic[name], Array.from(differences));
    }
    const worst = Math.max(...Object.values(errors));
    return { errors, worst, analytic, numeric, lossError, outputError };
  } finally {
    await inference.release();
    await training.release();
  }
}

/** Checks the gradients, logs the worst error, and expects every one within `tolerance` (and loss and output consistent). */
export async function expectGradients(label: string, check: GradientCheck, tolerance = 1e-2): Promise<GradientResult> {
  const result = await checkGradients(check);
  const parts = Object.entries(result.errors).map(([name, error]) => `${name} ${error.toExponential(2)}`);
  console.log(
    `${label}: worst finite-difference error ${result.worst.toExponential(2)} (${parts.join(', ')}); ` +
      `loss ${result.lossError.toExponential(2)}, output ${result.outputError.toExponential(2)}`,
  );
  expect(result.outputError, `${label}: training output vs inference output`).toBeLessThan(1e-5);
  expect(result.lossError, `${label}: training loss vs the float64 loss`).toBeLessThan(1e-5);
  for (const [name, error] of Object.entries(result.errors)) expect(error, `${label}: ${name}`).toBeLessThan(tolerance);
  return result;
}
