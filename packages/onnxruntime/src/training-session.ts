import { StepsizeError, type Optimizer, type StepReport } from '@stepsize/core';
import * as ort from 'onnxruntime-node';
import { checkTrainingModel } from './model-contract.js';
import { ParameterUpdater, type ParameterData, type UpdatePath } from './update/parameter-updater.js';

/** A training model: ONNX bytes, a file path, or a session you created. */
export type TrainingModelSource = Uint8Array | string | ort.InferenceSession;

/** Options of {@link OnnxTrainingSession.create}. */
export interface OnnxTrainingSessionOptions {
  /**
   * A model following the training convention: inputs `input` [batch, ...],
   * `target` [batch, ...] and one float32 input per parameter (named as the
   * parameter); outputs `loss` (a scalar), `<param>_grad` per parameter and
   * optionally `output` (predictions).
   */
  readonly model: TrainingModelSource;
  /** Initial parameters by name (copied). */
  readonly params: Readonly<Record<string, ParameterData>>;
  /** The optimizer (schedules included); without one the session runs forward and backward only, until {@link OnnxTrainingSession.withOptimizer}. */
  readonly optimizer?: Optimizer | undefined;
  /** Where the update runs (default `'onnx'`: a traced update graph; `'engine'`: the engine's kernels). */
  readonly update?: UpdatePath;
  /** Session options for the model and the update graphs (CPU execution provider). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
}

/** A batch: row-major float32 inputs and targets of `batch` examples. */
export interface Batch {
  readonly inputs: Float32Array;
  readonly targets: Float32Array;
  readonly batch: number;
}

/** What one forward + backward run returns. */
export interface ForwardBackward {
  readonly loss: number;
  /** The model's `output` (predictions), when it has one. */
  readonly output: Float32Array | undefined;
  readonly gradients: Record<string, Float32Array>;
}

/** Gradient output name of a parameter (ONNX Runtime training artifacts' convention). */
export const gradientOutput = (param: string): string => `${param}_grad`;

function dims(metadata: ort.InferenceSession.ValueMetadata | undefined): readonly (number | string)[] | undefined {
  return metadata && metadata.isTensor ? metadata.shape : undefined;
}

/**
 * Training with ONNX Runtime for Node, whose JavaScript training API was
 * removed upstream: ONNX Runtime runs the model's forward + backward graph, and
 * a stepsize optimizer (any schedule) updates the parameters, in ONNX Runtime
 * (a traced update graph) or with the engine's kernels. Parameters are fed as
 * inputs each step, so they live in JavaScript memory and checkpoints are plain
 * data.
 *
 * @example
 * ```ts
 * const session = await OnnxTrainingSession.create({ model: bytes, params, optimizer: adamW({ learningRate: schedule }) });
 * const { loss } = await session.step({ inputs, targets, batch: 32 });
 * ```
 */
/**
 * Loads a training model source into an ONNX Runtime session (CPU execution
 * provider unless the session options say otherwise); `owned` says whether the
 * caller must release it (a session you passed in stays yours).
 */
export async function loadModel(
  model: TrainingModelSource,
  sessionOptions: ort.InferenceSession.SessionOptions,
  where: string,
): Promise<{ readonly session: ort.InferenceSession; readonly owned: boolean }> {
  if (typeof model === 'object' && model !== null && typeof (model as ort.InferenceSession).run === 'function') {
    return { session: model as ort.InferenceSession, owned: false };
  }
  if (typeof model !== 'string' && !(model instanceof Uint8Array)) {
    throw new StepsizeError(where, 'must be ONNX model bytes (Uint8Array), a file path or an InferenceSession', model);
  }
  try {
    const session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, { executionProviders: ['cpu'], ...sessionOptions })
        : await ort.InferenceSession.create(model, { executionProviders: ['cpu'], ...sessionOptions });
    return { session, owned: true };
  } catch (error) {
    throw new StepsizeError(
      where,
      `could not be loaded by ONNX Runtime: ${(error as Error).message}`,
      typeof model === 'string' ? model : `${model.length} bytes`,
    );
  }
}

/**
 * Training with ONNX Runtime for Node, whose JavaScript training API was
 * removed upstream: ONNX Runtime runs the model's forward + backward graph, and
 * a stepsize optimizer (any schedule) updates the parameters, in ONNX Runtime
 * (a traced update graph) or with the engine's kernels. Parameters are fed as
 * inputs each step, so they live in JavaScript memory and checkpoints are plain
 * data. For whole runs use core's `train()` with {@link onnxruntimeTrainingBackend};
 * this class is the step-by-step layer under it.
 *
 * @example
 * ```ts
 * const session = await OnnxTrainingSession.create({ model: bytes, params, optimizer: adamW({ learningRate: schedule }) });
 * const { loss } = await session.step({ inputs, targets, batch: 32 });
 * await session.release();
 * ```
 */
export class OnnxTrainingSession {
  /** Features per example and the target shape per example, from the model's inputs (NaN for a symbolic dimension). */
  readonly exampleShape: { readonly input: readonly number[]; readonly target: readonly number[] };
  readonly hasOutput: boolean;
  /** Parameter shapes by name. */
  readonly shapes: Readonly<Record<string, readonly number[]>>;

  private constructor(
    readonly session: ort.InferenceSession,
    private readonly current: ParameterUpdater | undefined,
    /** Parameters while there is no optimizer. */
    private readonly initial: Record<string, ParameterData>,
    private ownsSession: boolean,
    private readonly options: Pick<OnnxTrainingSessionOptions, 'update' | 'sessionOptions'>,
  ) {
    const metadata = Object.fromEntries(session.inputMetadata.map((m) => [m.name, m]));
    const perExample = (name: string): number[] => {
      const shape = dims(metadata[name]) ?? [];
      return shape.slice(1).map((d) => (typeof d === 'number' ? d : Number.NaN));
    };
    this.exampleShape = { input: perExample('input'), target: perExample('target') };
    this.hasOutput = session.outputNames.includes('output');
    this.shapes = Object.fromEntries(Object.entries(initial).map(([name, p]) => [name, [...p.shape]]));
  }

  /** Loads the model, checks it against the convention and the parameters, and prepares the optimizer. */
  static async create(options: OnnxTrainingSessionOptions): Promise<OnnxTrainingSession> {
    const { session, owned } = await loadModel(options.model, options.sessionOptions ?? {}, 'OnnxTrainingSession options.model');
    try {
      checkTrainingModel(session, options.params);
      const initial: Record<string, ParameterData> = {};
      for (const [name, p] of Object.entries(options.params)) initial[name] = { values: Float32Array.from(p.values), shape: [...p.shape] };
      const updater =
        options.optimizer === undefined ? undefined : await OnnxTrainingSession.updaterFor(options.optimizer, initial, options);
      return new OnnxTrainingSession(session, updater, initial, owned, options);
    } catch (error) {
      if (owned) await session.release();
      throw error;
    }
  }

  private static updaterFor(
    optimizer: Optimizer,
    params: Readonly<Record<string, ParameterData>>,
    options: Pick<OnnxTrainingSessionOptions, 'update' | 'sessionOptions'>,
  ): Promise<ParameterUpdater> {
    return ParameterUpdater.create({
      optimizer,
      params,
      ...(options.update !== undefined && { path: options.update }),
      sessionOptions: options.sessionOptions ?? {},
    });
  }

  /** The optimizer's updater (parameters, state, update graphs). */
  get updater(): ParameterUpdater {
    if (this.current === undefined) {
      throw new StepsizeError(
        'OnnxTrainingSession.updater',
        'needs an optimizer: create the session with one, or call withOptimizer',
        undefined,
      );
    }
    return this.current;
  }

  /** Current values of a parameter (do not modify). */
  values(name: string): Float32Array {
    if (this.current) return this.current.values(name);
    const value = this.initial[name]?.values;
    if (value === undefined)
      throw new StepsizeError(
        `OnnxTrainingSession.values("${name}")`,
        `names no parameter (${Object.keys(this.initial).join(', ')})`,
        name,
      );
    return value;
  }

  /**
   * A session over the same model with a new optimizer (fresh state) starting from the
   * current parameters; this session's updater is released and the model now belongs to
   * the new one.
   */
  async withOptimizer(optimizer: Optimizer): Promise<OnnxTrainingSession> {
    const params: Record<string, ParameterData> = {};
    for (const [name, shape] of Object.entries(this.shapes))
      params[name] = { values: Float32Array.from(this.values(name)), shape: [...shape] };
    const updater = await OnnxTrainingSession.updaterFor(optimizer, params, this.options);
    await this.current?.release();
    const next = new OnnxTrainingSession(this.session, updater, params, this.ownsSession, this.options);
    this.ownsSession = false;
    return next;
  }

  /** Replaces every parameter (checked first: a bad set changes nothing); optimizer state stays. */
  writeParameters(values: Readonly<Record<string, ArrayLike<number>>>): void {
    const next: Record<string, Float32Array> = {};
    for (const [name, shape] of Object.entries(this.shapes)) {
      const given = values[name];
      const size = shape.reduce((a, b) => a * b, 1);
      if (given === undefined || given.length !== size)
        throw new StepsizeError(`parameters.${name}`, `must hold ${size} values`, given?.length);
      next[name] = Float32Array.from(given);
    }
    for (const name of Object.keys(values))
      if (!(name in this.shapes)) throw new StepsizeError(`parameters.${name}`, 'is not a parameter of the model', name);
    if (this.current) this.current.load(next, this.current.state);
    else for (const [name, v] of Object.entries(next)) (this.initial[name] as ParameterData).values.set(v);
  }

  /** Current parameters as ONNX Runtime tensors over their data (no copy). */
  private tensors(): Record<string, ort.Tensor> {
    if (this.current) return this.current.tensors();
    const out: Record<string, ort.Tensor> = {};
    for (const [name, p] of Object.entries(this.initial)) out[name] = new ort.Tensor('float32', p.values, [...p.shape]);
    return out;
  }

  private feeds(batch: Batch): Record<string, ort.Tensor> {
    const { inputs, targets } = batch;
    const count = batch.batch;
    if (!Number.isSafeInteger(count) || count < 1) throw new StepsizeError('batch.batch', 'must be an integer >= 1', count);
    const shapeOf = (perExample: readonly number[], values: Float32Array, name: string): number[] => {
      const known = perExample.every((d) => Number.isFinite(d));
      const size = known ? perExample.reduce((a, b) => a * b, 1) : values.length / count;
      if (!(values instanceof Float32Array) || values.length !== count * size || !Number.isInteger(size)) {
        throw new StepsizeError(`batch.${name}`, `must be a Float32Array of batch * ${size} = ${count * size} values`, values?.length);
      }
      return known ? [count, ...perExample] : [count, size];
    };
    return {
      ...this.tensors(),
      input: new ort.Tensor('float32', inputs, shapeOf(this.exampleShape.input, inputs, 'inputs')),
      target: new ort.Tensor('float32', targets, shapeOf(this.exampleShape.target, targets, 'targets')),
    };
  }

  /**
   * Runs forward + backward on a batch (parameters unchanged). On the engine update path,
   * ONNX Runtime writes the gradients straight into the updater's buffers
   * ({@link ParameterUpdater.gradientBuffers}), so the returned gradients are those buffers:
   * valid until the next `forwardBackward` or `step` (copy them to keep them). On the ONNX
   * path they are new arrays.
   */
  async forwardBackward(batch: Batch): Promise<ForwardBackward> {
    const feeds = this.feeds(batch);
    const buffers = this.current?.gradientBuffers;
    let results: ort.InferenceSession.OnnxValueMapType;
    if (buffers === undefined) results = await this.session.run(feeds);
    else {
      const fetches: Record<string, ort.Tensor | null> = { loss: null };
      if (this.hasOutput) fetches.output = null;
      for (const [name, shape] of Object.entries(this.shapes)) {
        fetches[gradientOutput(name)] = new ort.Tensor('float32', buffers[name] as Float32Array, [...shape]);
      }
      results = await this.session.run(feeds, fetches);
    }
    const gradients: Record<string, Float32Array> = {};
    for (const name of Object.keys(this.shapes)) gradients[name] = buffers?.[name] ?? (results[gradientOutput(name)]?.data as Float32Array);
    return {
      loss: (results.loss?.data as Float32Array)[0] as number,
      output: this.hasOutput ? (results.output?.data as Float32Array) : undefined,
      gradients,
    };
  }

  /** One training step: forward + backward, then the optimizer update. */
  async step(batch: Batch): Promise<ForwardBackward & { readonly report: StepReport }> {
    const result = await this.forwardBackward(batch);
    const report = await this.updater.step(result.gradients);
    return { ...result, report };
  }

  /** Releases the model session (when created here) and the update graphs. */
  async release(): Promise<void> {
    await this.current?.release();
    if (this.ownsSession) await this.session.release();
  }
}
