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
  readonly optimizer: Optimizer;
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
export class OnnxTrainingSession {
  /** Features per example and the target shape per example, from the model's inputs. */
  readonly exampleShape: { readonly input: readonly number[]; readonly target: readonly number[] };
  readonly hasOutput: boolean;

  private constructor(
    readonly session: ort.InferenceSession,
    readonly updater: ParameterUpdater,
    private readonly ownsSession: boolean,
  ) {
    const metadata = Object.fromEntries(session.inputMetadata.map((m) => [m.name, m]));
    const perExample = (name: string): number[] => {
      const shape = dims(metadata[name]) ?? [];
      return shape.slice(1).map((d) => (typeof d === 'number' ? d : Number.NaN));
    };
    this.exampleShape = { input: perExample('input'), target: perExample('target') };
    this.hasOutput = session.outputNames.includes('output');
  }

  /** Loads the model, checks it against the convention and the parameters, and prepares the optimizer. */
  static async create(options: OnnxTrainingSessionOptions): Promise<OnnxTrainingSession> {
    const { model, sessionOptions = {} } = options;
    const isSession = typeof model === 'object' && model !== null && typeof (model as ort.InferenceSession).run === 'function';
    let session: ort.InferenceSession;
    if (isSession) session = model as ort.InferenceSession;
    else if (typeof model === 'string' || model instanceof Uint8Array) {
      try {
        session =
          typeof model === 'string'
            ? await ort.InferenceSession.create(model, { executionProviders: ['cpu'], ...sessionOptions })
            : await ort.InferenceSession.create(model, { executionProviders: ['cpu'], ...sessionOptions });
      } catch (error) {
        throw new StepsizeError(
          'OnnxTrainingSession options.model',
          `could not be loaded by ONNX Runtime: ${(error as Error).message}`,
          typeof model === 'string' ? model : `${model.length} bytes`,
        );
      }
    } else {
      throw new StepsizeError(
        'OnnxTrainingSession options.model',
        'must be ONNX model bytes (Uint8Array), a file path or an InferenceSession',
        model,
      );
    }
    const owns = !isSession;
    try {
      checkTrainingModel(session, options.params);
      const updater = await ParameterUpdater.create({
        optimizer: options.optimizer,
        params: options.params,
        ...(options.update !== undefined && { path: options.update }),
        sessionOptions,
      });
      return new OnnxTrainingSession(session, updater, owns);
    } catch (error) {
      if (owns) await session.release();
      throw error;
    }
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
      ...this.updater.tensors(),
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
    const buffers = this.updater.gradientBuffers;
    let results: ort.InferenceSession.OnnxValueMapType;
    if (buffers === undefined) results = await this.session.run(feeds);
    else {
      const fetches: Record<string, ort.Tensor | null> = { loss: null };
      if (this.hasOutput) fetches.output = null;
      for (const name of this.updater.names) {
        fetches[gradientOutput(name)] = new ort.Tensor('float32', buffers[name] as Float32Array, this.updater.shapes[name] as number[]);
      }
      results = await this.session.run(feeds, fetches);
    }
    const gradients: Record<string, Float32Array> = {};
    for (const name of this.updater.names) gradients[name] = buffers?.[name] ?? (results[gradientOutput(name)]?.data as Float32Array);
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
    await this.updater.release();
    if (this.ownsSession) await this.session.release();
  }
}
