import {
  type AccuracyScoring,
  checkParameterValues,
  type Dataset,
  l2Norm,
  mlpScoring,
  type MlpSpec,
  type Optimizer,
  readAccuracyOption,
  readModelSource,
  StepsizeError,
  stateFromJSON,
  stateToJSON,
  type TrainingBackend,
} from '@stepsize/core';
import * as ort from 'onnxruntime-node';
import { checkTrainingModel } from './model-contract.js';
import { byName } from './names.js';
import { generateMlpTrainingModel } from './onnx/mlp-model.js';
import { createSession } from './session.js';
import { type ParameterData, ParameterUpdater, readParameterData, type UpdatePath } from './update/parameter-updater.js';

/** A training model: ONNX bytes, a file path, or a session you created (which stays yours). */
export type TrainingModelSource = Uint8Array | string | ort.InferenceSession;

/** Gradient output name of a parameter (ONNX Runtime training artifacts' convention). */
export const gradientOutput = (param: string): string => `${param}_grad`;

/** Options of {@link onnxruntimeTrainingBackend}: one model source, where the update runs, and session options. */
export interface OnnxruntimeTrainingBackendOptions {
  /** An MLP described as data (core's `MlpSpec`), generated as an ONNX training model (`buildMlpTrainingModel`). */
  readonly mlp?: MlpSpec | undefined;
  /**
   * A model of yours in the training convention: inputs `input` [batch, ...], `target`
   * [batch, ...] and one float32 input per parameter (named as the parameter); outputs
   * `loss` (a scalar), `<param>_grad` per parameter and optionally `output` (predictions).
   */
  readonly model?: TrainingModelSource | undefined;
  /**
   * Initial parameters of `model`: `{ values, shape }` by name (copied), every value finite
   * (`buildMlpTrainingModel` returns them this way). Names are data, except `__proto__`,
   * which core's optimizer state cannot hold and is refused.
   */
  readonly params?: Readonly<Record<string, ParameterData>> | undefined;
  /**
   * How the `output` is scored: `{ rule: 'argmax' }` for class logits, `{ rule: 'binary', threshold }`,
   * or `'none'`. Default: an `mlp`'s loss decides (as on every backend); none for a `model`.
   */
  readonly accuracy?: AccuracyScoring | 'none' | undefined;
  /** Where the update runs: `'onnx'` (default, a traced update graph) or `'engine'` (the engine's kernels on the same memory). */
  readonly update?: UpdatePath | undefined;
  /**
   * Session options of the model and the update graphs (the CPU execution provider unless
   * they name others). An execution provider ONNX Runtime cannot use is reported at
   * `sessionOptions.executionProviders` (the provider, ONNX Runtime's message as the
   * error's `cause`, and the providers this build has) when the model loads on the CPU.
   */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions | undefined;
}

/** ONNX Runtime's training backend: core's `TrainingBackend`, its sessions, and `dispose`. */
export interface OnnxruntimeTrainingBackend extends TrainingBackend<Readonly<Record<string, Float32Array>>> {
  /** ONNX Runtime's session of the model (forward and backward). */
  readonly session: ort.InferenceSession;
  /** The optimizer's updater (parameters, state, update graphs), once `setOptimizer` ran. */
  readonly updater: ParameterUpdater | undefined;
  /** Releases the ONNX Runtime sessions (the model's, when the backend loaded it, and the update graphs). */
  dispose(): Promise<void>;
}

/**
 * Loads a model source (CPU execution provider unless the session options say otherwise); `owned`
 * when loaded here. A failure names the model, or the execution provider when the model loads on the CPU.
 */
async function loadModel(model: TrainingModelSource, options: ort.InferenceSession.SessionOptions, where: string, source: string) {
  if (typeof model === 'object' && model !== null && typeof (model as ort.InferenceSession).run === 'function') {
    return { session: model as ort.InferenceSession, owned: false };
  }
  if (typeof model !== 'string' && !(model instanceof Uint8Array)) {
    throw new StepsizeError(`${where}.${source}`, 'must be ONNX model bytes (Uint8Array), a file path or an InferenceSession', model);
  }
  const what = typeof model === 'string' ? model : `${model.length} bytes`;
  const session = await createSession(model, options, { options: where, model: `${where}.${source}`, what });
  return { session, owned: true };
}

const formatShape = (shape: readonly (number | string)[]): string => `[${shape.join(', ')}]`;

/**
 * The error of a gradient whose shape at run time is not its parameter's (a model whose
 * gradient output is declared with symbolic dimensions can compute any shape).
 */
function gradientShapeError(
  session: ort.InferenceSession,
  name: string,
  expected: readonly number[],
  got: readonly number[],
  cause?: unknown,
): StepsizeError {
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

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** Per-example dims of a model input (NaN for a symbolic one). */
function perExample(session: ort.InferenceSession, name: string): number[] {
  const metadata = session.inputMetadata.find((m) => m.name === name);
  const shape = metadata?.isTensor ? metadata.shape : [];
  return shape.slice(1).map((d) => (typeof d === 'number' ? d : Number.NaN));
}

/**
 * ONNX Runtime as a training backend of core's `train()`: ONNX Runtime runs the
 * model's forward and backward graph (a generated MLP or your own model in the
 * training convention; it is checked against it and the parameters, every
 * problem in one error), and core's pure step updates the parameters in a
 * traced ONNX graph or with the engine's kernels. On the engine path ONNX
 * Runtime writes the gradients straight into the kernels' memory, so the
 * gradients `lossAndGradients` returns are valid until its next call. Call
 * `dispose()` when done.
 *
 * @example
 * ```ts
 * const backend = await onnxruntimeTrainingBackend({ mlp: { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 } });
 * await train({ backend, optimizer: adamW({ learningRate: 0.01 }), data, batchSize: 16, steps: 300 });
 * await backend.dispose();
 *
 * // A model in the training convention, with its initial parameters by name (here a generated one):
 * const { model, params } = buildMlpTrainingModel({ inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 });
 * const yours = await onnxruntimeTrainingBackend({ model, params, update: 'engine' });
 * ```
 */
export async function onnxruntimeTrainingBackend(options: OnnxruntimeTrainingBackendOptions): Promise<OnnxruntimeTrainingBackend> {
  const where = 'onnxruntimeTrainingBackend options';
  const source = readModelSource(options, where, 'a training model, with params');
  const update = options.update ?? 'onnx';
  if (update !== 'onnx' && update !== 'engine')
    throw new StepsizeError(`${where}.update`, `must be "onnx" or "engine", got ${JSON.stringify(update)}`, update);
  const sessionOptions = options.sessionOptions ?? {};
  let initial: Readonly<Record<string, ParameterData>>;
  let model: TrainingModelSource;
  const accuracyOption = readAccuracyOption(options.accuracy, `${where}.accuracy`);
  let accuracy = accuracyOption === 'none' ? undefined : accuracyOption;
  if (source === 'mlp') {
    const spec = options.mlp as MlpSpec;
    // The same model and seeded initial weights as buildMlpTrainingModel(spec) (core's initialMlpWeights).
    const generated = generateMlpTrainingModel(spec, `${where}.mlp`);
    model = generated.model;
    initial = byName(Object.entries(generated.params));
    if (accuracyOption === undefined) accuracy = mlpScoring(spec).accuracy;
  } else {
    model = options.model as TrainingModelSource;
    const given = Object.entries(readParameterData(options.params, `${where}.params`));
    initial = byName(given.map(([name, p]) => [name, { values: Float32Array.from(p.values), shape: [...p.shape] }] as const));
  }
  const { session, owned } = await loadModel(model, sessionOptions, where, source);
  try {
    checkTrainingModel(session, initial);
  } catch (error) {
    if (owned) await session.release();
    throw error;
  }
  const shapes = byName(Object.entries(initial).map(([name, p]) => [name, [...p.shape]] as const));
  const names = Object.keys(shapes);
  const examples = { input: perExample(session, 'input'), target: perExample(session, 'target') };
  const hasOutput = session.outputNames.includes('output');
  let updater: ParameterUpdater | undefined;
  const values = (name: string): Float32Array => updater?.values(name) ?? (initial[name] as ParameterData).values;
  const active = (what: string): ParameterUpdater => {
    if (updater === undefined)
      throw new StepsizeError(`onnxruntime backend ${what}`, 'needs an optimizer: call setOptimizer first (train does)', undefined);
    return updater;
  };
  /** Feeds of a batch: the parameters, and `input` and `target` shaped by the model's per-example dims. */
  const feeds = (batch: Dataset): Record<string, ort.Tensor> => {
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
    for (const [name, shape] of Object.entries(shapes)) out[name] = new ort.Tensor('float32', values(name), shape);
    out.input = new ort.Tensor('float32', batch.inputs, shapeOf(examples.input, batch.inputs, 'inputs'));
    out.target = new ort.Tensor('float32', batch.targets, shapeOf(examples.target, batch.targets, 'targets'));
    return out;
  };
  /** The fetches of a run: the gradients into `buffers` (the engine path's) or, without them, wherever ONNX Runtime puts them. */
  const fetchesOf = (buffers: Readonly<Record<string, Float32Array>> | undefined): Record<string, ort.Tensor | null> => {
    const fetches = byName<ort.Tensor | null>([['loss', null]]);
    if (hasOutput) fetches.output = null;
    for (const [name, shape] of Object.entries(shapes)) {
      fetches[gradientOutput(name)] = buffers ? new ort.Tensor('float32', buffers[name] as Float32Array, shape) : null;
    }
    return fetches;
  };
  /** The first gradient whose shape is not its parameter's, as an error. */
  const wrongGradient = (results: ort.InferenceSession.ReturnType, cause?: unknown): StepsizeError | undefined => {
    for (const name of names) {
      const dims = results[gradientOutput(name)]?.dims;
      const expected = shapes[name] as number[];
      if (dims !== undefined && !sameShape(dims, expected)) return gradientShapeError(session, name, expected, dims, cause);
    }
    return undefined;
  };
  /** Forward + backward; on the engine path ONNX Runtime writes the gradients into the updater's buffers. */
  const run = async (batch: Dataset) => {
    const buffers = updater?.gradientBuffers;
    const given = feeds(batch);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(given, fetchesOf(buffers));
    } catch (error) {
      // ONNX Runtime refuses to write a gradient of another shape into its buffer: run once more
      // without the buffers to name the gradient and its shape (the error the ONNX path gives).
      if (buffers === undefined) throw error;
      const unbuffered = await session.run(given, fetchesOf(undefined)).catch(() => undefined);
      const wrong = unbuffered && wrongGradient(unbuffered, error);
      throw wrong ?? error;
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
  };
  const widthOf = (dims: readonly number[]): number | undefined =>
    dims.every(Number.isFinite) ? dims.reduce((a, b) => a * b, 1) : undefined;
  return {
    name: `onnxruntime (${update === 'onnx' ? 'update graph' : 'engine kernels'})`,
    parameterShapes: shapes,
    exampleWidths: { input: widthOf(examples.input), target: widthOf(examples.target) },
    accuracy,
    session,
    get updater() {
      return updater;
    },
    setOptimizer: async (optimizer: Optimizer) => {
      const params = byName(
        Object.entries(shapes).map(([name, shape]) => [name, { values: Float32Array.from(values(name)), shape }] as const),
      );
      const next = await ParameterUpdater.create({ optimizer, params, path: update, sessionOptions });
      await updater?.dispose();
      updater = next;
    },
    lossAndGradients: async (batch) => {
      const { loss, gradients } = await run(batch);
      return { loss, gradientNorm: l2Norm(Object.values(gradients)), gradients };
    },
    applyGradients: (gradients) => active('applyGradients').step(gradients),
    evaluate: async (data) => {
      const result = await run(data);
      return { loss: result.loss, outputs: result.output ? Float32Array.from(result.output) : undefined };
    },
    readParameters: () => Object.fromEntries(names.map((name) => [name, Float32Array.from(values(name))])),
    writeParameters: (given) => {
      // Names are data: a missing "constructor" is missing (not Object's), "toString" is no parameter unless it is one.
      for (const name of names) {
        if (typeof given !== 'object' || given === null || !Object.hasOwn(given, name))
          throw new StepsizeError(`parameters.${name}`, `must hold ${(initial[name] as ParameterData).values.length} values`, undefined);
      }
      for (const name of Object.keys(given)) {
        if (!Object.hasOwn(shapes, name)) throw new StepsizeError(`parameters.${name}`, `is not a parameter (${names.join(', ')})`, name);
      }
      checkParameterValues(given, shapes, 'parameters');
      const next = byName(names.map((name) => [name, Float32Array.from(given[name] as ArrayLike<number>)] as const));
      if (updater) updater.load({ params: next });
      else for (const [name, v] of Object.entries(next)) (initial[name] as ParameterData).values.set(v);
    },
    readOptimizerState: () => stateToJSON(active('readOptimizerState').state, (t) => t),
    writeOptimizerState: (json) => active('writeOptimizerState').load({ state: stateFromJSON(json, (v) => Float32Array.from(v)) }),
    dispose: async () => {
      await updater?.dispose();
      updater = undefined;
      if (owned) await session.release();
    },
  };
}
