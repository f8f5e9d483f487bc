import { type Dataset, StepsizeError } from '@stepsize/core';
import * as ort from 'onnxruntime-node';
import { byName } from '../parameters.js';

/** Gradient output name of a parameter (ONNX Runtime training artifacts' convention). */
export const gradientOutput = (param: string): string => `${param}_grad`;

const formatShape = (shape: readonly (number | string)[]): string => `[${shape.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** Per-example dims of a model input (NaN for a symbolic one). */
function perExample(session: ort.InferenceSession, name: string): number[] {
  const metadata = session.inputMetadata.find((m) => m.name === name);
  const shape = metadata?.isTensor ? metadata.shape : [];
  return shape.slice(1).map((d) => (typeof d === 'number' ? d : Number.NaN));
}

/** What one run of a training model gives: the mean loss, the predictions (when the model has `output`) and the gradients. */
export interface TrainingRunResult {
  readonly loss: number;
  readonly output: Float32Array | undefined;
  readonly gradients: Record<string, Float32Array>;
}

/** A model in the training convention (checked by `checkTrainingModel`), run on batches. */
export interface TrainingRun {
  /** Per-example sizes of `input` and `target` (undefined where a dimension is symbolic). */
  readonly exampleWidths: { readonly input: number | undefined; readonly target: number | undefined };
  /**
   * Forward + backward on a batch with these parameter values. With `buffers`, ONNX Runtime
   * writes each gradient into its buffer (and the result's gradients are those buffers).
   */
  run(
    batch: Dataset,
    values: (name: string) => Float32Array,
    buffers: Readonly<Record<string, Float32Array>> | undefined,
  ): Promise<TrainingRunResult>;
}

/**
 * Runs a training model's session: feeds `input` and `target` shaped by the model's
 * per-example dims and the parameters by name, fetches `loss`, `output` and every
 * `<param>_grad`, and refuses a gradient whose shape at run time is not its parameter's
 * (a model that declares symbolic gradient dims can compute any shape), naming it.
 */
export function trainingRun(session: ort.InferenceSession, shapes: Readonly<Record<string, readonly number[]>>): TrainingRun {
  const names = Object.keys(shapes);
  const examples = { input: perExample(session, 'input'), target: perExample(session, 'target') };
  const hasOutput = session.outputNames.includes('output');
  const feeds = (batch: Dataset, values: (name: string) => Float32Array): Record<string, ort.Tensor> => {
    const count = batch.examples;
    const shapeOf = (dims: readonly number[], data: Float32Array, name: string): number[] => {
      const known = dims.every(Number.isFinite);
      const size = known ? dims.reduce((a, b) => a * b, 1) : data.length / count;
      if (!(data instanceof Float32Array) || data.length !== count * size || !Number.isInteger(size)) {
        throw new StepsizeError(`batch.${name}`, `must be a Float32Array of examples * ${size} = ${count * size} values`, data?.length);
      }
      return known ? [count, ...dims] : [count, size];
    };
    const out = byName<ort.Tensor>();
    for (const [name, shape] of Object.entries(shapes)) out[name] = new ort.Tensor('float32', values(name), shape as number[]);
    out.input = new ort.Tensor('float32', batch.inputs, shapeOf(examples.input, batch.inputs, 'inputs'));
    out.target = new ort.Tensor('float32', batch.targets, shapeOf(examples.target, batch.targets, 'targets'));
    return out;
  };
  const fetchesOf = (buffers: Readonly<Record<string, Float32Array>> | undefined): Record<string, ort.Tensor | null> => {
    const fetches = byName<ort.Tensor | null>([['loss', null]]);
    if (hasOutput) fetches.output = null;
    for (const [name, shape] of Object.entries(shapes)) {
      fetches[gradientOutput(name)] = buffers ? new ort.Tensor('float32', buffers[name] as Float32Array, shape as number[]) : null;
    }
    return fetches;
  };
  /** The first gradient whose shape is not its parameter's, as an error. */
  const wrongGradient = (results: ort.InferenceSession.ReturnType, cause?: unknown): StepsizeError | undefined => {
    for (const name of names) {
      const got = results[gradientOutput(name)]?.dims;
      const expected = shapes[name] as readonly number[];
      if (got === undefined || sameShape(got, expected)) continue;
      const output = gradientOutput(name);
      const metadata = session.outputMetadata.find((m) => m.name === output);
      const declared = metadata?.isTensor ? ` (the model declares ${formatShape(metadata.shape.map((d) => (d === '' ? '?' : d)))})` : '';
      return new StepsizeError(
        `training model output "${output}"`,
        `must have the shape of parameter "${name}", ${formatShape(expected)}, got ${formatShape(got)} on this batch${declared}`,
        [...got],
        { cause },
      );
    }
    return undefined;
  };
  const widthOf = (dims: readonly number[]): number | undefined =>
    dims.every(Number.isFinite) ? dims.reduce((a, b) => a * b, 1) : undefined;
  return {
    exampleWidths: { input: widthOf(examples.input), target: widthOf(examples.target) },
    async run(batch, values, buffers) {
      const given = feeds(batch, values);
      let results: ort.InferenceSession.ReturnType;
      try {
        results = await session.run(given, fetchesOf(buffers));
      } catch (error) {
        // ONNX Runtime refuses to write a gradient of another shape into its buffer: run once more
        // without the buffers to name the gradient and its shape (the error the ONNX path gives).
        if (buffers === undefined) throw error;
        const unbuffered = await session.run(given, fetchesOf(undefined)).catch(() => undefined);
        throw (unbuffered && wrongGradient(unbuffered, error)) ?? error;
      }
      const wrong = wrongGradient(results);
      if (wrong) throw wrong;
      const gradients = byName<Float32Array>();
      for (const name of names) gradients[name] = buffers?.[name] ?? (results[gradientOutput(name)]?.data as Float32Array);
      return {
        loss: (results.loss?.data as Float32Array | undefined)?.[0] ?? Number.NaN,
        output: results.output?.data as Float32Array | undefined,
        gradients,
      };
    },
  };
}
